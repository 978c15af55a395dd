// Scenarios: UnprocessedItems cleared after retries (only the leftovers resent, full-jitter backoff), never cleared -> 503 + Retry-After with bounded attempts and time, SDK throttling/5xx retried, persistent throttling -> 503, non-retryable SDK error and unexpected store error -> 500 without leaking internals.
import { DynamoDBClient, InternalServerError, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, type BatchWriteCommandOutput, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { fakeTime, lambdaContext, orders, postEvent, setHandlerEnv } from '../fixtures/orders/events';

setHandlerEnv();

type HandlerModule = typeof import('../../src/handlers/post-orders');
type StoreModule = typeof import('../../src/adapters/dynamodb-order-store');

const TABLE = 'orders-test';
const RETRY_BUDGET_MS = 2000;
const ddbMock = mockClient(DynamoDBDocumentClient);

let mod: HandlerModule;
let storeModule: StoreModule;

beforeAll(async () => {
  mod = await import('../../src/handlers/post-orders');
  storeModule = await import('../../src/adapters/dynamodb-order-store');
});

function setup(storeOverride?: { putAll: () => Promise<void> }) {
  const time = fakeTime();
  const store =
    storeOverride ??
    new storeModule.DynamoDbOrderStore({
      client: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
      tableName: TABLE,
      retryBudgetMs: RETRY_BUDGET_MS,
      sleep: time.sleep,
      nowMs: time.nowMs,
      random: () => 0.5,
    });
  const handler = mod.createPostOrdersHandler({
    store,
    now: () => new Date('2025-01-02T03:04:05.678Z'),
    config: { maxOrders: 1000, maxBodyBytes: 1_048_576, ttlHours: 24 },
  });
  const post = async (body: string) => handler(postEvent(body), lambdaContext);
  return { time, post };
}

/** The put requests of the nth BatchWriteCommand, as DynamoDB would return them in UnprocessedItems. */
function requestsOfCall(n: number) {
  return ddbMock.commandCalls(BatchWriteCommand)[n].args[0].input.RequestItems?.[TABLE] ?? [];
}

function recordIdsOfCall(n: number): unknown[] {
  return requestsOfCall(n).map((request) => request.PutRequest?.Item?.record_id);
}

function unprocessed(requests: ReturnType<typeof requestsOfCall>): BatchWriteCommandOutput {
  return { UnprocessedItems: { [TABLE]: requests }, $metadata: {} };
}

beforeEach(() => {
  ddbMock.reset();
});

describe('retries', () => {
  it('resends only the unprocessed items until they clear, backing off with full jitter', async () => {
    const { time, post } = setup();
    ddbMock
      .on(BatchWriteCommand)
      .callsFakeOnce((input) => unprocessed(input.RequestItems[TABLE].slice(1)))
      .callsFakeOnce((input) => unprocessed(input.RequestItems[TABLE].slice(1)))
      .resolves({ UnprocessedItems: {} });

    const response = await post(JSON.stringify(orders(3)));

    expect(response.statusCode).toBe(201);
    expect(JSON.parse(response.body)).toEqual({ accepted: 3 });
    expect(ddbMock).toHaveReceivedCommandTimes(BatchWriteCommand, 3);
    expect(recordIdsOfCall(0)).toEqual(['order-0', 'order-1', 'order-2']);
    expect(recordIdsOfCall(1)).toEqual(['order-1', 'order-2']);
    expect(recordIdsOfCall(2)).toEqual(['order-2']);
    // random() = 0.5 of an exponentially growing ceiling (50 ms, 100 ms).
    expect(time.sleep.mock.calls).toEqual([[25], [50]]);
  });

  it('answers 503 with Retry-After when items never clear, after bounded attempts and time', async () => {
    const { time, post } = setup();
    ddbMock.on(BatchWriteCommand).callsFake((input) => unprocessed(input.RequestItems[TABLE]));

    const response = await post(JSON.stringify(orders(30)));

    expect(response.statusCode).toBe(503);
    expect(response.headers).toMatchObject({ 'Content-Type': 'application/json', 'Retry-After': '2' });
    expect(JSON.parse(response.body)).toEqual({
      error: { code: 'SERVICE_UNAVAILABLE', message: expect.any(String), details: [] },
    });
    const calls = ddbMock.commandCalls(BatchWriteCommand).length;
    expect(calls).toBeGreaterThan(2);
    expect(calls).toBeLessThanOrEqual(2 * 10); // two batches, at most 10 attempts each
    expect(time.slept()).toBeLessThanOrEqual(RETRY_BUDGET_MS * 2); // two batches sleeping side by side
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
    ddbMock.on(BatchWriteCommand).callsFake((input) => unprocessed(input.RequestItems[TABLE]));

    await expect(store.putAll([])).resolves.toBeUndefined();
    const error = await store
      .putAll([{ record_id: 'a', parameter_1: 'x', parameter_2: '1', ttl: 1, received_at: 'now' }])
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf((await import('../../src/orders/errors')).StorageUnavailableError);
    expect(time.slept()).toBeLessThanOrEqual(300);
    expect(ddbMock.commandCalls(BatchWriteCommand).length).toBeLessThan(10);
  });

  it('retries an SDK throttling error and then succeeds', async () => {
    const { post } = setup();
    ddbMock
      .on(BatchWriteCommand)
      .rejectsOnce(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: { httpStatusCode: 400 } }))
      .rejectsOnce(new InternalServerError({ message: 'oops', $metadata: { httpStatusCode: 500 } }))
      .resolves({ UnprocessedItems: {} });

    const response = await post(JSON.stringify(orders(2)));

    expect(response.statusCode).toBe(201);
    expect(ddbMock).toHaveReceivedCommandTimes(BatchWriteCommand, 3);
    expect(recordIdsOfCall(2)).toEqual(['order-0', 'order-1']);
  });

  it('answers 503 when throttling never stops', async () => {
    const { post } = setup();
    ddbMock
      .on(BatchWriteCommand)
      .rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: { httpStatusCode: 400 } }));

    const response = await post(JSON.stringify(orders(2)));

    expect(response.statusCode).toBe(503);
    expect(response.headers?.['Retry-After']).toBe('2');
    expect(ddbMock.commandCalls(BatchWriteCommand).length).toBeLessThanOrEqual(10);
  });
});

describe('unexpected failures', () => {
  it('does not retry a non-retryable SDK error and answers 500 without internals', async () => {
    const { post } = setup();
    const secret = `ValidationException on table arn:aws:dynamodb:eu-west-1:123456789012:table/${TABLE}`;
    ddbMock.on(BatchWriteCommand).rejects(Object.assign(new Error(secret), { name: 'ValidationException', $fault: 'client' }));

    const response = await post(JSON.stringify(orders(2)));

    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toEqual({ error: { code: 'INTERNAL_ERROR', message: 'Internal server error', details: [] } });
    expect(response.body).not.toContain(TABLE);
    expect(ddbMock).toHaveReceivedCommandTimes(BatchWriteCommand, 1);
  });

  it('answers 500 for an unexpected error from the store', async () => {
    const { post } = setup({ putAll: () => Promise.reject(new TypeError('cannot read properties of undefined (secret)')) });

    const response = await post(JSON.stringify(orders(1)));

    expect(response.statusCode).toBe(500);
    expect(response.headers).toMatchObject({ 'Content-Type': 'application/json' });
    expect(response.body).not.toMatch(/secret|TypeError/);
  });
});
