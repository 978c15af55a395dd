// Scenarios: locks (a submitted/accepted/rejected/failed order refuses the whole request with 409 ORDER_LOCKED naming it, no PutItem sent; one order is written without a read, its refused condition is the 409 (auction from the image, or read when there is none); the open auction read is reused for 500 ms, never across a gate or for a closed auction; capped message and details; received orders are replaced and move to the open auction; expired locked orders do not lock), race (a condition fails mid-request -> the written orders are put back to their images or deleted, conditional on this request's received_at, 409 for the failed ids; no new write starts after a refusal; rollback skipped where the item changed since; rollback that cannot finish -> 503), BatchGet UnprocessedKeys retried (only the leftovers), throttled reads -> 503, PutItem throttling/5xx retried with full-jitter backoff, persistent throttling -> 503 + Retry-After within bounded attempts and time, non-retryable SDK error and unexpected store error -> 500 without internals.
import { DynamoDBClient, InternalServerError, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DeleteCommand, DynamoDBDocumentClient, GetCommand, NumberValue, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { conditionFailed, orderItem, readItem, TABLE } from '../fixtures/orders/dynamo';
import { CUSTOMER, fakeTime, lambdaContext, orders, postEvent, setHandlerEnv } from '../fixtures/orders/events';

setHandlerEnv();

type HandlerModule = typeof import('../../src/handlers/post-orders');
type StoreModule = typeof import('../../src/adapters/dynamodb-order-store');
type IngestModule = typeof import('../../src/orders/ingest');
type OrderStore = import('../../src/orders/order-store').OrderStore;

const RETRY_BUDGET_MS = 2000;
const NOW = new Date('2026-03-10T20:15:30.678Z');
const NOW_ISO = NOW.toISOString();
const OPEN_AUCTION = '2026-03-10T2100Z';
const ddbMock = mockClient(DynamoDBDocumentClient);

let mod: HandlerModule;
let storeModule: StoreModule;
let ingestModule: IngestModule;

beforeAll(async () => {
  mod = await import('../../src/handlers/post-orders');
  storeModule = await import('../../src/adapters/dynamodb-order-store');
  ingestModule = await import('../../src/orders/ingest');
});

function newStore(options: { concurrency?: number; retryBudgetMs?: number; random?: number } = {}) {
  const time = fakeTime();
  const store = new storeModule.DynamoDbOrderStore({
    client: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
    tableName: TABLE,
    retryBudgetMs: options.retryBudgetMs ?? RETRY_BUDGET_MS,
    sleep: time.sleep,
    nowMs: time.nowMs,
    random: () => options.random ?? 0.5,
    concurrency: options.concurrency,
  });
  return { store, time };
}

function setup(options: Parameters<typeof newStore>[0] & { store?: OrderStore; now?: () => Date; memo?: boolean } = {}) {
  const { store, time } = newStore(options);
  const handler = mod.createPostOrdersHandler({
    store: options.store ?? store,
    now: options.now ?? (() => NOW),
    config: { maxOrders: 1000, maxBodyBytes: 1_048_576, ttlHours: 24, auctionPeriodMinutes: 60 },
    openAuctions: options.memo ? new ingestModule.OpenAuctionMemo() : undefined,
  });
  const post = async (body: string) => {
    const response = await handler(postEvent(body), lambdaContext);
    return { ...response, json: JSON.parse(response.body) };
  };
  return { time, post, store };
}

/** The BatchGetItem answer holding these stored items. */
function stored(...items: Array<Record<string, unknown>>) {
  return { Responses: { [TABLE]: items.map(readItem) }, UnprocessedKeys: {} };
}

function putRecordIds(): unknown[] {
  return ddbMock.commandCalls(PutCommand).map((call) => call.args[0].input.Item?.record_id);
}

const throttled = () => new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: { httpStatusCode: 400 } });

beforeEach(() => {
  ddbMock.reset();
  ddbMock.on(GetCommand).resolves({});
  ddbMock.on(BatchGetCommand).resolves(stored());
  ddbMock.on(PutCommand).resolves({});
  ddbMock.on(DeleteCommand).resolves({});
});

