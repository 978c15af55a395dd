// Scenarios: 200 with the order and its lifecycle (exact decimal parameter_2 as a JSON number, expires_at from ttl, optional fields only when set, never the customer), strongly consistent GetItem on the caller's key, percent-decoding of the path parameter (a%2Fb%20c, emoji), 404 ORDER_NOT_FOUND byte for byte the same for a missing id, an expired item, another customer's id and the `#auction` control partition, 400 INVALID_RECORD_ID for malformed percent-encoding, empty and too long ids, 403 without a valid key, 503 when DynamoDB stays throttled, 500 without internals (also for a client that would round parameter_2), env-configured module handler.
import { DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, NumberValue } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { orderItem, OrdersTableFake, readItem, TABLE } from '../fixtures/orders/dynamo';
import { CUSTOMER, fakeTime, getEvent, lambdaContext, setHandlerEnv } from '../fixtures/orders/events';

setHandlerEnv();

type HandlerModule = typeof import('../../src/handlers/get-order');
type StoreModule = typeof import('../../src/adapters/dynamodb-order-store');

const NOW = new Date('2026-03-10T20:15:30.678Z');
const NOW_EPOCH_SECONDS = Math.floor(NOW.getTime() / 1000);
const TTL = NOW_EPOCH_SECONDS + 3600;
const ddbMock = mockClient(DynamoDBDocumentClient);
const NOT_FOUND = '{"error":{"code":"ORDER_NOT_FOUND","message":"No order with this record_id","details":[]}}';

let mod: HandlerModule;
let storeModule: StoreModule;
let table: OrdersTableFake;

beforeAll(async () => {
  mod = await import('../../src/handlers/get-order');
  storeModule = await import('../../src/adapters/dynamodb-order-store');
});

function newStore() {
  const time = fakeTime();
  return new storeModule.DynamoDbOrderStore({
    client: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
    tableName: TABLE,
    retryBudgetMs: 1000,
    sleep: time.sleep,
    nowMs: time.nowMs,
    random: () => 0.5,
  });
}

async function get(rawRecordId: string | undefined, apiKeyId?: string | null): Promise<APIGatewayProxyResult> {
  const handler = mod.createGetOrderHandler({ store: newStore(), now: () => NOW });
  return handler(getEvent(rawRecordId, { apiKeyId }), lambdaContext);
}

/** Puts an order item into the fake table. */
function store(overrides: Record<string, unknown> = {}) {
  const item = orderItem({ ttl: TTL, ...overrides });
  table.items.set(OrdersTableFake.keyOf(item.customer as string, item.record_id as string), item);
  return item;
}

beforeEach(() => {
  ddbMock.reset();
  table = new OrdersTableFake();
  table.install(ddbMock);
});

