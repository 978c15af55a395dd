import { randomUUID } from 'node:crypto';
import { AddressInfo } from 'node:net';
import type { OutgoingHttpHeaders, Server } from 'node:http';
import { crc32 } from 'node:zlib';
import {
  CreateTableCommand,
  CreateTableCommandInput,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { localClientConfig } from '../core/aws-clients';
import { accessKeyOf } from '../iam/authorizer';
import { ACCOUNT, REGION } from '../core/cfn-resolver';
import { listen } from '../core/net';
import { readAll, startFrontDoor } from '../core/front-door';

// dynalite has no type declarations; this is the part of its API used here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;

export interface TableSpec {
  readonly logicalId: string;
  readonly input: CreateTableCommandInput;
  /** Attribute holding the expiry epoch seconds, when TTL is enabled. */
  readonly ttlAttribute?: string;
  /** Encryption at rest with a KMS key (the AWS owned one unless the template names a key). */
  readonly sse?: { readonly kmsKey?: string };
  /** Days of point-in-time recovery, when the template enables it. */
  readonly pointInTimeRecoveryDays?: number;
  readonly deletionProtection?: boolean;
  /** When the runtime created (or found) the table: the earliest point in time to restore to. */
  readonly createdAt?: Date;
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

/** What the runtime adds in front of dynalite: IAM, and the template's view of each table. */
export interface DynamoHooks {
  /** AWS's AccessDenied message when the caller (by access key id) may not make this call; undefined allows it. */
  authorize?(operation: string, input: Record<string, unknown>, accessKeyId: string | undefined): string | undefined;
  /** The template's table of that name: what dynalite cannot describe (TTL, encryption, backups, deletion protection). */
  table?(tableName: string): TableSpec | undefined;
}

/** Operations whose answers carry table and index ARNs, which dynalite builds with its own region. */
const DESCRIBES = new Set(['CreateTable', 'DescribeTable', 'UpdateTable', 'DeleteTable']);
const TABLE_ARN = /arn:aws:dynamodb:[a-z0-9-]+:\d+:table\//g;

/** DynamoDB's AccessDeniedException: HTTP 400, AWS JSON 1.0, `Message` as the service spells it. */
function accessDenied(message: string) {
  return {
    status: 400,
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID(), 'x-amzn-errortype': 'AccessDeniedException' },
    body: JSON.stringify({ __type: 'com.amazon.coral.service#AccessDeniedException', Message: message }),
  };
}

/** An answer of the front door's own, in AWS JSON 1.0 with the checksum the AWS CLI verifies. */
function jsonAnswer(status: number, payload: unknown) {
  const body = Buffer.from(JSON.stringify(payload));
  return { status, headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID(), 'x-amz-crc32': String(crc32(body)) }, body };
}

/** What DescribeContinuousBackups answers for a table: backups are always on, PITR as the template sets it. */
function continuousBackups(spec: TableSpec) {
  if (spec.pointInTimeRecoveryDays === undefined) return { ContinuousBackupsStatus: 'ENABLED', PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'DISABLED' } };
  const now = Date.now() / 1000;
  const earliest = Math.max((spec.createdAt?.getTime() ?? Date.now()) / 1000, now - spec.pointInTimeRecoveryDays * 86_400);
  return {
    ContinuousBackupsStatus: 'ENABLED',
    PointInTimeRecoveryDescription: {
      PointInTimeRecoveryStatus: 'ENABLED',
      RecoveryPeriodInDays: spec.pointInTimeRecoveryDays,
      EarliestRestorableDateTime: earliest,
      // AWS can restore to about five minutes before now.
      LatestRestorableDateTime: Math.max(earliest, now - 300),
    },
  };
}

/** A DescribeTable (or Create/Update/Delete) answer with the template's encryption and deletion protection. */
function describedAsTemplate(answer: Record<string, unknown>, spec: TableSpec): Record<string, unknown> {
  const key = Object.keys(answer).find((k) => k === 'Table' || k === 'TableDescription');
  if (!key) return answer;
  const table: Record<string, unknown> = { ...(answer[key] as Record<string, unknown>), DeletionProtectionEnabled: spec.deletionProtection === true };
  if (spec.sse) {
    const keyArn = spec.sse.kmsKey?.startsWith('arn:') ? spec.sse.kmsKey : `arn:aws:kms:${REGION}:${ACCOUNT}:key/${spec.sse.kmsKey ?? 'aws-owned-dynamodb'}`;
    table.SSEDescription = { Status: 'ENABLED', SSEType: 'KMS', KMSMasterKeyArn: keyArn };
  }
  return { ...answer, [key]: table };
}

/** A rewritten answer keeps a valid x-amz-crc32, which the AWS CLI checks. */
function withBody(headers: OutgoingHttpHeaders, body: Buffer): OutgoingHttpHeaders {
  return headers['x-amz-crc32'] === undefined ? headers : { ...headers, 'x-amz-crc32': String(crc32(body)) };
}

/**
 * Starts dynalite on loopback behind a front door on `port`: the front door checks IAM (hooks.authorize),
 * answers DescribeTimeToLive from the template and puts the runtime's region and account into the ARNs
 * dynalite reports. `path` persists data with LevelDB, otherwise it lives in memory.
 */
export async function startDynamo(port: number, path: string | undefined, hooks: DynamoHooks = {}): Promise<DynamoEmulator> {
  const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await listen(server, 0, 'dynamodb');
  const upstream = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const door = await startFrontDoor(port, upstream, 'dynamodb', async (req) => {
    const body = await readAll(req);
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    let input: Record<string, unknown> = {};
    try {
      input = body.length ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
    } catch {
      return { body }; // dynalite answers the SerializationException
    }
    const denied = hooks.authorize?.(operation, input, accessKeyOf(req.headers));
    if (denied) return accessDenied(denied);
    const spec = hooks.table?.(String(input.TableName ?? '').split('/').pop() ?? '');
    if (operation === 'DescribeTimeToLive') {
      const attribute = spec?.ttlAttribute;
      return {
        body,
        answer: (status, headers, out) => {
          if (status !== 200 || !attribute) return { status, headers, body: out };
          const text = Buffer.from(JSON.stringify({ TimeToLiveDescription: { TimeToLiveStatus: 'ENABLED', AttributeName: attribute } }));
          return { status, headers: withBody(headers, text), body: text };
        },
      };
    }
    // dynalite has no backups: point-in-time recovery is answered from the template, as AWS reports it.
    if (operation === 'DescribeContinuousBackups') {
      const name = String(input.TableName ?? '');
      if (!spec) return jsonAnswer(400, { __type: 'com.amazonaws.dynamodb.v20120810#TableNotFoundException', message: `Table not found: ${name}` });
      return jsonAnswer(200, { ContinuousBackupsDescription: continuousBackups(spec) });
    }
    if (!DESCRIBES.has(operation)) return { body };
    return {
      body,
      answer: (status, headers, out) => {
        let text = out.toString('utf8').replace(TABLE_ARN, `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/`);
        if (status === 200 && spec) text = JSON.stringify(describedAsTemplate(JSON.parse(text) as Record<string, unknown>, spec));
        const buffer = Buffer.from(text);
        return { status, headers: withBody(headers, buffer), body: buffer };
      },
    };
  });
  const endpoint = door.endpoint;
  const client = new DynamoDBClient(localClientConfig(endpoint));
  return {
    endpoint,
    client,
    // The front door stops answering; dynalite keeps running, so an in-memory store survives the pause.
    pause: () => door.pause(),
    resume: () => door.resume(),
    close: async () => {
      client.destroy();
      await door.close();
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
