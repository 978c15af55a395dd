// Scenarios: through the post-orders handler module, two equal record_ids 29 orders apart (in different 25-item DynamoDB batches) -> 400 DUPLICATE_RECORD_ID naming both positions and nothing written; ORDER_TTL_HOURS=2 in the environment, read when the module loads -> every stored ttl is received_at + 2 h, not 24 h; without it the ttl is received_at + 24 h; a malformed ORDER_TTL_HOURS fails the module's load naming the variable.
import type { APIGatewayProxyResult } from 'aws-lambda';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { lambdaContext, orders, postEvent, setHandlerEnv, type OrderInput } from '../fixtures/orders/events';

type HandlerModule = typeof import('../../src/handlers/post-orders');
type DocumentClientModule = typeof import('@aws-sdk/lib-dynamodb');
type LowLevelModule = typeof import('@aws-sdk/client-dynamodb');
type MockModule = typeof import('aws-sdk-client-mock');
type AttributeMap = Record<string, { S?: string; N?: string }>;

/** DynamoDB's BatchWriteItem takes at most 25 items: a check that restarted per batch would miss these. */
const BATCH = 25;

interface Loaded {
  readonly handler: HandlerModule['handler'];
  /** Every item a write command carried, whichever client and command the store uses. */
  writtenItems(): Array<Record<string, unknown>>;
}

const savedEnv = { ...process.env };

afterEach(() => {
  process.env = { ...savedEnv };
});

/**
 * A fresh copy of the handler module, loaded with `env` as the Lambda runtime would (the module reads its
 * configuration once, at load), its SDK clients mocked in the same module registry. Reads find nothing; writes
 * succeed. The environment stays set until the test ends.
 */
function loadHandler(env: Record<string, string | undefined>): Loaded {
  let loaded: Loaded | undefined;
  setHandlerEnv();
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  jest.isolateModules(() => {
    const { mockClient } = jest.requireActual<MockModule>('aws-sdk-client-mock');
    const doc = jest.requireActual<DocumentClientModule>('@aws-sdk/lib-dynamodb');
    const low = jest.requireActual<LowLevelModule>('@aws-sdk/client-dynamodb');
    const docMock = mockClient(doc.DynamoDBDocumentClient);
    const lowMock = mockClient(low.DynamoDBClient);
    docMock.on(doc.GetCommand).resolves({});
    docMock.on(doc.BatchGetCommand).resolves({ Responses: {}, UnprocessedKeys: {} });
    docMock.on(doc.PutCommand).resolves({});
    docMock.on(doc.BatchWriteCommand).resolves({ UnprocessedItems: {} });
    lowMock.on(low.GetItemCommand).resolves({});
    lowMock.on(low.BatchGetItemCommand).resolves({ Responses: {}, UnprocessedKeys: {} });
    lowMock.on(low.PutItemCommand).resolves({});
    lowMock.on(low.BatchWriteItemCommand).resolves({ UnprocessedItems: {} });
    const { handler } = jest.requireActual<HandlerModule>('../../src/handlers/post-orders');
    loaded = { handler, writtenItems: () => writtenItems(doc, low, docMock, lowMock) };
  });
  return loaded!;
}

/** The string and number attributes of a low-level item, which is all these tests read. */
const plain = (item: AttributeMap) => Object.fromEntries(Object.entries(item).map(([name, value]) => [name, value.S ?? value.N]));

function writtenItems(
  doc: DocumentClientModule,
  low: LowLevelModule,
  docMock: AwsClientStub<import('@aws-sdk/lib-dynamodb').DynamoDBDocumentClient>,
  lowMock: AwsClientStub<import('@aws-sdk/client-dynamodb').DynamoDBClient>,
): Array<Record<string, unknown>> {
  const batchItems = (requests: unknown) =>
    Object.values((requests ?? {}) as Record<string, Array<{ PutRequest?: { Item?: unknown } }>>).flat().flatMap((request) => (request.PutRequest?.Item ? [request.PutRequest.Item] : []));
  return [
    ...docMock.commandCalls(doc.PutCommand).map((call) => call.args[0].input.Item as Record<string, unknown>),
    ...docMock.commandCalls(doc.BatchWriteCommand).flatMap((call) => batchItems(call.args[0].input.RequestItems) as Array<Record<string, unknown>>),
    ...lowMock.commandCalls(low.PutItemCommand).map((call) => plain(call.args[0].input.Item as AttributeMap)),
    ...lowMock.commandCalls(low.BatchWriteItemCommand).flatMap((call) => (batchItems(call.args[0].input.RequestItems) as AttributeMap[]).map(plain)),
  ];
}

async function post(loaded: Loaded, body: OrderInput[]): Promise<APIGatewayProxyResult & { json: { error?: { code: string; details: Array<{ path: string; message: string }> } } }> {
  const response = await loaded.handler(postEvent(JSON.stringify(body)), lambdaContext);
  return { ...response, json: JSON.parse(response.body) };
}

describe('duplicate record_ids are found across the whole request, not per DynamoDB batch', () => {
  it('two equal ids 29 orders apart, in the first and second batch of 25 -> 400 DUPLICATE_RECORD_ID, nothing written', async () => {
    const loaded = loadHandler({});
    const body = orders(3 * BATCH);
    const [first, second] = [2, 31];
    body[second] = { ...body[second], record_id: body[first].record_id, parameter_1: 'a different order' };
    expect(Math.floor(first / BATCH)).not.toBe(Math.floor(second / BATCH));

    const response = await post(loaded, body);

    expect({ status: response.statusCode, code: response.json.error?.code }).toEqual({ status: 400, code: 'DUPLICATE_RECORD_ID' });
    expect(response.json.error?.details).toEqual([{ path: `/${second}/record_id`, message: expect.stringContaining(`/${first}/record_id`) }]);
    expect(loaded.writtenItems()).toEqual([]);
  });

  it('the same request without the duplicate is stored whole (the 400 above is the duplicate\'s, not the size\'s)', async () => {
    const loaded = loadHandler({});

    const response = await post(loaded, orders(3 * BATCH));

    expect(response.statusCode).toBe(201);
    expect(loaded.writtenItems()).toHaveLength(3 * BATCH);
  });
});

describe('ORDER_TTL_HOURS from the environment sets how long an order is kept', () => {
  const ttlSecondsOf = (item: Record<string, unknown>) => Number(item.ttl) - Math.floor(Date.parse(String(item.received_at)) / 1000);

  it('ORDER_TTL_HOURS=2: every stored ttl is received_at + 2 h', async () => {
    const loaded = loadHandler({ ORDER_TTL_HOURS: '2' });
    const before = Date.now();

    const response = await post(loaded, orders(BATCH + 5));

    expect(response.statusCode).toBe(201);
    const items = loaded.writtenItems();
    expect(items).toHaveLength(BATCH + 5);
    expect([...new Set(items.map(ttlSecondsOf))]).toEqual([2 * 3600]);
    const receivedAt = Date.parse(String(items[0].received_at));
    expect(receivedAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(receivedAt).toBeLessThanOrEqual(Date.now());
  });

  it('without ORDER_TTL_HOURS the ttl is the default 24 h', async () => {
    const loaded = loadHandler({ ORDER_TTL_HOURS: undefined });

    await post(loaded, orders(1));

    expect(loaded.writtenItems().map(ttlSecondsOf)).toEqual([24 * 3600]);
  });

  it('a malformed ORDER_TTL_HOURS fails the load, naming the variable', () => {
    expect(() => loadHandler({ ORDER_TTL_HOURS: 'two' })).toThrow(/ORDER_TTL_HOURS/);
  });
});