describe('locked orders', () => {
  it('409 ORDER_LOCKED naming the submitted order, and no PutItem is sent', async () => {
    const { post } = setup();
    ddbMock.on(BatchGetCommand).resolves(stored(orderItem({ record_id: 'order-1', status: 'submitted', auction_id: '2026-03-10T2000Z' })));

    const response = await post(JSON.stringify(orders(3)));

    expect(response.statusCode).toBe(409);
    expect(response.headers).toMatchObject({ 'Content-Type': 'application/json' });
    expect(response.json).toEqual({
      error: {
        code: 'ORDER_LOCKED',
        message: expect.stringContaining('"order-1"'),
        details: [{ path: '/1/record_id', message: 'order order-1 was submitted to auction 2026-03-10T2000Z and can no longer change' }],
      },
    });
    expect(ddbMock).toHaveReceivedCommandTimes(PutCommand, 0);
    expect(ddbMock).toHaveReceivedCommandTimes(DeleteCommand, 0);
  });

  it.each(['submitted', 'accepted', 'rejected', 'failed'])('a %s order locks', async (status) => {
    const { post } = setup();
    ddbMock.on(BatchGetCommand).resolves(stored(orderItem({ record_id: 'order-0', status })));

    const response = await post(JSON.stringify(orders(2)));

    expect(response.statusCode).toBe(409);
    expect(ddbMock).toHaveReceivedCommandTimes(PutCommand, 0);
  });

  it('lists every locked id in body order, capping the message at 10 ids and the details at 20', async () => {
    const { post } = setup();
    const locked = orders(30).map((order) => orderItem({ record_id: order.record_id, status: 'accepted' })).reverse();
    ddbMock.on(BatchGetCommand).resolves(stored(...locked));

    const response = await post(JSON.stringify(orders(30)));

    expect(response.statusCode).toBe(409);
    expect(response.json.error.message).toMatch(/^30 orders were submitted to an auction .*"order-0", "order-1", .*"order-9" and 20 more$/);
    expect(response.json.error.details).toHaveLength(20);
    expect(response.json.error.details[0].path).toBe('/0/record_id');
    expect(response.json.error.details[19].path).toBe('/19/record_id');
  });

  it('a received order is replaced (last write wins) and moves to the open auction', async () => {
    const { post } = setup();
    ddbMock.on(BatchGetCommand).resolves(stored(orderItem({ record_id: 'order-0', auction_id: '2026-03-10T2000Z', parameter_1: 'old' })));

    const response = await post(JSON.stringify(orders(2)));

    expect(response.statusCode).toBe(201);
    expect(ddbMock).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ record_id: 'order-0', parameter_1: 'p0', auction_id: OPEN_AUCTION, received_at: NOW_ISO }),
    });
  });

  it('an expired order does not lock, even if DynamoDB has not deleted it yet', async () => {
    const { post } = setup();
    const expired = Math.floor(NOW.getTime() / 1000) - 1;
    ddbMock.on(BatchGetCommand).resolves(stored(orderItem({ record_id: 'order-0', status: 'accepted', ttl: expired })));

    const response = await post(JSON.stringify(orders(2)));

    expect(response.statusCode).toBe(201);
    expect(putRecordIds()).toEqual(['order-0', 'order-1']);
  });

  it('only the calling customer\'s orders are read', async () => {
    const { post } = setup();

    await post(JSON.stringify(orders(2)));

    const keys = ddbMock.commandCalls(BatchGetCommand)[0].args[0].input.RequestItems?.[TABLE]?.Keys;
    expect(keys?.map((key) => key.customer)).toEqual([CUSTOMER, CUSTOMER]);
  });
});

describe('a request of one order: its conditional write is the lock check', () => {
  it('sends no read before the write, and the write carries the lock condition', async () => {
    const { post } = setup();

    const response = await post(JSON.stringify(orders(1)));

    expect(response.statusCode).toBe(201);
    expect(ddbMock).toHaveReceivedCommandTimes(BatchGetCommand, 0);
    expect(ddbMock).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ record_id: 'order-0', status: 'received', auction_id: OPEN_AUCTION }),
      ConditionExpression: 'attribute_not_exists(record_id) OR #status = :received OR #ttl <= :now',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('a refused write is 409 naming the auction from the returned image; nothing to undo', async () => {
    const { post } = setup();
    ddbMock.on(PutCommand).rejects(conditionFailed(orderItem({ record_id: 'order-0', status: 'submitted', auction_id: '2026-03-10T2000Z' })));

    const response = await post(JSON.stringify(orders(1)));

    expect(response.statusCode).toBe(409);
    expect(response.json.error).toEqual({
      code: 'ORDER_LOCKED',
      message: expect.stringContaining('"order-0"'),
      details: [{ path: '/0/record_id', message: 'order order-0 was submitted to auction 2026-03-10T2000Z and can no longer change' }],
    });
    expect(ddbMock).toHaveReceivedCommandTimes(PutCommand, 1);
    expect(ddbMock).toHaveReceivedCommandTimes(DeleteCommand, 0);
    expect(ddbMock).toHaveReceivedCommandTimes(BatchGetCommand, 0);
  });

  it('reads the order to name its auction when the refusal carries no image (as local emulators answer)', async () => {
    const { post } = setup();
    ddbMock.on(PutCommand).rejects(conditionFailed());
    ddbMock.on(BatchGetCommand).resolves(stored(orderItem({ record_id: 'order-0', status: 'accepted', auction_id: '2026-03-10T1900Z' })));

    const response = await post(JSON.stringify(orders(1)));

    expect(response.statusCode).toBe(409);
    expect(response.json.error.details).toEqual([
      { path: '/0/record_id', message: 'order order-0 was submitted to auction 2026-03-10T1900Z and can no longer change' },
    ]);
    expect(ddbMock).toHaveReceivedCommandTimes(DeleteCommand, 0);
  });
});