describe('200', () => {
  it('answers the order with its lifecycle, parameter_2 with exactly the stored digits', async () => {
    store({ record_id: 'unique_id_1', parameter_1: 'abc', parameter_2: NumberValue.from('12345678901234567890.123456789') });

    const response = await get('unique_id_1');

    expect(response.statusCode).toBe(200);
    expect(response.headers).toEqual({ 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    expect(response.body).toBe(
      '{"record_id":"unique_id_1","parameter_1":"abc","parameter_2":12345678901234567890.123456789,"status":"received",' +
        `"auction_id":"2026-03-10T2100Z","received_at":"2026-03-10T20:00:00.000Z","expires_at":"${new Date(TTL * 1000).toISOString()}"}`,
    );
    expect(ddbMock).toHaveReceivedCommandWith(GetCommand, {
      TableName: TABLE,
      Key: { customer: CUSTOMER, record_id: 'unique_id_1' },
      ConsistentRead: true,
    });
  });

  it.each(['2.1', '0.1000000000000000055511151231257827', '9007199254740993', '-1500', '1e-130'])('keeps %s exact', async (text) => {
    store({ parameter_2: NumberValue.from(text) });

    const response = await get('order-0');

    expect(response.body).toContain(`"parameter_2":${text},`);
  });

  it('includes submitted_at, result, result_key and reason when the run set them', async () => {
    const result = { order_id: `${CUSTOMER}:order-0`, status: 'accepted', cleared_volume: 1.5, clearing_price: 42.25 };
    store({
      status: 'accepted',
      submitted_at: '2026-03-10T21:00:40.000Z',
      result,
      result_key: `results/auction=2026-03-10T2100Z/customer=${CUSTOMER}/order-0.json`,
      reason: 'none really',
    });

    const response = await get('order-0');

    expect(JSON.parse(response.body)).toEqual({
      record_id: 'order-0',
      parameter_1: 'p0',
      parameter_2: 1,
      status: 'accepted',
      auction_id: '2026-03-10T2100Z',
      received_at: '2026-03-10T20:00:00.000Z',
      expires_at: new Date(TTL * 1000).toISOString(),
      submitted_at: '2026-03-10T21:00:40.000Z',
      result,
      result_key: `results/auction=2026-03-10T2100Z/customer=${CUSTOMER}/order-0.json`,
      reason: 'none really',
    });
  });

  it('never shows the customer or attributes outside the contract', async () => {
    ddbMock.on(GetCommand).resolves({ Item: readItem(orderItem({ ttl: TTL, internal_note: 'secret', version: 3 })) });

    const response = await get('order-0');

    expect(response.statusCode).toBe(200);
    expect(Object.keys(JSON.parse(response.body))).toEqual(['record_id', 'parameter_1', 'parameter_2', 'status', 'auction_id', 'received_at', 'expires_at']);
    expect(response.body).not.toContain(CUSTOMER);
    expect(response.body).not.toMatch(/customer|secret|version/);
  });

  it.each([
    ['a%2Fb%20c', 'a%2Fb%20c', 'a/b c'],
    ['an emoji', '%F0%9F%94%8B-1', '🔋-1'],
    ['a plus (not a space in a path)', 'plus+stays', 'plus+stays'],
    ['128 encoded emoji', encodeURIComponent('🔋'.repeat(128)), '🔋'.repeat(128)],
  ])('decodes the percent-encoded path parameter: %s', async (_label, raw, recordId) => {
    store({ record_id: recordId });

    const response = await get(raw);

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body).record_id).toBe(recordId);
    expect(ddbMock).toHaveReceivedCommandWith(GetCommand, { Key: { customer: CUSTOMER, record_id: recordId } });
  });
});

