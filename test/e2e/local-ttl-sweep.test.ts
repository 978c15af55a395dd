// Scenarios: the TTL sweep deletes expired items and keeps live ones and items without a ttl; an item written again (live) between the sweep's scan and its delete survives; an item still expired is deleted exactly once and counted.
import { AttributeValue, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { localClientConfig } from '../../local/core/aws-clients';
import { DynamoEmulator, ensureTable, startDynamo, sweepExpired, TableSpec } from '../../local/dynamodb/emulator';

const TABLE = 'sweep-orders';
const spec: TableSpec = {
  logicalId: 'Orders',
  ttlAttribute: 'ttl',
  input: {
    TableName: TABLE,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [{ AttributeName: 'customer', KeyType: 'HASH' }, { AttributeName: 'record_id', KeyType: 'RANGE' }],
    AttributeDefinitions: [{ AttributeName: 'customer', AttributeType: 'S' }, { AttributeName: 'record_id', AttributeType: 'S' }],
  },
};
const NOW = 1_800_000_000;
let dynamo: DynamoEmulator;

beforeAll(async () => {
  dynamo = await startDynamo(0, undefined);
  await ensureTable(dynamo.client, spec);
});

afterAll(async () => {
  await dynamo?.close();
});

const key = (recordId: string) => ({ customer: { S: 'default' }, record_id: { S: recordId } });
const put = (recordId: string, ttl?: number) =>
  dynamo.client.send(new PutItemCommand({ TableName: TABLE, Item: { ...key(recordId), ...(ttl === undefined ? {} : { ttl: { N: String(ttl) } }) } }));
const exists = async (recordId: string) => !!(await dynamo.client.send(new GetItemCommand({ TableName: TABLE, Key: key(recordId), ConsistentRead: true }))).Item;

it('deletes expired items and keeps live ones and items without a ttl', async () => {
  await put('expired', NOW - 10);
  await put('live', NOW + 3600);
  await put('no-ttl');

  expect(await sweepExpired(dynamo.client, spec, NOW)).toBe(1);

  expect([await exists('expired'), await exists('live'), await exists('no-ttl')]).toEqual([false, true, true]);
});

it('keeps an item written again between the scan and the delete', async () => {
  await put('rewritten', NOW - 10);
  await put('still-expired', NOW - 10);
  // A client that re-POSTs `rewritten` right after the sweep's scan saw it expired.
  const client = new DynamoDBClient(localClientConfig(dynamo.endpoint));
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Key?: Record<string, AttributeValue> };
      if (context.commandName === 'DeleteItemCommand' && input.Key?.record_id?.S === 'rewritten') await put('rewritten', NOW + 86_400);
      return next(args);
    },
    { step: 'initialize' },
  );

  const deleted = await sweepExpired(client, spec, NOW);
  client.destroy();

  expect(deleted).toBe(1);
  expect([await exists('rewritten'), await exists('still-expired')]).toEqual([true, false]);
});