describe('the open auction is read once per half second', () => {
  it('a request within 500 ms of the last read reuses it; a later one, or one after the gate, reads again', async () => {
    let now = NOW;
    const { post } = setup({ memo: true, now: () => now });

    await post(JSON.stringify(orders(1)));
    now = new Date(NOW.getTime() + 500);
    await post(JSON.stringify(orders(1)));
    expect(ddbMock).toHaveReceivedCommandTimes(GetCommand, 1);

    now = new Date(NOW.getTime() + 501);
    await post(JSON.stringify(orders(1)));
    expect(ddbMock).toHaveReceivedCommandTimes(GetCommand, 2);

    // Past the gate the request belongs to the next auction: what was seen before says nothing about it.
    now = new Date('2026-03-10T21:00:00.100Z');
    const response = await post(JSON.stringify(orders(1)));
    expect(ddbMock).toHaveReceivedCommandTimes(GetCommand, 3);
    expect(ddbMock.commandCalls(GetCommand)[2].args[0].input.Key).toEqual({ customer: '#auction', record_id: '2026-03-10T2200Z' });
    expect(response.statusCode).toBe(201);
  });

  it('what is reused is the first open auction after the closed ones', async () => {
    let now = NOW;
    const { post } = setup({ memo: true, now: () => now });
    ddbMock.on(GetCommand, { Key: { customer: '#auction', record_id: OPEN_AUCTION } }).resolves({ Item: { closed_at: NOW_ISO } });

    await post(JSON.stringify(orders(1)));
    now = new Date(NOW.getTime() + 100);
    await post(JSON.stringify(orders(1)));

    expect(ddbMock).toHaveReceivedCommandTimes(GetCommand, 2);
    expect(ddbMock.commandCalls(PutCommand).map((call) => call.args[0].input.Item?.auction_id)).toEqual(['2026-03-10T2200Z', '2026-03-10T2200Z']);
  });
});

