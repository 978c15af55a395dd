// Scenarios: not ready -> {results:false}; malformed first answer -> {results:'invalid', invalid} with a bounded excerpt; follows pages in order; malformed later page or bad next_page -> invalid; inline when small; offloaded to S3 (runs/auction=<id>/<exec>/results.json) over the count or the byte limit, counting the escaped JSON text the run's array check adds (quote-heavy ids go to S3 sooner); inlineStateBytes measures both; fetch-results handler: inline answer and metrics, offload with PutObject to RESULTS_BUCKET_NAME over RESULTS_INLINE_LIMIT or 100 KiB, platform errors propagate, InvalidTaskInput.
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { createHandler } from '../../src/handlers/fetch-results';
import { PlatformUnavailable, type AuctionPlatform, type ResultsAnswer } from '../../src/platform/platform';
import { collectResults, inlineStateBytes, type CollectOptions } from '../../src/results/collect-results';
import type { ResultStore } from '../../src/results/result-store';
import { logger, metrics } from '../../src/shared/powertools';
import { AUCTION } from '../fixtures/auction-store';

const s3 = mockClient(S3Client);
const context = { functionName: 'fetch-results', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

/** Answers from a script keyed by page token ('' for the first page), recording what it was asked. */
class ScriptedPlatform implements AuctionPlatform {
  readonly asked: Array<{ auctionId: string; page?: string }> = [];
  constructor(private readonly pages: Record<string, unknown>) {}
  async submitBatch(): Promise<void> {
    throw new Error('fetch-results never submits');
  }
  async fetchResults(auctionId: string, page?: string): Promise<ResultsAnswer> {
    this.asked.push({ auctionId, page });
    const answer = this.pages[page ?? ''];
    if (answer === undefined) throw new Error(`unexpected page ${page}`);
    return answer as ResultsAnswer;
  }
}

class RecordingResultStore implements ResultStore {
  readonly puts: Array<{ key: string; body: string }> = [];
  async putJson(key: string, body: string): Promise<void> {
    this.puts.push({ key, body });
  }
}

const result = (n: number, status = 'accepted') => ({ order_id: `alpha:order-${n}`, status, cleared_volume: n, clearing_price: 81.25 });

function options(store: ResultStore, overrides: Partial<CollectOptions> = {}): CollectOptions {
  return {
    auctionId: AUCTION,
    executionName: 'exec-1',
    inlineLimit: 3,
    inlineBytes: 10_000,
    destination: () => ({ bucket: 'order-results-test', store }),
    ...overrides,
  };
}

describe('collectResults', () => {
  it('answers results:false while the auction is not cleared', async () => {
    // Arrange
    const platform = new ScriptedPlatform({ '': { results: false } });
    const store = new RecordingResultStore();

    // Act
    const answer = await collectResults(platform, options(store));

    // Assert
    expect(answer).toEqual({ results: false });
    expect(platform.asked).toEqual([{ auctionId: AUCTION, page: undefined }]);
    expect(store.puts).toEqual([]);
  });

  it.each([
    ['results: "yes"', { results: 'yes' }, 'page 1: {"results":"yes"}'],
    ['no results field', { orders: [] }, 'page 1: {"orders":[]}'],
    ['results true without orders', { results: true }, 'page 1: {"results":true}'],
    ['orders not an array', { results: true, orders: { a: 1 } }, 'page 1: {"results":true,"orders":{"a":1}}'],
    ['a JSON array', [{ results: true }], 'page 1: [{"results":true}]'],
  ])('answers invalid for a malformed first answer (%s)', async (_case, first, invalid) => {
    // Arrange
    const platform = new ScriptedPlatform({ '': first });

    // Act
    const answer = await collectResults(platform, options(new RecordingResultStore()));

    // Assert
    expect(answer).toEqual({ results: 'invalid', invalid });
  });

  it('keeps only an excerpt of a huge malformed answer', async () => {
    // Arrange
    const platform = new ScriptedPlatform({ '': { results: 'x'.repeat(10_000) } });

    // Act
    const answer = await collectResults(platform, options(new RecordingResultStore()));

    // Assert
    expect(answer).toEqual({ results: 'invalid', invalid: `page 1: {"results":"${'x'.repeat(288)}...` });
  });

  it('follows every page and keeps the results in order', async () => {
    // Arrange
    const platform = new ScriptedPlatform({
      '': { results: true, orders: [result(1)], next_page: 'p2' },
      p2: { results: true, orders: [result(2, 'rejected')], next_page: 'p3' },
      p3: { results: true, orders: [result(3)], next_page: null },
    });

    // Act
    const answer = await collectResults(platform, options(new RecordingResultStore()));

    // Assert
    expect(answer).toEqual({ results: true, orders: [result(1), result(2, 'rejected'), result(3)] });
    expect(platform.asked).toEqual([
      { auctionId: AUCTION, page: undefined },
      { auctionId: AUCTION, page: 'p2' },
      { auctionId: AUCTION, page: 'p3' },
    ]);
  });

  it.each([
    ['results false', { results: false }, 'page 2: {"results":false}'],
    ['orders missing', { results: true, next_page: null }, 'page 2: {"results":true,"next_page":null}'],
  ])('answers invalid when a later page is malformed (%s), storing nothing', async (_case, second, invalid) => {
    // Arrange
    const platform = new ScriptedPlatform({ '': { results: true, orders: [result(1)], next_page: 'p2' }, p2: second });
    const store = new RecordingResultStore();

    // Act
    const answer = await collectResults(platform, options(store, { inlineLimit: 0 }));

    // Assert
    expect(answer).toEqual({ results: 'invalid', invalid });
    expect(store.puts).toEqual([]);
  });

  it.each([
    ['a number', 2, 'page 1: next_page must be a string or null, got 2'],
    ['an empty string', '', 'page 1: next_page must be a string or null, got ""'],
  ])('answers invalid when next_page is %s', async (_case, nextPage, invalid) => {
    const platform = new ScriptedPlatform({ '': { results: true, orders: [result(1)], next_page: nextPage } });
    expect(await collectResults(platform, options(new RecordingResultStore()))).toEqual({ results: 'invalid', invalid });
  });

  it('keeps a small result set inline, without touching the bucket', async () => {
    // Arrange
    const platform = new ScriptedPlatform({ '': { results: true, orders: [result(1), result(2), result(3)] } });
    const store = new RecordingResultStore();
    const destination = jest.fn(() => ({ bucket: 'order-results-test', store }));

    // Act
    const answer = await collectResults(platform, options(store, { destination }));

    // Assert
    expect(answer).toEqual({ results: true, orders: [result(1), result(2), result(3)] });
    expect(destination).not.toHaveBeenCalled();
  });

  it('answers an empty result set inline', async () => {
    const platform = new ScriptedPlatform({ '': { results: true, orders: [], next_page: null } });
    expect(await collectResults(platform, options(new RecordingResultStore()))).toEqual({ results: true, orders: [] });
  });

  it('writes the results to the run\'s file when there are more than the inline count', async () => {
    // Arrange
    const orders = [result(1), result(2), result(3), result(4)];
    const platform = new ScriptedPlatform({ '': { results: true, orders: orders.slice(0, 2), next_page: 'p2' }, p2: { results: true, orders: orders.slice(2) } });
    const store = new RecordingResultStore();

    // Act
    const answer = await collectResults(platform, options(store));

    // Assert
    expect(answer).toEqual({
      results: true,
      resultsFile: { bucket: 'order-results-test', key: 'runs/auction=2026-12-01T2100Z/exec-1/results.json' },
      count: 4,
    });
    expect(store.puts).toEqual([{ key: 'runs/auction=2026-12-01T2100Z/exec-1/results.json', body: JSON.stringify(orders) }]);
  });

  it('writes the results to the run\'s file when they are over the inline byte size, even if few', async () => {
    // Arrange: one result of about 2 KB against a 1000-byte limit.
    const big = { ...result(1), note: 'n'.repeat(2000) };
    const platform = new ScriptedPlatform({ '': { results: true, orders: [big] } });
    const store = new RecordingResultStore();

    // Act
    const answer = await collectResults(platform, options(store, { inlineBytes: 1000 }));

    // Assert
    expect(answer).toEqual({ results: true, resultsFile: { bucket: 'order-results-test', key: 'runs/auction=2026-12-01T2100Z/exec-1/results.json' }, count: 1 });
    expect(store.puts.map((p) => p.body)).toEqual([JSON.stringify([big])]);
  });
});

describe('the inline budget counts what the run\'s state really holds', () => {
  it('measures the orders and the escaped JSON string of them', () => {
    const orders = [{ order_id: 'a:"q"', status: 'accepted' }];
    const json = JSON.stringify(orders);
    expect(inlineStateBytes(orders)).toBe(Buffer.byteLength(json) + Buffer.byteLength(JSON.stringify(json)));
    // Each quote of the id is escaped twice over in the string: \" becomes \\\".
    expect(inlineStateBytes(orders)).toBeGreaterThan(2 * Buffer.byteLength(json));
  });

  it('sends quote-heavy results to S3 where plain ones of the same raw size stay inline', async () => {
    // Arrange: two results each, about 4 KB of JSON, against a 5000-byte budget (10,000 for both parts).
    const plain = [1, 2].map((n) => ({ ...result(n), note: 'n'.repeat(2000) }));
    const quoted = [1, 2].map((n) => ({ ...result(n), note: '"'.repeat(1000) }));
    expect(Math.abs(Buffer.byteLength(JSON.stringify(plain)) - Buffer.byteLength(JSON.stringify(quoted)))).toBeLessThan(10);
    const store = new RecordingResultStore();

    // Act
    const plainAnswer = await collectResults(new ScriptedPlatform({ '': { results: true, orders: plain } }), options(store, { inlineBytes: 5000 }));
    const quotedAnswer = await collectResults(new ScriptedPlatform({ '': { results: true, orders: quoted } }), options(store, { inlineBytes: 5000 }));

    // Assert
    expect(plainAnswer).toEqual({ results: true, orders: plain });
    expect(quotedAnswer).toMatchObject({ results: true, count: 2, resultsFile: { key: 'runs/auction=2026-12-01T2100Z/exec-1/results.json' } });
  });
});

describe('fetch-results handler', () => {
  let addMetric: jest.SpyInstance;
  const poll = { auction_id: AUCTION, attempt: 2, execution_name: 'exec-1' };

  beforeAll(() => logger.setLogLevel('SILENT'));

  beforeEach(() => {
    s3.reset();
    jest.restoreAllMocks();
    s3.on(PutObjectCommand).resolves({});
    process.env.RESULTS_BUCKET_NAME = 'order-results-test';
    process.env.AWS_REGION = 'eu-west-1';
    delete process.env.RESULTS_INLINE_LIMIT;
    addMetric = jest.spyOn(metrics, 'addMetric');
    jest.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => {
      metrics.clearMetrics();
      return metrics;
    });
    jest.spyOn(metrics, 'captureColdStartMetric').mockImplementation(() => undefined);
  });

  afterAll(() => {
    delete process.env.RESULTS_BUCKET_NAME;
    delete process.env.RESULTS_INLINE_LIMIT;
  });

  it('answers results:false and counts the poll as not ready', async () => {
    // Arrange
    const platform = new ScriptedPlatform({ '': { results: false } });
    const handler = createHandler({ platform: () => platform });

    // Act
    const answer = await handler(poll, context);

    // Assert
    expect(answer).toEqual({ results: false });
    expect(addMetric).toHaveBeenCalledWith('AuctionPolled', 'Count', 1);
    expect(addMetric).toHaveBeenCalledWith('AuctionResultsReady', 'Count', 0);
  });

  it('answers a small result set inline and counts it as ready', async () => {
    // Arrange
    const platform = new ScriptedPlatform({ '': { results: true, orders: [result(1), result(2, 'rejected')], next_page: null } });
    const handler = createHandler({ platform: () => platform });

    // Act
    const answer = await handler(poll, context);

    // Assert
    expect(answer).toEqual({ results: true, orders: [result(1), result(2, 'rejected')] });
    expect(platform.asked).toEqual([{ auctionId: AUCTION, page: undefined }]);
    expect(addMetric).toHaveBeenCalledWith('AuctionResultsReady', 'Count', 1);
    expect(s3).toReceiveCommandTimes(PutObjectCommand, 0);
  });

  it('answers a malformed platform answer as invalid for the state machine', async () => {
    const platform = new ScriptedPlatform({ '': { results: 'maybe' } });
    const answer = await createHandler({ platform: () => platform })(poll, context);
    expect(answer).toEqual({ results: 'invalid', invalid: 'page 1: {"results":"maybe"}' });
    expect(addMetric).toHaveBeenCalledWith('AuctionResultsReady', 'Count', 0);
  });

  it('puts the results to the results bucket over RESULTS_INLINE_LIMIT', async () => {
    // Arrange
    process.env.RESULTS_INLINE_LIMIT = '2';
    const orders = [result(1), result(2), result(3)];
    const platform = new ScriptedPlatform({ '': { results: true, orders } });
    const handler = createHandler({ platform: () => platform });

    // Act
    const answer = await handler(poll, context);

    // Assert
    expect(answer).toEqual({ results: true, resultsFile: { bucket: 'order-results-test', key: 'runs/auction=2026-12-01T2100Z/exec-1/results.json' }, count: 3 });
    expect(s3).toReceiveCommandTimes(PutObjectCommand, 1);
    expect(s3).toReceiveCommandWith(PutObjectCommand, {
      Bucket: 'order-results-test',
      Key: 'runs/auction=2026-12-01T2100Z/exec-1/results.json',
      ContentType: 'application/json',
      Body: JSON.stringify(orders),
    });
  });

  it('puts the results to the results bucket when they are over 100 KiB, whatever their count', async () => {
    // Arrange: three results of about 40 KB each.
    const orders = [1, 2, 3].map((n) => ({ ...result(n), note: 'n'.repeat(40_000) }));
    const platform = new ScriptedPlatform({ '': { results: true, orders } });
    const handler = createHandler({ platform: () => platform });

    // Act
    const answer = await handler(poll, context);

    // Assert
    expect(answer).toMatchObject({ results: true, count: 3 });
    expect(s3).toReceiveCommandWith(PutObjectCommand, { Bucket: 'order-results-test', Key: 'runs/auction=2026-12-01T2100Z/exec-1/results.json' });
  });

  it('lets a platform failure propagate, for the state machine to retry', async () => {
    // Arrange
    const down = new PlatformUnavailable('Platform answered 503 three times');
    const platform: AuctionPlatform = { submitBatch: jest.fn(), fetchResults: jest.fn().mockRejectedValue(down) };
    const handler = createHandler({ platform: () => platform });

    // Act / Assert
    await expect(handler(poll, context)).rejects.toBe(down);
  });

  it.each([
    ['no auction_id', { attempt: 1, execution_name: 'exec-1' }],
    ['no execution_name', { auction_id: AUCTION, attempt: 1 }],
    ['a non-numeric attempt', { auction_id: AUCTION, attempt: '1', execution_name: 'exec-1' }],
    ['no event', null],
  ])('refuses %s as InvalidTaskInput without asking the platform', async (_case, event) => {
    // Arrange
    const platform = new ScriptedPlatform({ '': { results: false } });
    const handler = createHandler({ platform: () => platform });

    // Act / Assert
    await expect(handler(event, context)).rejects.toMatchObject({ name: 'InvalidTaskInput', message: 'Expected {auction_id, attempt, execution_name}' });
    expect(platform.asked).toEqual([]);
  });
});
