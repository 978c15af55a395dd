import { AddressInfo } from 'node:net';
import { Server as HttpServer } from 'node:http';
import type { Server } from 'node:http';
import {
  CreateTableCommand,
  CreateTableCommandInput,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { localClientConfig } from '../aws-clients';
import { listen } from '../net';

// dynalite has no type declarations; this is the part of its API used here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;

export interface TableSpec {
  readonly logicalId: string;
  readonly input: CreateTableCommandInput;
  /** Attribute holding the expiry epoch seconds, when TTL is enabled. */
  readonly ttlAttribute?: string;
}

export interface DynamoEmulator {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  /**
   * Stops listening and cuts open connections, keeping the data, so clients see connection errors as
   * when DynamoDB is unreachable; `resume` listens on the same port again. For fault tests.
   */
  pause(): Promise<void>;
  resume(): Promise<void>;
  close(): Promise<void>;
}

/** Starts dynalite on loopback; `path` persists data with LevelDB, otherwise it lives in memory. */
export async function startDynamo(port: number, path: string | undefined): Promise<DynamoEmulator> {
  const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await listen(server, port, 'dynamodb');
  const actualPort = (server.address() as AddressInfo).port;
  const endpoint = `http://127.0.0.1:${actualPort}`;
  const client = new DynamoDBClient(localClientConfig(endpoint));
  return {
    endpoint,
    client,
    // http.Server's own close: dynalite's close() would also close its store, and an in-memory one is lost with it.
    pause: () =>
      new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        HttpServer.prototype.close.call(server, () => resolve());
        server.closeAllConnections();
      }),
    resume: async () => {
      if (!server.listening) await listen(server, actualPort, 'dynamodb');
    },
    close: async () => {
      if (!server.listening) await listen(server, actualPort, 'dynamodb');
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Creates the table unless a persisted one with that name already exists. */
export async function ensureTable(client: DynamoDBClient, spec: TableSpec): Promise<'created' | 'existing'> {
  try {
    await client.send(new DescribeTableCommand({ TableName: spec.input.TableName }));
    return 'existing';
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  await client.send(new CreateTableCommand(spec.input));
  return 'created';
}

/**
 * dynalite does not expire items, so the runtime sweeps: every item whose TTL attribute is a number
 * in the past is deleted, as DynamoDB's TTL process would (eventually) do. Each delete is conditional on
 * the item being expired at that moment, so a write that lands between the scan and the delete is kept.
 */
export async function sweepExpired(client: DynamoDBClient, spec: TableSpec, nowSeconds: number): Promise<number> {
  if (!spec.ttlAttribute) return 0;
  const keys = (spec.input.KeySchema ?? []).map((k) => k.AttributeName as string);
  let deleted = 0;
  let start: Record<string, never> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: spec.input.TableName,
        FilterExpression: '#ttl < :now',
        ExpressionAttributeNames: { '#ttl': spec.ttlAttribute, ...Object.fromEntries(keys.map((k, i) => [`#k${i}`, k])) },
        ExpressionAttributeValues: { ':now': { N: String(nowSeconds) } },
        ProjectionExpression: keys.map((_, i) => `#k${i}`).join(', '),
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      // Only what is still expired now: an order written again since the scan must survive.
      const gone = await client
        .send(
          new DeleteItemCommand({
            TableName: spec.input.TableName,
            Key: item,
            ConditionExpression: '#ttl < :now',
            ExpressionAttributeNames: { '#ttl': spec.ttlAttribute },
            ExpressionAttributeValues: { ':now': { N: String(nowSeconds) } },
          }),
        )
        .then(
          () => true,
          (error: Error) => {
            if (error.name === 'ConditionalCheckFailedException') return false;
            throw error;
          },
        );
      if (gone) deleted++;
    }
    start = page.LastEvaluatedKey as Record<string, never> | undefined;
  } while (start);
  return deleted;
}