describe('an auction run locks an order between the check and the write', () => {
  const previousImage = orderItem({ record_id: 'order-0', parameter_1: 'before', received_at: '2026-03-10T20:01:00.000Z' });

  it('puts the written orders back (image or delete, only if still ours) and answers 409 for the failed id', async () => {
    const { post } = setup();
    ddbMock.on(BatchGetCommand).resolves(stored(previousImage));
    ddbMock
      .on(PutCommand, { Item: { record_id: 'order-1' } })
      .rejects(conditionFailed(orderItem({ record_id: 'order-1', status: 'submitted', auction_id: OPEN_AUCTION })));

    const response = await post(JSON.stringify(orders(3)));

    expect(response.statusCode).toBe(409);
    expect(response.json.error).toEqual({
      code: 'ORDER_LOCKED',
      message: expect.stringContaining('"order-1"'),
      details: [{ path: '/1/record_id', message: `order order-1 was submitted to auction ${OPEN_AUCTION} and can no longer change` }],
    });
    const stillOurs = {
      ConditionExpression: '#received_at = :mine AND #status = :received',
      ExpressionAttributeNames: { '#received_at': 'received_at', '#status': 'status' },
      ExpressionAttributeValues: { ':mine': NOW_ISO, ':received': 'received' },
    };
    // order-0 existed: its image goes back; order-2 did not: it is deleted; order-1 was never written.
    expect(ddbMock).toHaveReceivedCommandWith(PutCommand, {
      TableName: TABLE,
      Item: { ...previousImage, parameter_2: NumberValue.from('1') },
      ...stillOurs,
    });
    expect(ddbMock).toHaveReceivedCommandWith(DeleteCommand, { TableName: TABLE, Key: { customer: CUSTOMER, record_id: 'order-2' }, ...stillOurs });
    expect(ddbMock).toHaveReceivedCommandTimes(DeleteCommand, 1);
    expect(ddbMock).toHaveReceivedCommandTimes(PutCommand, 4); // 3 writes + 1 restore
  });

  it('starts no new write after a refusal and undoes only what was sent', async () => {
    const { post } = setup({ concurrency: 1 });
    ddbMock.on(PutCommand, { Item: { record_id: 'order-5' } }).rejects(conditionFailed());

    const response = await post(JSON.stringify(orders(30)));

    expect(response.statusCode).toBe(409);
    expect(putRecordIds()).toEqual(['order-0', 'order-1', 'order-2', 'order-3', 'order-4', 'order-5']);
    const deleted = ddbMock.commandCalls(DeleteCommand).map((call) => call.args[0].input.Key?.record_id);
    expect(deleted).toEqual(['order-0', 'order-1', 'order-2', 'order-3', 'order-4']);
    // Without the item in the error (local emulators) the auction is not named.
    expect(response.json.error.details).toEqual([{ path: '/5/record_id', message: 'order order-5 was submitted to an auction and can no longer change' }]);
  });

  it('leaves an item alone that changed after this request wrote it, and still answers 409', async () => {
    const { post } = setup();
    ddbMock.on(PutCommand, { Item: { record_id: 'order-1' } }).rejects(conditionFailed());
    ddbMock.on(DeleteCommand, { Key: { record_id: 'order-0' } }).rejects(conditionFailed());

    const response = await post(JSON.stringify(orders(2)));

    expect(response.statusCode).toBe(409);
    expect(ddbMock).toHaveReceivedCommandTimes(DeleteCommand, 1);
  });

  it('answers 503 when the rollback cannot finish within its budget', async () => {
    const { post } = setup();
    ddbMock.on(PutCommand, { Item: { record_id: 'order-1' } }).rejects(conditionFailed());
    ddbMock.on(DeleteCommand).rejects(throttled());

    const response = await post(JSON.stringify(orders(2)));

    expect(response.statusCode).toBe(503);
    expect(response.headers).toMatchObject({ 'Retry-After': '2' });
    expect(ddbMock.commandCalls(DeleteCommand).length).toBeGreaterThan(1);
  });
});

