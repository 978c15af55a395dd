// Scenarios: ready / not ready, deterministic answer with AUCTION_SEED (per attempt and execution), order counts up to 100000, malformed answers, invalid env and input, metrics flushed.
import type { Context } from 'aws-lambda';
import { createHandler } from '../../src/handlers/fetch-results';
import { logger, metrics } from '../../src/shared/powertools';

const context = { functionName: 'fetch-results', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;
const ENV_KEYS = ['AUCTION_READY_PROBABILITY', 'AUCTION_ORDER_COUNT', 'AUCTION_REJECTED_SHARE', 'AUCTION_SEED', 'AUCTION_MALFORMED_PROBABILITY'];

type Answer = { results: unknown; orders?: Array<{ status: string; power: number }> };

describe('fetch-results handler', () => {
  let addMetric: jest.SpyInstance;
  let publish: jest.SpyInstance;

  beforeAll(() => logger.setLogLevel('SILENT'));

  beforeEach(() => {
    ENV_KEYS.forEach((key) => delete process.env[key]);
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

  it('produces 100000 orders when configured', async () => {
    // Arrange
    Object.assign(process.env, { AUCTION_SEED: 'big', AUCTION_READY_PROBABILITY: '1', AUCTION_ORDER_COUNT: '100000', AUCTION_REJECTED_SHARE: '0.01' });

    // Act
    const answer = (await createHandler()({ attempt: 1, executionName: 'run-big' }, context)) as Answer;

    // Assert
    expect(answer.orders).toHaveLength(100_000);
    expect(answer.orders?.filter((o) => o.status === 'rejected')).toHaveLength(1000);
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
