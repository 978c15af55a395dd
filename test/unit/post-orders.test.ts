// Scenarios: valid orders -> 201 as one conditional PutItem each (customer, status, auction_id, ttl from the handler's config, received_at, exact decimals via NumberValue), consistent reads of the auction and the named orders (BatchGet chunks of 100), customer from apiKeyId (two customers, one record_id -> two keys; missing or invalid key -> 403), auction assignment at and just before a gate, closed auction -> next one, all closed -> 503, base64 bodies, content types, OrdersAccepted metric, env-configured module handler, and every invalid input class (415/413/400, duplicates 30 apart) with nothing sent to DynamoDB.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, NumberValue, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { OrdersTableFake, TABLE } from '../fixtures/orders/dynamo';
import { CUSTOMER, type EventOptions, fakeTime, lambdaContext, orders, postEvent, setHandlerEnv } from '../fixtures/orders/events';

setHandlerEnv({ MAX_ORDERS_PER_REQUEST: '5' });

type HandlerModule = typeof import('../../src/handlers/post-orders');
type PowertoolsModule = typeof import('../../src/shared/powertools');
type StoreClass = typeof import('../../src/adapters/dynamodb-order-store').DynamoDbOrderStore;
type Config = import('../../src/handlers/post-orders').PostOrdersConfig;

const NOW = new Date('2026-03-10T20:15:30.678Z');
const NOW_EPOCH_SECONDS = Math.floor(NOW.getTime() / 1000);
const OPEN_AUCTION = '2026-03-10T2100Z';
const ddbMock = mockClient(DynamoDBDocumentClient);

let mod: HandlerModule;
let powertools: PowertoolsModule;
let storeClass: StoreClass;

beforeAll(async () => {
  mod = await import('../../src/handlers/post-orders');
  powertools = await import('../../src/shared/powertools');
  storeClass = (await import('../../src/adapters/dynamodb-order-store')).DynamoDbOrderStore;
});

function makeHandler(config: Partial<Config> = {}, now: Date = NOW) {
  const time = fakeTime();
  const store = new storeClass({
    client: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
    tableName: TABLE,
    retryBudgetMs: 2000,
    sleep: time.sleep,
    nowMs: time.nowMs,
    random: () => 0.5,
  });
  return mod.createPostOrdersHandler({
    store,
    now: () => now,
    config: { maxOrders: 1000, maxBodyBytes: 1_048_576, ttlHours: 24, auctionPeriodMinutes: 60, ...config },
  });
}

async function post(body: string | null, options?: EventOptions, handler = makeHandler()) {
  const result: APIGatewayProxyResult = await handler(postEvent(body, options), lambdaContext);
  return { ...result, json: JSON.parse(result.body) };
}

function sentItems(): Array<Record<string, unknown>> {
  return ddbMock.commandCalls(PutCommand).map((call) => call.args[0].input.Item as Record<string, unknown>);
}

beforeEach(() => {
  ddbMock.reset();
  ddbMock.on(GetCommand).resolves({});
  ddbMock.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [] }, UnprocessedKeys: {} });
  ddbMock.on(PutCommand).resolves({});
});