describe('404 ORDER_NOT_FOUND, the same answer whatever the reason', () => {
  const responses = new Map<string, APIGatewayProxyResult>();

  afterAll(() => {
    // Byte for byte: a customer cannot tell which reason it was.
    const distinct = new Set([...responses.values()].map((response) => JSON.stringify(response)));
    expect(responses.size).toBe(5);
    expect(distinct.size).toBe(1);
  });

  it('for an id that never existed', async () => {
    const response = await get('never-existed');

    responses.set('missing', response);
    expect(response.statusCode).toBe(404);
    expect(response.body).toBe(NOT_FOUND);
    expect(response.headers).toEqual({ 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  });

  it('for an item whose ttl has passed but that DynamoDB has not deleted yet', async () => {
    store({ record_id: 'expired', ttl: NOW_EPOCH_SECONDS - 1 });

    const response = await get('expired');

    responses.set('expired', response);
    expect(response.statusCode).toBe(404);
  });

  it("for another customer's id", async () => {
    store({ customer: 'customer-b', record_id: 'theirs' });

    const response = await get('theirs');

    responses.set('foreign', response);
    expect(response.statusCode).toBe(404);
    expect(ddbMock).toHaveReceivedCommandWith(GetCommand, { Key: { customer: CUSTOMER, record_id: 'theirs' } });
  });

  it('for an item of another customer even if DynamoDB answered one', async () => {
    ddbMock.on(GetCommand).resolves({ Item: readItem(orderItem({ customer: 'customer-b', ttl: TTL })) });

    const response = await get('order-0');

    responses.set('foreign item', response);
    expect(response.statusCode).toBe(404);
  });

  it('for the #auction control partition: its name as an id is looked up in the caller\'s own partition', async () => {
    table.items.set(OrdersTableFake.keyOf('#auction', '2026-03-10T2100Z'), { customer: '#auction', record_id: '2026-03-10T2100Z', closed_at: NOW.toISOString() });

    const response = await get('%23auction');

    responses.set('#auction', response);
    expect(response.statusCode).toBe(404);
    expect(ddbMock).toHaveReceivedCommandWith(GetCommand, { Key: { customer: CUSTOMER, record_id: '#auction' } });
  });
});

it('the store never reads the #auction partition as orders', async () => {
  table.items.set(OrdersTableFake.keyOf('#auction', '2026-03-10T2100Z'), { customer: '#auction', record_id: '2026-03-10T2100Z', closed_at: NOW.toISOString() });

  await expect(newStore().getOrder('#auction', '2026-03-10T2100Z')).resolves.toBeUndefined();
  expect(ddbMock.calls()).toHaveLength(0);
});

describe('refused before DynamoDB is asked', () => {
  afterEach(() => {
    expect(ddbMock.calls()).toHaveLength(0);
  });

  it.each([
    ['malformed percent-encoding', '%E0%A4%A'],
    ['a lone percent sign', '100%'],
    ['an encoded lone surrogate', '%ED%A0%80'],
  ])('400 INVALID_RECORD_ID for %s', async (_label, raw) => {
    const response = await get(raw);

    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toEqual({
      error: { code: 'INVALID_RECORD_ID', message: expect.any(String), details: [{ path: '/record_id', message: 'is not valid percent-encoding' }] },
    });
  });

  it.each([
    ['empty', ''],
    ['missing', undefined],
    ['129 characters long', 'r'.repeat(129)],
    ['129 characters long once decoded', encodeURIComponent('🔋'.repeat(129))],
  ])('400 INVALID_RECORD_ID for an id that is %s', async (_label, raw) => {
    const response = await get(raw);

    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).error).toMatchObject({ code: 'INVALID_RECORD_ID', details: [{ path: '/record_id' }] });
  });

  it.each([
    ['missing', null],
    ['the control partition', '#auction'],
  ])('403 FORBIDDEN when the apiKeyId is %s', async (_label, apiKeyId) => {
    const response = await get('order-0', apiKeyId);

    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body)).toEqual({ error: { code: 'FORBIDDEN', message: expect.any(String), details: [] } });
  });
});

describe('failures', () => {
  it('answers 503 with Retry-After when DynamoDB stays throttled', async () => {
    ddbMock.on(GetCommand).rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: { httpStatusCode: 400 } }));

    const response = await get('order-0');

    expect(response.statusCode).toBe(503);
    expect(response.headers).toMatchObject({ 'Retry-After': '1', 'Cache-Control': 'no-store' });
    expect(JSON.parse(response.body).error.code).toBe('SERVICE_UNAVAILABLE');
    expect(ddbMock.commandCalls(GetCommand).length).toBeGreaterThan(1);
  });

  it('answers 500 rather than rounded digits when the client reads numbers as floats', async () => {
    ddbMock.on(GetCommand).resolves({ Item: { ...orderItem({ ttl: TTL }), parameter_2: 2.1 } });

    const response = await get('order-0');

    expect(response.statusCode).toBe(500);
  });

  it('answers 500 without internals for a non-retryable error', async () => {
    ddbMock.on(GetCommand).rejects(Object.assign(new Error(`AccessDenied on ${TABLE}`), { name: 'AccessDeniedException', $fault: 'client' }));

    const response = await get('order-0');

    expect(response.statusCode).toBe(500);
    expect(response.body).toBe('{"error":{"code":"INTERNAL_ERROR","message":"Internal server error","details":[]}}');
    expect(ddbMock).toHaveReceivedCommandTimes(GetCommand, 1);
  });
});

it('the exported handler reads the table name from the environment', async () => {
  // The module handler runs on the real clock.
  store({ record_id: 'env', ttl: Math.floor(Date.now() / 1000) + 3600 });

  const response = await mod.handler(getEvent('env'), lambdaContext);

  expect(response.statusCode).toBe(200);
  expect(ddbMock).toHaveReceivedCommandWith(GetCommand, { TableName: 'orders-test' });
});
