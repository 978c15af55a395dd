// Scenarios: ready / not ready, deterministic answer with AUCTION_SEED (per attempt and execution), large answers offloaded to S3 above ORDERS_INLINE_LIMIT (100000 orders), S3 failure, malformed answers, invalid env and input, metrics flushed.
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { createHandler } from '../../src/handlers/fetch-results';
import { logger, metrics } from '../../src/shared/powertools';

const context = { functionName: 'fetch-results', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;
const ENV_KEYS = ['AUCTION_READY_PROBABILITY', 'AUCTION_ORDER_COUNT', 'AUCTION_REJECTED_SHARE', 'AUCTION_SEED', 'AUCTION_MALFORMED_PROBABILITY', 'ORDERS_INLINE_LIMIT', 'RESULTS_BUCKET_NAME'];
const s3 = mockClient(S3Client);

type Answer = { results: unknown; orders?: Array<{ status: string; power: number }> };

describe('fetch-results handler', () => {
  let addMetric: jest.SpyInstance;
  let publish: jest.SpyInstance;

  beforeAll(() => logger.setLogLevel('SILENT'));

  beforeEach(() => {
    ENV_KEYS.forEach((key) => delete process.env[key]);
    s3.reset();
    jest.restoreAllMocks();
    addMetric = jest.spyOn(metrics, 'addMetric');
    publish = jest.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => {
      metrics.clearMetrics();
      return metrics;
    });
    jest.spyOn(metrics, 'captureColdStartMetric').mockImplementation(() => undefined);
  });

  afterAll(() => ENV_KEYS.forEach((key) => delete process.env[key]));

  it('answers results:false when not ready and counts the poll', async () => {
    // Arrange
    process.env.AUCTION_READY_PROBABILITY = '0';
    const handler = createHandler();

    // Act
    const answer = await handler({ attempt: 1, executionName: 'run-1' }, context);

    // Assert
    expect(answer).toEqual({ results: false });
    expect(addMetric).toHaveBeenCalledWith('AuctionPolled', 'Count', 1);
    expect(addMetric).toHaveBeenCalledWith('AuctionResultsReady', 'Count', 0);
    expect(publish).toHaveBeenCalledTimes(1);
  });

  it('answers the default 2 orders with the default shares when ready', async () => {
    // Arrange: unseeded, so the injected random drives it; 0.99 never hits malformed (default 0), 0.1 < 0.5 is ready.
    const draws = [0.99, 0.1];
    const handler = createHandler({ random: () => draws.shift() ?? 0.5 });

    // Act
    const answer = (await handler({ attempt: 1, executionName: 'run-1' }, context)) as Answer;

    // Assert
    expect(answer.results).toBe(true);
    expect(answer.orders).toHaveLength(2);
    expect(answer.orders?.map((o) => o.status).sort()).toEqual(['accepted', 'rejected']);
    expect(addMetric).toHaveBeenCalledWith('AuctionResultsReady', 'Count', 1);
  });

  it('is a deterministic function of seed, execution name and attempt', async () => {
    // Arrange
    Object.assign(process.env, { AUCTION_SEED: 'bench-42', AUCTION_READY_PROBABILITY: '1', AUCTION_ORDER_COUNT: '50', AUCTION_REJECTED_SHARE: '0.2' });
    const handler = createHandler({ random: () => { throw new Error('Math.random must not be used with a seed'); } });

    // Act
    const first = await handler({ attempt: 3, executionName: 'run-a' }, context);
    const again = await handler({ attempt: 3, executionName: 'run-a' }, context);
    const otherAttempt = await handler({ attempt: 4, executionName: 'run-a' }, context);
    const otherRun = await handler({ attempt: 3, executionName: 'run-b' }, context);

    // Assert
    expect(again).toEqual(first);
    expect(otherAttempt).not.toEqual(first);
    expect(otherRun).not.toEqual(first);
    expect((first as Answer).orders?.filter((o) => o.status === 'rejected')).toHaveLength(10);
  });

  it('makes readiness deterministic too: the same seed gives the same ready/not-ready sequence', async () => {
    // Arrange
    Object.assign(process.env, { AUCTION_SEED: 's', AUCTION_READY_PROBABILITY: '0.5' });
    const handler = createHandler();
    const poll = async () => {
      const results = [];
      for (let attempt = 1; attempt <= 20; attempt++) {
        results.push(((await handler({ attempt, executionName: 'run-x' }, context)) as Answer).results);
      }
      return results;
    };

    // Act
    const first = await poll();
    const second = await poll();

    // Assert: repeatable, and a fair coin over 20 attempts yields both answers.
    expect(second).toEqual(first);
    expect(first).toContain(true);
    expect(first).toContain(false);
  });

  it('writes a large answer (100000 orders) to S3 and answers with its location', async () => {
    // Arrange
    Object.assign(process.env, { AUCTION_SEED: 'big', AUCTION_READY_PROBABILITY: '1', AUCTION_ORDER_COUNT: '100000', AUCTION_REJECTED_SHARE: '0.01', RESULTS_BUCKET_NAME: 'results' });
    s3.on(PutObjectCommand).resolves({});

    // Act
    const answer = await createHandler()({ attempt: 1, executionName: 'run-big' }, context);

    // Assert
    expect(answer).toEqual({ results: true, ordersFile: { bucket: 'results', key: 'runs/run-big/orders.json' }, orderCount: 100_000 });
    expect(s3).toReceiveCommandTimes(PutObjectCommand, 1);
    const body = JSON.parse(s3.commandCalls(PutObjectCommand)[0].args[0].input.Body as string) as Array<{ status: string }>;
    expect(body).toHaveLength(100_000);
    expect(body.filter((o) => o.status === 'rejected')).toHaveLength(1000);
  });

  it('keeps answers up to ORDERS_INLINE_LIMIT inline and needs no bucket for them', async () => {
    // Arrange
    Object.assign(process.env, { AUCTION_SEED: 's', AUCTION_READY_PROBABILITY: '1', AUCTION_ORDER_COUNT: '3', ORDERS_INLINE_LIMIT: '3' });

    // Act
    const answer = (await createHandler()({ attempt: 1, executionName: 'run-small' }, context)) as Answer;

    // Assert
    expect(answer.orders).toHaveLength(3);
    expect(s3).not.toReceiveCommand(PutObjectCommand);
  });

  it('offloads as soon as the answer exceeds ORDERS_INLINE_LIMIT; an S3 failure is ResultStoreUnavailable', async () => {
    // Arrange
    Object.assign(process.env, { AUCTION_SEED: 's', AUCTION_READY_PROBABILITY: '1', AUCTION_ORDER_COUNT: '4', ORDERS_INLINE_LIMIT: '3', RESULTS_BUCKET_NAME: 'results' });
    s3.on(PutObjectCommand).rejects(new Error('SlowDown'));

    // Act
    const outcome = createHandler()({ attempt: 2, executionName: 'run-4' }, context);

    // Assert
    await expect(outcome).rejects.toMatchObject({ name: 'ResultStoreUnavailable' });
    expect(s3).toReceiveCommandWith(PutObjectCommand, { Bucket: 'results', Key: 'runs/run-4/orders.json' });
  });

  it('returns a malformed answer when AUCTION_MALFORMED_PROBABILITY is 1', async () => {
    // Arrange
    Object.assign(process.env, { AUCTION_SEED: 'm', AUCTION_MALFORMED_PROBABILITY: '1', AUCTION_READY_PROBABILITY: '1' });

    // Act
    const answer = (await createHandler()({ attempt: 1, executionName: 'run-m' }, context)) as Answer;

    // Assert: not one of the two valid shapes.
    const valid = answer.results === false || (answer.results === true && Array.isArray(answer.orders));
    expect(valid).toBe(false);
    expect(addMetric).toHaveBeenCalledWith('AuctionResultsReady', 'Count', 0);
  });

  it.each([
    ['AUCTION_ORDER_COUNT', '100001'],
    ['AUCTION_ORDER_COUNT', '2.5'],
    ['AUCTION_READY_PROBABILITY', '1.5'],
    ['AUCTION_REJECTED_SHARE', 'half'],
    ['AUCTION_MALFORMED_PROBABILITY', '-0.1'],
  ])('fails naming %s when it is %p', async (name, value) => {
    process.env[name] = value;
    await expect(createHandler()({ attempt: 1, executionName: 'run-1' }, context)).rejects.toThrow(name);
    expect(publish).toHaveBeenCalledTimes(1);
  });

  it('rejects input without executionName as InvalidFetchRequest', async () => {
    await expect(createHandler()({ attempt: 1 }, context)).rejects.toMatchObject({ name: 'InvalidFetchRequest' });
  });
});
