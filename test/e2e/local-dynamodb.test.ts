// Scenarios: a table keyed by customer + record_id with the sparse GSI by-auction (projection ALL) is created from the template; DescribeTable shows keys, index and billing; the same record_id of two customers is two items; Query on the index pages with Limit and ExclusiveStartKey through every item of one auction and none of the others, items without auction_id stay out of the index.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AttributeValue, BatchWriteItemCommand, DescribeTableCommand, DynamoDBClient, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { Runtime, startRuntime } from '../../local/runtime';
import { ROOT } from './paths';

const FIXTURE = join(ROOT, 'test', 'fixtures', 'local', 'features');
const TABLE = 'fixture-orders';
const dataDir = mkdtempSync(join(tmpdir(), 'e2e-local-dynamodb-'));
let runtime: Runtime;
let dynamodb: DynamoDBClient;

beforeAll(async () => {
  runtime = await startRuntime({ cdkOut: FIXTURE, port: 0, inMemory: true, timeScale: 0, quiet: true, dataDir });
  const { endpoints } = runtime;
  dynamodb = new DynamoDBClient({ endpoint: endpoints.dynamodb, region: endpoints.region, credentials: endpoints.credentials });
});

afterAll(async () => {
  dynamodb?.destroy();
  await runtime?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const item = (customer: string, recordId: string, auctionId?: string): Record<string, AttributeValue> => ({
  customer: { S: customer },
  record_id: { S: recordId },
  parameter_1: { S: 'abc' },
  parameter_2: { N: '2.1' },
  ...(auctionId ? { auction_id: { S: auctionId } } : {}),
});

async function putAll(items: Array<Record<string, AttributeValue>>): Promise<void> {
  for (let i = 0; i < items.length; i += 25) {
    const chunk = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
    const out = await dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [TABLE]: chunk } }));
    expect(out.UnprocessedItems?.[TABLE] ?? []).toEqual([]);
  }
}

it('creates the table with its keys and the by-auction index', async () => {
  const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: TABLE }));

  expect(Table?.KeySchema).toEqual([
    { AttributeName: 'customer', KeyType: 'HASH' },
    { AttributeName: 'record_id', KeyType: 'RANGE' },
  ]);
  expect(Table?.BillingModeSummary?.BillingMode ?? 'PAY_PER_REQUEST').toBe('PAY_PER_REQUEST');
  expect(Table?.GlobalSecondaryIndexes).toEqual([
    expect.objectContaining({
      IndexName: 'by-auction',
      KeySchema: [
        { AttributeName: 'auction_id', KeyType: 'HASH' },
        { AttributeName: 'record_id', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
      IndexStatus: 'ACTIVE',
    }),
  ]);
});

it('keeps the same record_id of two customers apart', async () => {
  await putAll([item('alpha', 'same-id', 'A-keep'), item('beta', 'same-id', 'A-keep')]);

  const alpha = await dynamodb.send(new GetItemCommand({ TableName: TABLE, Key: { customer: { S: 'alpha' }, record_id: { S: 'same-id' } } }));
  const beta = await dynamodb.send(new GetItemCommand({ TableName: TABLE, Key: { customer: { S: 'beta' }, record_id: { S: 'same-id' } } }));

  expect(alpha.Item?.customer.S).toBe('alpha');
  expect(beta.Item?.customer.S).toBe('beta');
});

it('queries one auction through the index, page by page, without a scan', async () => {
  const auction = '2026-12-01T2100Z';
  const mine = Array.from({ length: 23 }, (_, i) => item(i % 2 ? 'alpha' : 'beta', `order-${String(i).padStart(2, '0')}`, auction));
  const others = Array.from({ length: 7 }, (_, i) => item('alpha', `other-${i}`, '2026-12-01T2200Z'));
  const unassigned = Array.from({ length: 3 }, (_, i) => item('beta', `unassigned-${i}`));
  await putAll([...mine, ...others, ...unassigned]);

  const seen: string[] = [];
  let pages = 0;
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await dynamodb.send(
      new QueryCommand({
        TableName: TABLE,
        IndexName: 'by-auction',
        KeyConditionExpression: 'auction_id = :a',
        ExpressionAttributeValues: { ':a': { S: auction } },
        Limit: 5,
        ExclusiveStartKey: start,
      }),
    );
    pages++;
    for (const it of page.Items ?? []) {
      expect(it.parameter_2).toEqual({ N: '2.1' }); // projection ALL: every attribute is in the index
      seen.push(`${it.customer.S}/${it.record_id.S}`);
    }
    start = page.LastEvaluatedKey;
    if (start) expect(Object.keys(start).sort()).toEqual(['auction_id', 'customer', 'record_id']);
  } while (start);

  expect(pages).toBeGreaterThanOrEqual(5);
  expect(seen.sort()).toEqual(mine.map((i) => `${i.customer.S}/${i.record_id.S}`).sort());
});