describe('valid requests', () => {
  it('stores each order with one conditional PutItem and answers 201', async () => {
    const body = '[{"record_id":"a","parameter_1":"abc","parameter_2":4},{"record_id":"b","parameter_1":"","parameter_2":2.1}]';

    const response = await post(body);

    expect(response.statusCode).toBe(201);
    expect(response.headers).toMatchObject({ 'Content-Type': 'application/json' });
    expect(response.json).toEqual({ accepted: 2 });
    expect(ddbMock).toHaveReceivedCommandTimes(PutCommand, 2);
    for (const [recordId, parameter1, parameter2] of [['a', 'abc', '4'], ['b', '', '2.1']]) {
      expect(ddbMock).toHaveReceivedCommandWith(PutCommand, {
        TableName: TABLE,
        Item: {
          customer: CUSTOMER,
          record_id: recordId,
          parameter_1: parameter1,
          parameter_2: NumberValue.from(parameter2),
          ttl: NOW_EPOCH_SECONDS + 24 * 3600,
          received_at: '2026-03-10T20:15:30.678Z',
          status: 'received',
          auction_id: OPEN_AUCTION,
        },
        ConditionExpression: 'attribute_not_exists(record_id) OR #status = :received OR #ttl <= :now',
        ExpressionAttributeNames: { '#status': 'status', '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':received': 'received', ':now': NOW_EPOCH_SECONDS },
      });
    }
  });

  it('reads the auction control item and the named orders with strongly consistent reads first', async () => {
    await post(JSON.stringify(orders(2)));

    expect(ddbMock).toHaveReceivedCommandWith(GetCommand, {
      TableName: TABLE,
      Key: { customer: '#auction', record_id: OPEN_AUCTION },
      ConsistentRead: true,
    });
    expect(ddbMock).toHaveReceivedCommandWith(BatchGetCommand, {
      RequestItems: {
        [TABLE]: {
          Keys: [
            { customer: CUSTOMER, record_id: 'order-0' },
            { customer: CUSTOMER, record_id: 'order-1' },
          ],
          ConsistentRead: true,
        },
      },
    });
    const order = ddbMock.calls().map((call) => call.args[0].constructor.name);
    expect(order).toEqual(['GetCommand', 'BatchGetCommand', 'PutCommand', 'PutCommand']);
  });

  it('keeps exact decimal text in the PutItem: huge integers, long fractions, exponents; -0 becomes 0', async () => {
    const texts = ['12345678901234567890', '2.1', '0.1000000000000000055511151231257827', '-1.5E+3', '-0', '-0.00', '1e-130', '9.9999999999999999999999999999999999999e125'];
    const body = `[${texts.map((t, i) => `{"record_id":"n${i}","parameter_1":"x","parameter_2":${t}}`).join(',')}]`;

    const response = await post(body);

    expect(response.statusCode).toBe(201);
    const stored = new Map(sentItems().map((item) => [item.record_id, item.parameter_2]));
    stored.forEach((value) => expect(value).toBeInstanceOf(NumberValue));
    expect(texts.map((_, i) => String(stored.get(`n${i}`)))).toEqual([...texts.slice(0, 4), '0', '0', ...texts.slice(6)]);
  });

  it.each([
    [24, 86_400],
    [2, 7_200],
  ])('takes the TTL from the handler config: %d h -> received + %d s', async (ttlHours, seconds) => {
    await post(JSON.stringify(orders(1)), undefined, makeHandler({ ttlHours }));

    expect(sentItems()[0].ttl).toBe(NOW_EPOCH_SECONDS + seconds);
  });

  it('decodes base64 bodies', async () => {
    const body = Buffer.from(JSON.stringify([{ record_id: 'ü-1', parameter_1: 'ß', parameter_2: 1 }])).toString('base64');

    const response = await post(body, { isBase64Encoded: true });

    expect(response.statusCode).toBe(201);
    expect(sentItems()[0]).toMatchObject({ record_id: 'ü-1', parameter_1: 'ß' });
  });

  it.each([
    [{ 'content-type': 'application/json' }],
    [{ 'CONTENT-TYPE': 'application/json; charset=UTF-8' }],
    [{ 'Content-Type': 'Application/JSON;charset="utf-8"' }],
    [{ 'Content-Type': 'application/vnd.orders+json' }],
  ])('accepts content type %j', async (headers) => {
    const response = await post(JSON.stringify(orders(1)), { headers });

    expect(response.statusCode).toBe(201);
  });

  it('reads Content-Type from multiValueHeaders when headers lack it', async () => {
    const response = await post(JSON.stringify(orders(1)), { headers: {}, multiValueHeaders: { 'Content-Type': ['application/json'] } });

    expect(response.statusCode).toBe(201);
  });

  it('accepts a record_id of exactly 128 characters', async () => {
    const response = await post(JSON.stringify([{ record_id: 'r'.repeat(128), parameter_1: 'x', parameter_2: 1 }]));

    expect(response.statusCode).toBe(201);
  });

  it('writes 250 orders with one PutItem each, exactly once, after reading them in BatchGets of 100, 100 and 50', async () => {
    const response = await post(JSON.stringify(orders(250)));

    expect(response.json).toEqual({ accepted: 250 });
    const sizes = ddbMock.commandCalls(BatchGetCommand).map((call) => (call.args[0].input.RequestItems?.[TABLE]?.Keys ?? []).length);
    expect(sizes).toEqual([100, 100, 50]);
    expect(ddbMock).toHaveReceivedCommandTimes(PutCommand, 250);
    expect(sentItems().map((item) => item.record_id).sort()).toEqual(orders(250).map((o) => o.record_id).sort());
  });

  it('records the OrdersAccepted metric', async () => {
    const addMetric = jest.spyOn(powertools.metrics, 'addMetric');

    await post(JSON.stringify(orders(3)));

    expect(addMetric).toHaveBeenCalledWith('OrdersAccepted', 'Count', 3);
    addMetric.mockRestore();
  });

  it('the exported handler reads its settings from the environment', async () => {
    const ok = await mod.handler(postEvent(JSON.stringify(orders(5))), lambdaContext);
    const tooMany = await mod.handler(postEvent(JSON.stringify(orders(6))), lambdaContext);

    expect(ok.statusCode).toBe(201);
    expect(ddbMock).toHaveReceivedCommandWith(PutCommand, { TableName: 'orders-test', Item: expect.objectContaining({ customer: CUSTOMER }) });
    expect(tooMany.statusCode).toBe(400);
    expect(JSON.parse(tooMany.body).error.code).toBe('TOO_MANY_ORDERS');
  });
});

describe('the customer is the calling API key', () => {
  it('keeps two customers apart: the same record_id is two items under two keys', async () => {
    const table = new OrdersTableFake();
    table.install(ddbMock);
    const body = (parameter1: string) => JSON.stringify([{ record_id: 'unique_id_1', parameter_1: parameter1, parameter_2: 4 }]);

    const alpha = await post(body('from alpha'), { apiKeyId: 'alpha' });
    const beta = await post(body('from beta'), { apiKeyId: 'beta' });

    expect([alpha.statusCode, beta.statusCode]).toEqual([201, 201]);
    expect(ddbMock).toHaveReceivedCommandWith(PutCommand, { Item: expect.objectContaining({ customer: 'alpha', record_id: 'unique_id_1' }) });
    expect(ddbMock).toHaveReceivedCommandWith(PutCommand, { Item: expect.objectContaining({ customer: 'beta', record_id: 'unique_id_1' }) });
    expect(table.items.get(OrdersTableFake.keyOf('alpha', 'unique_id_1'))?.parameter_1).toBe('from alpha');
    expect(table.items.get(OrdersTableFake.keyOf('beta', 'unique_id_1'))?.parameter_1).toBe('from beta');
  });

  it.each([
    ['missing', null],
    ['empty', ''],
    ['the auction control partition', '#auction'],
    ['a colon', 'a:b'],
  ])('403 FORBIDDEN when the apiKeyId is %s, and nothing reaches DynamoDB', async (_label, apiKeyId) => {
    const response = await post(JSON.stringify(orders(1)), { apiKeyId });

    expect(response.statusCode).toBe(403);
    expect(response.json).toEqual({ error: { code: 'FORBIDDEN', message: expect.any(String), details: [] } });
    expect(ddbMock.calls()).toHaveLength(0);
  });
});

describe('auction assignment', () => {
  it.each([
    ['just before a gate closure', '2026-03-10T20:59:59.999Z', '2026-03-10T2100Z'],
    ['exactly at a gate closure', '2026-03-10T21:00:00.000Z', '2026-03-10T2200Z'],
    ['just after midnight', '2026-03-11T00:00:00.001Z', '2026-03-11T0100Z'],
  ])('an order received %s goes to the next one (%s -> %s)', async (_label, receivedAt, auctionId) => {
    const response = await post(JSON.stringify(orders(1)), undefined, makeHandler({}, new Date(receivedAt)));

    expect(response.statusCode).toBe(201);
    expect(ddbMock).toHaveReceivedCommandWith(GetCommand, { Key: { customer: '#auction', record_id: auctionId } });
    expect(sentItems()[0]).toMatchObject({ auction_id: auctionId, received_at: receivedAt });
  });

  it('follows the configured period: 15 minutes', async () => {
    await post(JSON.stringify(orders(1)), undefined, makeHandler({ auctionPeriodMinutes: 15 }, new Date('2026-03-10T20:15:30.678Z')));

    expect(sentItems()[0].auction_id).toBe('2026-03-10T2030Z');
  });

  it('moves the whole request to the next auction when the run closed this one early', async () => {
    ddbMock
      .on(GetCommand, { Key: { customer: '#auction', record_id: OPEN_AUCTION } })
      .resolves({ Item: { customer: '#auction', record_id: OPEN_AUCTION, closed_at: '2026-03-10T20:10:00.000Z' } });

    const response = await post(JSON.stringify(orders(3)));

    expect(response.statusCode).toBe(201);
    expect(ddbMock).toHaveReceivedCommandTimes(GetCommand, 2);
    expect(ddbMock).toHaveReceivedNthCommandWith(2, GetCommand, { Key: { customer: '#auction', record_id: '2026-03-10T2200Z' } });
    expect(sentItems().map((item) => item.auction_id)).toEqual(['2026-03-10T2200Z', '2026-03-10T2200Z', '2026-03-10T2200Z']);
  });

  it('answers 503 and writes nothing when every auction within reach is closed', async () => {
    ddbMock.on(GetCommand).resolves({ Item: { closed_at: '2026-03-10T20:10:00.000Z' } });

    const response = await post(JSON.stringify(orders(1)));

    expect(response.statusCode).toBe(503);
    expect(response.headers).toMatchObject({ 'Retry-After': expect.stringMatching(/^\d+$/) });
    expect(response.json.error.code).toBe('SERVICE_UNAVAILABLE');
    // The auction of arrival and the 24 after it (a day of auctions closed early).
    expect(ddbMock).toHaveReceivedCommandTimes(GetCommand, 25);
    expect(ddbMock).toHaveReceivedCommandTimes(PutCommand, 0);
  });
});

describe('invalid requests are refused and nothing is sent to DynamoDB', () => {
  afterEach(() => {
    expect(ddbMock.calls()).toHaveLength(0);
  });

  const valid = { record_id: 'a', parameter_1: 'x', parameter_2: 1 };

  it.each([
    ['missing', {}],
    ['not JSON', { 'Content-Type': 'text/plain' }],
    ['a JSON look-alike', { 'Content-Type': 'application/jsonx' }],
    ['form data', { 'Content-Type': 'application/x-www-form-urlencoded' }],
    ['a non-UTF-8 charset', { 'Content-Type': 'application/json; charset=utf-16' }],
  ])('415 when Content-Type is %s', async (_label, headers) => {
    const response = await post(JSON.stringify([valid]), { headers });

    expect(response.statusCode).toBe(415);
    expect(response.json.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(response.headers).toMatchObject({ 'Content-Type': 'application/json' });
  });

  it('413 when the body is over MAX_BODY_BYTES (counting bytes, not characters)', async () => {
    const body = JSON.stringify([{ ...valid, parameter_1: 'é'.repeat(40) }]); // 40 chars, 80 bytes
    const handler = makeHandler({ maxBodyBytes: body.length + 10 });

    const response = await post(body, undefined, handler);

    expect(response.statusCode).toBe(413);
    expect(response.json.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('413 measures the decoded size of base64 bodies', async () => {
    const raw = JSON.stringify(orders(3));
    const handler = makeHandler({ maxBodyBytes: raw.length - 1 });

    const response = await post(Buffer.from(raw).toString('base64'), { isBase64Encoded: true }, handler);

    expect(response.statusCode).toBe(413);
  });

  it('400 TOO_MANY_ORDERS above MAX_ORDERS_PER_REQUEST', async () => {
    const response = await post(JSON.stringify(orders(1001)));

    expect(response.statusCode).toBe(400);
    expect(response.json.error).toMatchObject({ code: 'TOO_MANY_ORDERS', details: [{ path: '' }] });
  });

  it.each([
    ['null', null],
    ['empty', ''],
    ['whitespace', ' \n\t '],
  ])('400 EMPTY_BODY for a %s body', async (_label, body) => {
    const response = await post(body);

    expect(response.statusCode).toBe(400);
    expect(response.json.error.code).toBe('EMPTY_BODY');
  });

  it.each([
    ['truncated JSON', '[{"record_id":'],
    ['single quotes', "[{'record_id':'a'}]"],
    ['trailing comma', '[{"record_id":"a","parameter_1":"x","parameter_2":1},]'],
    ['NaN', '[{"record_id":"a","parameter_1":"x","parameter_2":NaN}]'],
    ['leading zero', '[{"record_id":"a","parameter_1":"x","parameter_2":01}]'],
    ['conflicting duplicate keys', '[{"record_id":"a","record_id":"b","parameter_1":"x","parameter_2":1}]'],
    ['deep nesting', '['.repeat(200_000)],
  ])('400 INVALID_JSON for %s', async (_label, body) => {
    const response = await post(body);

    expect(response.statusCode).toBe(400);
    expect(response.json.error).toMatchObject({ code: 'INVALID_JSON', details: [{ path: '' }] });
  });

  it('400 INVALID_JSON for a UTF-8 BOM, as text or as base64 bytes', async () => {
    const json = JSON.stringify([valid]);

    const asText = await post(`\uFEFF${json}`);
    const asBytes = await post(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json)]).toString('base64'), {
      isBase64Encoded: true,
    });

    for (const response of [asText, asBytes]) {
      expect(response.statusCode).toBe(400);
      expect(response.json.error.code).toBe('INVALID_JSON');
      expect(response.json.error.details[0].message).toMatch(/byte order mark/);
    }
  });

  it('400 INVALID_JSON for malformed UTF-8 in a base64 body', async () => {
    const bytes = Buffer.concat([Buffer.from('[{"record_id":"'), Buffer.from([0xc3, 0x28]), Buffer.from('","parameter_1":"x","parameter_2":1}]')]);

    const response = await post(bytes.toString('base64'), { isBase64Encoded: true });

    expect(response.json.error).toMatchObject({ code: 'INVALID_JSON', details: [{ message: 'is not valid UTF-8' }] });
  });

  it.each([
    ['an object', JSON.stringify(valid), ''],
    ['a string', '"orders"', ''],
    ['null', 'null', ''],
    ['an empty array', '[]', ''],
    ['an array of null', '[null]', '/0'],
    ['an array of arrays', '[[1]]', '/0'],
  ])('400 INVALID_ORDERS when the body is %s', async (_label, body, path) => {
    const response = await post(body);

    expect(response.statusCode).toBe(400);
    expect(response.json.error.code).toBe('INVALID_ORDERS');
    expect(response.json.error.details).toContainEqual(expect.objectContaining({ path }));
  });

  it.each([
    ['missing record_id', { parameter_1: 'x', parameter_2: 1 }, '/0/record_id', 'is required'],
    ['empty record_id', { ...valid, record_id: '' }, '/0/record_id', 'must NOT have fewer than 1 characters'],
    ['129-character record_id', { ...valid, record_id: 'r'.repeat(129) }, '/0/record_id', 'must NOT have more than 128 characters'],
    ['numeric record_id', { ...valid, record_id: 5 }, '/0/record_id', 'must be string'],
    ['null record_id', { ...valid, record_id: null }, '/0/record_id', 'must be string'],
    ['missing parameter_1', { record_id: 'a', parameter_2: 1 }, '/0/parameter_1', 'is required'],
    ['numeric parameter_1', { ...valid, parameter_1: 3 }, '/0/parameter_1', 'must be string'],
    ['null parameter_1', { ...valid, parameter_1: null }, '/0/parameter_1', 'must be string'],
    ['missing parameter_2', { record_id: 'a', parameter_1: 'x' }, '/0/parameter_2', 'is required'],
    ['numeric string parameter_2 (no coercion)', { ...valid, parameter_2: '4' }, '/0/parameter_2', 'must be number'],
    ['boolean parameter_2', { ...valid, parameter_2: true }, '/0/parameter_2', 'must be number'],
    ['null parameter_2', { ...valid, parameter_2: null }, '/0/parameter_2', 'must be number'],
    ['object parameter_2', { ...valid, parameter_2: { n: 1 } }, '/0/parameter_2', 'must be number'],
    ['an extra field', { ...valid, extra: 1 }, '/0/extra', 'is not an allowed field'],
    ['a constructor field', { ...valid, constructor: { prototype: {} } }, '/0/constructor', 'is not an allowed field'],
    ['a field with a slash', { ...valid, 'a/b': 1 }, '/0/a~1b', 'is not an allowed field'],
  ])('400 INVALID_ORDERS for %s', async (_label, order, path, message) => {
    const response = await post(JSON.stringify([order]));

    expect(response.statusCode).toBe(400);
    expect(response.json.error.code).toBe('INVALID_ORDERS');
    expect(response.json.error.details).toContainEqual({ path, message });
  });

  it('400 for a __proto__ key, without touching any prototype', async () => {
    const body = '[{"record_id":"a","parameter_1":"x","parameter_2":1,"__proto__":{"polluted":true,"record_id":"z"}}]';

    const response = await post(body);

    expect(response.statusCode).toBe(400);
    expect(response.json.error.details).toContainEqual({ path: '/0/__proto__', message: 'is not an allowed field' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it.each([
    ['1e400', 'must be a finite number'],
    ['-1e400', 'must be a finite number'],
    ['1234567890123456789012345678901234567891', 'has 40 significant digits; at most 38 can be stored exactly'],
    ['1e126', 'is too large; the magnitude must be below 1e126'],
    ['1e-131', 'is too small; a non-zero magnitude must be at least 1e-130'],
  ])('400 INVALID_ORDERS for parameter_2 = %s', async (number, message) => {
    const response = await post(`[{"record_id":"a","parameter_1":"x","parameter_2":${number}}]`);

    expect(response.statusCode).toBe(400);
    expect(response.json.error).toMatchObject({ code: 'INVALID_ORDERS', details: [{ path: '/0/parameter_2', message }] });
  });

  it('400 for text DynamoDB cannot encode (unpaired surrogate)', async () => {
    const response = await post('[{"record_id":"a\\ud800","parameter_1":"x","parameter_2":1}]');

    expect(response.json.error.details).toContainEqual({ path: '/0/record_id', message: expect.stringMatching(/unpaired surrogate/) });
  });

  it('400 for an order too big for one DynamoDB item', async () => {
    const response = await post(JSON.stringify([{ ...valid, parameter_1: 'x'.repeat(410_000) }]));

    expect(response.json.error).toMatchObject({ code: 'INVALID_ORDERS', details: [{ path: '/0' }] });
  });

  it('400 DUPLICATE_RECORD_ID names every repeated occurrence', async () => {
    const body = JSON.stringify([valid, { ...valid, record_id: 'b' }, valid, { ...valid, parameter_2: 9 }]);

    const response = await post(body);

    expect(response.statusCode).toBe(400);
    expect(response.json.error).toEqual({
      code: 'DUPLICATE_RECORD_ID',
      message: expect.any(String),
      details: [
        { path: '/2/record_id', message: 'duplicates the record_id at /0/record_id' },
        { path: '/3/record_id', message: 'duplicates the record_id at /0/record_id' },
      ],
    });
  });

  it('400 DUPLICATE_RECORD_ID for two equal ids 30 orders apart (more than one old 25-item batch)', async () => {
    const body = orders(40);
    body[30] = { ...body[30], record_id: body[0].record_id };

    const response = await post(JSON.stringify(body));

    expect(response.statusCode).toBe(400);
    expect(response.json.error).toEqual({
      code: 'DUPLICATE_RECORD_ID',
      message: expect.any(String),
      details: [{ path: '/30/record_id', message: 'duplicates the record_id at /0/record_id' }],
    });
  });

  it('one bad order among valid ones rejects the whole request', async () => {
    const body = JSON.stringify([...orders(59), { record_id: 'bad', parameter_1: 'x', parameter_2: 'nope' }]);

    const response = await post(body);

    expect(response.json.error.details).toEqual([{ path: '/59/parameter_2', message: 'must be number' }]);
  });

  it('reports every problem but caps details at 20', async () => {
    const body = JSON.stringify(Array.from({ length: 30 }, () => ({ record_id: 1, parameter_1: 2, parameter_2: 'x' })));

    const response = await post(body);

    expect(response.json.error.code).toBe('INVALID_ORDERS');
    expect(response.json.error.details).toHaveLength(20);
  });
});
