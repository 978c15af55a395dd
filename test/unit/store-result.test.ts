// Scenarios: accepted -> S3 put at the deterministic key with parameter_2's exact digits, then the order accepted with result and result_key (in that order); rejected -> recorded then OrderRejected; unknown order (other auction, still received, absent) -> UnknownOrder with no S3 put and no update; bad results -> InvalidOrderResult; failure mode records failed with its reason; S3 down -> ResultStoreUnavailable and the order stays submitted; a retried item writes the same key; handler: PutObject sent, metrics, InvalidTaskInput.
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { S3ResultStore } from '../../src/adapters/s3-result-store';
import { createHandler } from '../../src/handlers/store-result';
import type { ResultStore } from '../../src/results/result-store';
import { storeResult } from '../../src/results/store-result';
import { logger, metrics } from '../../src/shared/powertools';
import { AUCTION, InMemoryAuctionStore, NEXT_AUCTION, storedOrder } from '../fixtures/auction-store';

const s3 = mockClient(S3Client);
const context = { functionName: 'store-result', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;
const NOW = new Date('2026-12-01T21:05:00.000Z');
const KEY = 'results/auction=2026-12-01T2100Z/customer=alpha/unique_id_1.json';

/** Records what it is asked to write. */
class RecordingResultStore implements ResultStore {
  readonly puts: Array<{ key: string; body: string }> = [];
  async putJson(key: string, body: string): Promise<void> {
    this.puts.push({ key, body });
  }
}

const submitted = (recordId: string, overrides: Parameters<typeof storedOrder>[1] = {}) =>
  storedOrder(recordId, { status: 'submitted', submitted_at: '2026-12-01T21:00:45.000Z', submitted_by: 'exec-1', ...overrides });

const accepted = { order_id: 'alpha:unique_id_1', status: 'accepted', cleared_volume: 4, clearing_price: 81.25 };
const rejected = { order_id: 'alpha:unique_id_1', status: 'rejected', reason: 'price above the limit' };
const item = (result: unknown, extra: Record<string, unknown> = {}) => ({ auction_id: AUCTION, execution_name: 'exec-1', result, ...extra });

function setup(orders = [submitted('unique_id_1', { parameter_2: '12345678901234567890.000000000000000001' })]) {
  const store = new InMemoryAuctionStore(orders);
  const results = new RecordingResultStore();
  return { store, results, deps: { orders: store, results, now: () => NOW } };
}

/** The rejection of a promise, so its class, name and message can all be asserted. */
async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('storeResult', () => {
  beforeEach(() => s3.reset());

  it('writes an accepted result to its key with the exact parameter_2 digits, then marks the order accepted', async () => {
    // Arrange
    const { store, results, deps } = setup();
    const put = jest.spyOn(results, 'putJson');
    const record = jest.spyOn(store, 'recordOutcome');

    // Act
    const outcome = await storeResult(item(accepted), deps);

    // Assert
    expect(outcome).toEqual({ status: 'accepted', customer: 'alpha', record_id: 'unique_id_1', key: KEY });
    expect(results.puts).toEqual([{
      key: KEY,
      body:
        '{"auction_id":"2026-12-01T2100Z","customer":"alpha","record_id":"unique_id_1","parameter_1":"abc",' +
        '"parameter_2":12345678901234567890.000000000000000001,"received_at":"2026-12-01T20:10:00.000Z",' +
        '"submitted_at":"2026-12-01T21:00:45.000Z","result":{"order_id":"alpha:unique_id_1","status":"accepted",' +
        '"cleared_volume":4,"clearing_price":81.25},"stored_at":"2026-12-01T21:05:00.000Z"}',
    }]);
    expect(put.mock.invocationCallOrder[0]).toBeLessThan(record.mock.invocationCallOrder[0]);
    expect(store.get('alpha', 'unique_id_1')).toMatchObject({
      status: 'accepted',
      result: accepted,
      result_key: KEY,
      finished_at: '2026-12-01T21:05:00.000Z',
      parameter_2: '12345678901234567890.000000000000000001',
    });
  });

  it('records a rejected result on the order, then raises OrderRejected', async () => {
    // Arrange
    const { store, results, deps } = setup();

    // Act
    const error = await rejectionOf(storeResult(item(rejected), deps));

    // Assert
    expect(error.name).toBe('OrderRejected');
    expect(error.message).toBe('Order unique_id_1 of customer alpha was rejected by auction 2026-12-01T2100Z: price above the limit');
    expect(store.get('alpha', 'unique_id_1')).toMatchObject({ status: 'rejected', result: rejected, finished_at: '2026-12-01T21:05:00.000Z' });
    expect(store.get('alpha', 'unique_id_1')?.result_key).toBeUndefined();
    expect(results.puts).toEqual([]);
  });

  it.each([
    ['absent from the table', []],
    ['in another auction', [submitted('unique_id_1', { auction_id: NEXT_AUCTION })]],
    ['still received (not submitted)', [storedOrder('unique_id_1')]],
    ['of another customer', [submitted('unique_id_1', { customer: 'beta' })]],
  ])('fails an accepted result for an order %s with UnknownOrder, writing nothing', async (_case, orders) => {
    // Arrange
    const { store, results, deps } = setup(orders);
    const before = store.all();
    const record = jest.spyOn(store, 'recordOutcome');

    // Act
    const error = await rejectionOf(storeResult(item(accepted), deps));

    // Assert
    expect(error.name).toBe('UnknownOrder');
    expect(error.message).toBe('Order unique_id_1 of customer alpha is not a submitted order of auction 2026-12-01T2100Z');
    expect(results.puts).toEqual([]);
    expect(record).not.toHaveBeenCalled();
    expect(store.all()).toEqual(before);
  });

  it('fails a rejected result for an order of another auction with UnknownOrder, leaving that order alone', async () => {
    // Arrange
    const { store, deps } = setup([submitted('unique_id_1', { auction_id: NEXT_AUCTION })]);

    // Act
    const error = await rejectionOf(storeResult(item(rejected), deps));

    // Assert
    expect(error.name).toBe('UnknownOrder');
    expect(store.get('alpha', 'unique_id_1')).toMatchObject({ status: 'submitted', auction_id: NEXT_AUCTION });
  });

  it.each([
    ['no order_id', { status: 'accepted' }],
    ['an order_id without customer', { order_id: 'unique_id_1', status: 'accepted' }],
    ['an order_id with an invalid customer', { order_id: 'al pha:unique_id_1', status: 'accepted' }],
    ['an order_id with an empty record_id', { order_id: 'alpha:', status: 'accepted' }],
    ['a numeric order_id', { order_id: 7, status: 'accepted' }],
    ['an unknown status', { order_id: 'alpha:unique_id_1', status: 'pending' }],
    ['no status', { order_id: 'alpha:unique_id_1' }],
    ['null', null],
    ['an array', [accepted]],
    ['a string', 'alpha:unique_id_1'],
  ])('refuses a result with %s as InvalidOrderResult', async (_case, result) => {
    // Arrange
    const { store, results, deps } = setup();

    // Act
    const error = await rejectionOf(storeResult(item(result), deps));

    // Assert
    expect(error.name).toBe('InvalidOrderResult');
    expect(results.puts).toEqual([]);
    expect(store.get('alpha', 'unique_id_1')?.status).toBe('submitted');
  });

  it('records the failure of an earlier attempt as the order\'s reason', async () => {
    // Arrange
    const { store, results, deps } = setup();

    // Act
    const outcome = await storeResult(item(accepted, { failure: { Error: 'ResultStoreUnavailable', Cause: 'S3 down' } }), deps);

    // Assert
    expect(outcome).toEqual({ status: 'failed', customer: 'alpha', record_id: 'unique_id_1' });
    expect(store.get('alpha', 'unique_id_1')).toMatchObject({ status: 'failed', reason: 'ResultStoreUnavailable', result: accepted });
    expect(results.puts).toEqual([]);
  });

  it('names the failure StoreFailed when the earlier attempt gave no error name', async () => {
    const { store, deps } = setup();
    await storeResult(item(rejected, { failure: {} }), deps);
    expect(store.get('alpha', 'unique_id_1')).toMatchObject({ status: 'failed', reason: 'StoreFailed' });
  });

  it('refuses to record a failure on an order that is not the auction\'s', async () => {
    const { store, deps } = setup([submitted('unique_id_1', { auction_id: NEXT_AUCTION })]);
    const error = await rejectionOf(storeResult(item(accepted, { failure: { Error: 'ResultStoreUnavailable' } }), deps));
    expect(error.name).toBe('UnknownOrder');
    expect(store.get('alpha', 'unique_id_1')?.status).toBe('submitted');
  });

  it('raises ResultStoreUnavailable when S3 fails, and leaves the order submitted for the retry', async () => {
    // Arrange
    const store = new InMemoryAuctionStore([submitted('unique_id_1')]);
    s3.on(PutObjectCommand).rejects(Object.assign(new Error('We encountered an internal error'), { name: 'InternalError' }));
    const results = new S3ResultStore('order-results-test', new S3Client({ region: 'eu-west-1' }));

    // Act
    const error = await rejectionOf(storeResult(item(accepted), { orders: store, results, now: () => NOW }));

    // Assert
    expect(error.name).toBe('ResultStoreUnavailable');
    expect(error.message).toBe(`Could not write s3://order-results-test/${KEY} (InternalError: We encountered an internal error)`);
    expect(s3).toReceiveCommandWith(PutObjectCommand, { Bucket: 'order-results-test', Key: KEY });
    expect(store.get('alpha', 'unique_id_1')?.status).toBe('submitted');
  });

  it('writes a retried item to the same key, overwriting itself', async () => {
    // Arrange
    const { store, results, deps } = setup();

    // Act
    const first = await storeResult(item(accepted), deps);
    const again = await storeResult(item(accepted), deps);

    // Assert
    expect(again).toEqual(first);
    expect(results.puts.map((p) => p.key)).toEqual([KEY, KEY]);
    expect(results.puts[1].body).toBe(results.puts[0].body);
    expect(store.get('alpha', 'unique_id_1')).toMatchObject({ status: 'accepted', result_key: KEY });
  });

  it('keeps two customers\' orders with the same record_id apart', async () => {
    // Arrange
    const { store, results, deps } = setup([submitted('unique_id_1'), submitted('unique_id_1', { customer: 'beta', parameter_2: '2.1' })]);

    // Act
    await storeResult(item({ ...accepted, order_id: 'beta:unique_id_1' }), deps);

    // Assert
    expect(results.puts.map((p) => p.key)).toEqual(['results/auction=2026-12-01T2100Z/customer=beta/unique_id_1.json']);
    expect(results.puts[0].body).toContain('"parameter_2":2.1,');
    expect(store.get('beta', 'unique_id_1')?.status).toBe('accepted');
    expect(store.get('alpha', 'unique_id_1')?.status).toBe('submitted');
  });
});

describe('store-result handler', () => {
  let addMetric: jest.SpyInstance;

  beforeAll(() => logger.setLogLevel('SILENT'));

  beforeEach(() => {
    s3.reset();
    jest.restoreAllMocks();
    process.env.RESULTS_BUCKET_NAME = 'order-results-test';
    delete process.env.AUCTION_PERIOD_MINUTES;
    addMetric = jest.spyOn(metrics, 'addMetric');
    jest.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => {
      metrics.clearMetrics();
      return metrics;
    });
    jest.spyOn(metrics, 'captureColdStartMetric').mockImplementation(() => undefined);
  });

  afterAll(() => delete process.env.RESULTS_BUCKET_NAME);

  it('puts an accepted result to the results bucket as JSON and counts it', async () => {
    // Arrange
    s3.on(PutObjectCommand).resolves({});
    const store = new InMemoryAuctionStore([submitted('unique_id_1', { parameter_2: '2.10' })]);
    const handler = createHandler({ now: () => NOW, orders: () => store });

    // Act
    const outcome = await handler(item(accepted), context);

    // Assert
    expect(outcome).toEqual({ status: 'accepted', customer: 'alpha', record_id: 'unique_id_1', key: KEY });
    expect(s3).toReceiveCommandTimes(PutObjectCommand, 1);
    expect(s3).toReceiveCommandWith(PutObjectCommand, {
      Bucket: 'order-results-test',
      Key: KEY,
      ContentType: 'application/json',
      Body: expect.stringContaining('"parameter_2":2.10,'),
    });
    expect(store.get('alpha', 'unique_id_1')?.status).toBe('accepted');
    expect(addMetric).toHaveBeenCalledWith('OrdersStored', 'Count', 1);
  });

  it('keeps the name OrderRejected for the state machine and counts the rejection', async () => {
    // Arrange
    const store = new InMemoryAuctionStore([submitted('unique_id_1')]);
    const handler = createHandler({ now: () => NOW, orders: () => store });

    // Act
    const error = await rejectionOf(handler(item(rejected), context));

    // Assert
    expect(error.name).toBe('OrderRejected');
    expect(s3).toReceiveCommandTimes(PutObjectCommand, 0);
    expect(addMetric).toHaveBeenCalledWith('OrdersRejected', 'Count', 1);
  });

  it('records a failure item and counts it as failed', async () => {
    // Arrange
    const store = new InMemoryAuctionStore([submitted('unique_id_1')]);
    const handler = createHandler({ now: () => NOW, orders: () => store });

    // Act
    const outcome = await handler(item(accepted, { failure: { Error: 'States.Timeout' } }), context);

    // Assert
    expect(outcome).toEqual({ status: 'failed', customer: 'alpha', record_id: 'unique_id_1' });
    expect(store.get('alpha', 'unique_id_1')).toMatchObject({ status: 'failed', reason: 'States.Timeout' });
    expect(addMetric).toHaveBeenCalledWith('OrdersFailed', 'Count', 1);
  });

  it.each([
    ['not an object', 'oops', 'Expected {auction_id, execution_name, result}'],
    ['no auction_id', { execution_name: 'exec-1', result: accepted }, 'auction_id must be an auction id, got undefined'],
    ['an auction_id off the period', { auction_id: '2026-12-01T2115Z', execution_name: 'exec-1', result: accepted }, 'auction_id must be an auction id, got "2026-12-01T2115Z"'],
    ['no execution_name', { auction_id: AUCTION, result: accepted }, 'execution_name must be a non-empty string'],
  ])('refuses a Map item with %s as InvalidTaskInput', async (_case, event, message) => {
    // Arrange
    const store = new InMemoryAuctionStore([submitted('unique_id_1')]);
    const handler = createHandler({ now: () => NOW, orders: () => store });

    // Act
    const error = await rejectionOf(handler(event, context));

    // Assert
    expect(error.name).toBe('InvalidTaskInput');
    expect(error.message).toBe(message);
    expect(s3).toReceiveCommandTimes(PutObjectCommand, 0);
    expect(store.get('alpha', 'unique_id_1')?.status).toBe('submitted');
  });
});