describe('retries', () => {
  it('retries the unprocessed keys of a BatchGet, and only those', async () => {
    const { post } = setup();
    const keyOf = (recordId: string) => ({ customer: CUSTOMER, record_id: recordId });
    ddbMock
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { [TABLE]: [] }, UnprocessedKeys: { [TABLE]: { Keys: [keyOf('order-1'), keyOf('order-2')] } } })
      .resolvesOnce({ Responses: { [TABLE]: [] }, UnprocessedKeys: { [TABLE]: { Keys: [keyOf('order-2')] } } })
      .resolves(stored(orderItem({ record_id: 'order-2', status: 'submitted' })));

    const response = await post(JSON.stringify(orders(3)));

    expect(ddbMock).toHaveReceivedCommandTimes(BatchGetCommand, 3);
    // Call 1 is the auction lookup, call 2 the first BatchGet.
    expect(ddbMock).toHaveReceivedNthCommandWith(3, BatchGetCommand, {
      RequestItems: { [TABLE]: { Keys: [keyOf('order-1'), keyOf('order-2')], ConsistentRead: true } },
    });
    expect(ddbMock).toHaveReceivedNthCommandWith(4, BatchGetCommand, {
      RequestItems: { [TABLE]: { Keys: [keyOf('order-2')], ConsistentRead: true } },
    });
    // What the last retry read counts: order-2 is locked.
    expect(response.statusCode).toBe(409);
    expect(response.json.error.details).toEqual([expect.objectContaining({ path: '/2/record_id' })]);
  });

  it('answers 503 without writing when the orders cannot be read', async () => {
    const { post } = setup();
    ddbMock.on(BatchGetCommand).rejects(throttled());

    const response = await post(JSON.stringify(orders(2)));

    expect(response.statusCode).toBe(503);
    expect(ddbMock.commandCalls(BatchGetCommand).length).toBeLessThanOrEqual(10);
    expect(ddbMock).toHaveReceivedCommandTimes(PutCommand, 0);
  });

  it('retries a throttled auction lookup', async () => {
    const { post } = setup();
    ddbMock.on(GetCommand).rejectsOnce(throttled()).resolves({});

    const response = await post(JSON.stringify(orders(1)));

    expect(response.statusCode).toBe(201);
    expect(ddbMock).toHaveReceivedCommandTimes(GetCommand, 2);
  });

  it('retries PutItem throttling and 5xx with full-jitter backoff, then succeeds', async () => {
    const { post, time } = setup();
    ddbMock
      .on(PutCommand)
      .rejectsOnce(throttled())
      .rejectsOnce(new InternalServerError({ message: 'oops', $metadata: { httpStatusCode: 500 } }))
      .resolves({});

    const response = await post(JSON.stringify(orders(1)));

    expect(response.statusCode).toBe(201);
    expect(JSON.parse(response.body)).toEqual({ accepted: 1 });
    expect(putRecordIds()).toEqual(['order-0', 'order-0', 'order-0']);
    // random() = 0.5 of an exponentially growing ceiling (50 ms, 100 ms).
    expect(time.sleep.mock.calls).toEqual([[25], [50]]);
  });

  it('answers 503 with Retry-After when throttling never stops, after bounded attempts and time', async () => {
    const { post, time } = setup({ concurrency: 1 });
    ddbMock.on(PutCommand).rejects(throttled());

    const response = await post(JSON.stringify(orders(5)));

    expect(response.statusCode).toBe(503);
    expect(response.headers).toMatchObject({ 'Content-Type': 'application/json', 'Retry-After': '2' });
    expect(response.json).toEqual({ error: { code: 'SERVICE_UNAVAILABLE', message: expect.any(String), details: [] } });
    const calls = ddbMock.commandCalls(PutCommand).length;
    expect(calls).toBeGreaterThan(2);
    expect(calls).toBeLessThanOrEqual(10); // the first order's attempts; no further order starts
    expect(new Set(putRecordIds())).toEqual(new Set(['order-0']));
    expect(time.slept()).toBeLessThanOrEqual(RETRY_BUDGET_MS);
  });

  it('stops at the time budget, not only at the attempt cap', async () => {
    const time = fakeTime();
    const store = new storeModule.DynamoDbOrderStore({
      client: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
      tableName: TABLE,
      retryBudgetMs: 300,
      sleep: time.sleep,
      nowMs: time.nowMs,
      random: () => 0.99,
      maxAttempts: 1000,
    });
    ddbMock.on(PutCommand).rejects(throttled());
    const order = { customer: CUSTOMER, record_id: 'a', parameter_1: 'x', parameter_2: '1', ttl: 1, received_at: NOW_ISO, status: 'received' as const, auction_id: OPEN_AUCTION };

    await expect(store.putAll([])).resolves.toEqual({ refused: [], sent: [] });
    const error = await store.putAll([order]).catch((e: unknown) => e);

    expect(error).toBeInstanceOf((await import('../../src/orders/errors')).StorageUnavailableError);
    expect(time.slept()).toBeLessThanOrEqual(300);
    expect(ddbMock.commandCalls(PutCommand).length).toBeLessThan(10);
  });
});

describe('unexpected failures', () => {
  it('does not retry a non-retryable SDK error and answers 500 without internals', async () => {
    const { post } = setup();
    const secret = `ValidationException on table arn:aws:dynamodb:eu-west-1:123456789012:table/${TABLE}`;
    ddbMock.on(PutCommand).rejects(Object.assign(new Error(secret), { name: 'ValidationException', $fault: 'client' }));

    const response = await post(JSON.stringify(orders(1)));

    expect(response.statusCode).toBe(500);
    expect(response.json).toEqual({ error: { code: 'INTERNAL_ERROR', message: 'Internal server error', details: [] } });
    expect(response.body).not.toContain(TABLE);
    expect(ddbMock).toHaveReceivedCommandTimes(PutCommand, 1);
  });

  it('answers 500 for a stored item that is not an order', async () => {
    const { post } = setup();
    ddbMock.on(BatchGetCommand).resolves(stored({ customer: CUSTOMER, record_id: 'order-0', status: 'weird' }));

    const response = await post(JSON.stringify(orders(2)));

    expect(response.statusCode).toBe(500);
    expect(ddbMock).toHaveReceivedCommandTimes(PutCommand, 0);
  });

  it('answers 500 for an unexpected error from the store', async () => {
    const { store } = newStore();
    jest.spyOn(store, 'putAll').mockRejectedValue(new TypeError('cannot read properties of undefined (secret)'));
    const { post } = setup({ store });

    const response = await post(JSON.stringify(orders(1)));

    expect(response.statusCode).toBe(500);
    expect(response.headers).toMatchObject({ 'Content-Type': 'application/json' });
    expect(response.body).not.toMatch(/secret|TypeError/);
  });
});
