// Scenarios: accepted -> PutObject with exact key/body/content type, date from startTime not now, rejected -> OrderRejected and nothing written, invalid inputs -> InvalidOrderResult, S3 failure -> ResultStoreUnavailable, missing bucket env, metrics.
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import type { Context } from 'aws-lambda';
import { createHandler } from '../../src/handlers/store-result';
import { logger, metrics } from '../../src/shared/powertools';

const s3 = mockClient(S3Client);
const context = { functionName: 'store-result', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;
const NOW = new Date('2024-03-02T10:00:00.000Z');

const item = (overrides: Record<string, unknown> = {}) => ({
  order: { status: 'accepted', power: 12.5 },
  index: 7,
  executionName: 'run-2024-abc',
  // Started just before midnight UTC: the key must use this date, not NOW's.
  startTime: '2024-03-01T23:59:30.000Z',
  ...overrides,
});

describe('store-result handler', () => {
  let addMetric: jest.SpyInstance;

  beforeAll(() => logger.setLogLevel('SILENT'));

  beforeEach(() => {
    s3.reset();
    jest.restoreAllMocks();
    process.env.RESULTS_BUCKET_NAME = 'order-results-test';
    addMetric = jest.spyOn(metrics, 'addMetric');
    jest.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => {
      metrics.clearMetrics();
      return metrics;
    });
    jest.spyOn(metrics, 'captureColdStartMetric').mockImplementation(() => undefined);
  });

  afterAll(() => delete process.env.RESULTS_BUCKET_NAME);

  it('writes an accepted order under the deterministic key and returns it', async () => {
    // Arrange
    s3.on(PutObjectCommand).resolves({});
    const handler = createHandler({ now: () => NOW });
    const key = 'orders/date=2024-03-01/run=run-2024-abc/order-000007.json';

    // Act
    const result = await handler(item({ order: { status: 'accepted', power: 12.5, record_id: 'r1' } }), context);

    // Assert
    expect(result).toEqual({ status: 'stored', index: 7, key });
    expect(s3).toReceiveCommandTimes(PutObjectCommand, 1);
    expect(s3).toReceiveCommandWith(PutObjectCommand, {
      Bucket: 'order-results-test',
      Key: key,
      ContentType: 'application/json',
      Body: JSON.stringify({
        order: { status: 'accepted', power: 12.5, record_id: 'r1' },
        index: 7,
        executionName: 'run-2024-abc',
        stored_at: '2024-03-02T10:00:00.000Z',
      }),
    });
    expect(addMetric).toHaveBeenCalledWith('OrdersStored', 'Count', 1);
  });

  it('writes the same key when the item is retried later', async () => {
    // Arrange
    s3.on(PutObjectCommand).resolves({});

    // Act
    const first = await createHandler({ now: () => NOW })(item({ index: 123456 }), context);
    const retried = await createHandler({ now: () => new Date('2024-03-05T00:00:00Z') })(item({ index: 123456 }), context);

    // Assert
    expect(retried.key).toBe(first.key);
    expect(first.key).toBe('orders/date=2024-03-01/run=run-2024-abc/order-123456.json');
  });

  it('throws OrderRejected for a rejected order and writes nothing', async () => {
    // Arrange
    const handler = createHandler({ now: () => NOW });

    // Act
    const outcome = handler(item({ order: { status: 'rejected', power: 42 }, index: 3 }), context);

    // Assert
    await expect(outcome).rejects.toMatchObject({ name: 'OrderRejected', message: expect.stringMatching(/Order 3 .*power 42/) });
    expect(s3).not.toReceiveCommand(PutObjectCommand);
    expect(addMetric).toHaveBeenCalledWith('OrdersRejected', 'Count', 1);
    // Counted before this invocation's metrics are flushed, not carried into the next one.
    const counted = addMetric.mock.invocationCallOrder[addMetric.mock.calls.findIndex(([name]) => name === 'OrdersRejected')];
    const flushed = (metrics.publishStoredMetrics as unknown as jest.SpyInstance).mock.invocationCallOrder[0];
    expect(counted).toBeLessThan(flushed);
  });

  it.each([
    ['missing status', item({ order: { power: 1 } })],
    ['unknown status', item({ order: { status: 'pending', power: 1 } })],
    ['non-numeric power', item({ order: { status: 'accepted', power: '5' } })],
    ['order not an object', item({ order: 'accepted' })],
    ['negative index', item({ index: -1 })],
    ['fractional index', item({ index: 1.5 })],
    ['execution name with a slash', item({ executionName: 'a/b' })],
    ['missing execution name', item({ executionName: undefined })],
    ['invalid startTime', item({ startTime: 'yesterday' })],
    ['null event', null],
  ])('throws InvalidOrderResult for %s and writes nothing', async (_case, event) => {
    await expect(createHandler()(event, context)).rejects.toMatchObject({ name: 'InvalidOrderResult' });
    expect(s3).not.toReceiveCommand(PutObjectCommand);
  });

  it('turns an S3 failure into ResultStoreUnavailable', async () => {
    // Arrange
    s3.on(PutObjectCommand).rejects(Object.assign(new Error('Service unavailable'), { name: 'ServiceUnavailable' }));

    // Act
    const outcome = createHandler({ now: () => NOW })(item(), context);

    // Assert
    await expect(outcome).rejects.toMatchObject({
      name: 'ResultStoreUnavailable',
      message: expect.stringContaining('ServiceUnavailable'),
    });
    expect(addMetric).not.toHaveBeenCalledWith('OrdersStored', 'Count', 1);
  });

  it('fails naming RESULTS_BUCKET_NAME when it is not set', async () => {
    delete process.env.RESULTS_BUCKET_NAME;
    await expect(createHandler()(item(), context)).rejects.toThrow('RESULTS_BUCKET_NAME');
    expect(s3).not.toReceiveCommand(PutObjectCommand);
  });
});
