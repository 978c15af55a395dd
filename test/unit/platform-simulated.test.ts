// Scenarios: batch stored with exact decimals, idempotent re-submit, validation errors (auction id, batch id, body shape, order fields, duplicates, limits), 404 unknown auction, readiness after N polls (pages do not count), exact rejected count per batch, determinism per seed, clearing price, no-result share, malformed shares, pagination across 3 batches with next_page null, bad page tokens, config from the environment.
import { DEFAULT_PLATFORM_CONFIG, type SimulatedPlatformConfig, simulatedPlatformSettingsFromEnv } from '../../src/platform/simulated/config';
import { MALFORMED_ANSWERS, REJECTION_REASON } from '../../src/platform/simulated/clearing';
import { PlatformApiError } from '../../src/platform/simulated/errors';
import { SimulatedPlatform } from '../../src/platform/simulated/simulated-platform';
import { InMemoryPlatformStore } from '../../src/platform/simulated/store';
import { MAX_BATCH_ORDERS, type PlatformResult } from '../../src/platform/platform';

const AUCTION = '2026-12-01T2100Z';
const READY_NOW: SimulatedPlatformConfig = { ...DEFAULT_PLATFORM_CONFIG, readyAfterPolls: 0 };

const order = (id: string, parameter2: string | number = 1) => `{"order_id":"${id}","parameter_1":"p","parameter_2":${parameter2}}`;
const batch = (...orders: string[]) => `{"orders":[${orders.join(',')}]}`;
const ordersOf = (count: number, prefix = 'alpha:r') => Array.from({ length: count }, (_, i) => order(`${prefix}${i}`, i + 1));

type ReadyAnswer = { results: true; orders: PlatformResult[]; next_page: string | null };

function setup(config: Partial<SimulatedPlatformConfig> = {}) {
  const store = new InMemoryPlatformStore();
  return { store, platform: new SimulatedPlatform(store, { ...READY_NOW, ...config }) };
}

async function refusal(promise: Promise<unknown>): Promise<PlatformApiError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PlatformApiError);
  return error as PlatformApiError;
}

/** Results of all pages of one ready answer. */
async function allResults(platform: SimulatedPlatform, auctionId = AUCTION): Promise<PlatformResult[]> {
  let answer = (await platform.results(auctionId)) as ReadyAnswer;
  const results = [...answer.orders];
  while (answer.next_page !== null) {
    answer = (await platform.results(auctionId, answer.next_page)) as ReadyAnswer;
    results.push(...answer.orders);
  }
  return results;
}

describe('SimulatedPlatform.submitBatch', () => {
  it('stores the batch under the auction with parameter_2 keeping its digits', async () => {
    // Arrange
    const { store, platform } = setup();

    // Act
    const answer = await platform.submitBatch(AUCTION, 'b-1', batch(order('alpha:1', '2.10'), order('alpha:2', '12345678901234567890')));

    // Assert
    expect(answer).toEqual({ auction_id: AUCTION, batch_id: 'b-1', received: 2 });
    expect(store.documents.get(`auctions/${AUCTION}/batches/b-1.json`)).toBe(
      '{"orders":[{"order_id":"alpha:1","parameter_1":"p","parameter_2":2.10},' +
        '{"order_id":"alpha:2","parameter_1":"p","parameter_2":12345678901234567890}]}',
    );
  });

  it('replaces a batch submitted again under the same id', async () => {
    // Arrange
    const { store, platform } = setup();
    await platform.submitBatch(AUCTION, 'b', batch(order('alpha:1'), order('alpha:2')));

    // Act
    await platform.submitBatch(AUCTION, 'b', batch(order('alpha:1'), order('alpha:2')));
    await platform.submitBatch(AUCTION, 'b', batch(order('alpha:3')));

    // Assert
    expect([...store.documents.keys()]).toEqual([`auctions/${AUCTION}/batches/b.json`]);
    expect((await allResults(platform)).map((result) => result.order_id)).toEqual(['alpha:3']);
  });

  it.each([
    ['an auction id that is no gate closure', '2026-13-01T2100Z', 'b', batch(order('a:1')), /is not an auction id/],
    ['an auction id with a colon', '2026-12-01T21:00Z', 'b', batch(order('a:1')), /is not an auction id/],
    ['an empty batch id', AUCTION, '', batch(order('a:1')), /is not a batch id/],
    ['a batch id with a slash', AUCTION, 'a/b', batch(order('a:1')), /is not a batch id/],
    ['a batch id of 81 characters', AUCTION, 'b'.repeat(81), batch(order('a:1')), /is not a batch id/],
    ['a body that is not JSON', AUCTION, 'b', '{"orders": [', /^The body is not valid JSON/],
    ['an empty body', AUCTION, 'b', '', /^The body is not valid JSON/],
    ['a bare array', AUCTION, 'b', `[${order('a:1')}]`, /must be a JSON object/],
    ['an extra top-level field', AUCTION, 'b', '{"orders":[],"x":1}', /"x" is not an allowed field/],
    ['orders that are no array', AUCTION, 'b', '{"orders":{}}', /orders must be an array/],
    ['no orders', AUCTION, 'b', batch(), /1 to 1000 orders, got 0/],
    ['too many orders', AUCTION, 'b', batch(...ordersOf(MAX_BATCH_ORDERS + 1)), /1 to 1000 orders, got 1001/],
    ['an order that is no object', AUCTION, 'b', batch('"x"'), /orders\[0\] must be an object/],
    ['an unknown order field', AUCTION, 'b', batch('{"order_id":"a","parameter_1":"p","parameter_2":1,"status":"x"}'), /orders\[0\]\.status is not an allowed field/],
    ['a __proto__ field', AUCTION, 'b', batch('{"order_id":"a","parameter_1":"p","parameter_2":1,"__proto__":{}}'), /__proto__ is not an allowed field/],
    ['an empty order id', AUCTION, 'b', batch(order('')), /orders\[0\]\.order_id must be a string of 1 to 300/],
    ['an order id of 301 characters', AUCTION, 'b', batch(order('x'.repeat(301))), /order_id must be a string/],
    ['a numeric order id', AUCTION, 'b', batch('{"order_id":1,"parameter_1":"p","parameter_2":1}'), /order_id must be a string/],
    ['a numeric parameter_1', AUCTION, 'b', batch('{"order_id":"a","parameter_1":1,"parameter_2":1}'), /parameter_1 must be a string/],
    ['a missing parameter_2', AUCTION, 'b', batch('{"order_id":"a","parameter_1":"p"}'), /parameter_2 must be a finite number/],
    ['a string parameter_2', AUCTION, 'b', batch('{"order_id":"a","parameter_1":"p","parameter_2":"1"}'), /parameter_2 must be a finite number/],
    ['an infinite parameter_2', AUCTION, 'b', batch(order('a', '1e400')), /parameter_2 must be a finite number/],
    ['a duplicate order id', AUCTION, 'b', batch(order('a:1'), order('a:2'), order('a:1')), /orders\[2\]\.order_id "a:1" appears twice/],
  ])('answers 400 for %s and stores nothing', async (_label, auctionId, batchId, body, message) => {
    // Arrange
    const { store, platform } = setup();

    // Act
    const error = await refusal(platform.submitBatch(auctionId, batchId, body));

    // Assert
    expect(error.statusCode).toBe(400);
    expect(error.message).toMatch(message);
    expect(store.documents.size).toBe(0);
  });

  it('accepts an order id of 300 characters and a batch id of 80', async () => {
    const { platform } = setup();
    await expect(platform.submitBatch(AUCTION, `A-z_0.${'9'.repeat(74)}`, batch(order('x'.repeat(300))))).resolves.toMatchObject({ received: 1 });
  });
});

describe('SimulatedPlatform.results', () => {
  it('answers 404 for an auction it never received orders for, without counting a poll', async () => {
    // Arrange
    const { store, platform } = setup();

    // Act
    const error = await refusal(platform.results(AUCTION));

    // Assert
    expect(error.statusCode).toBe(404);
    expect(error.message).toBe(`No orders were submitted for auction ${AUCTION}`);
    expect(store.documents.size).toBe(0);
  });

  it('answers 400 for a malformed auction id', async () => {
    const { platform } = setup();
    expect((await refusal(platform.results('yesterday'))).statusCode).toBe(400);
  });

  it('answers {"results": false} for the first readyAfterPolls polls, then the results', async () => {
    // Arrange
    const { store, platform } = setup({ readyAfterPolls: 2 });
    await platform.submitBatch(AUCTION, 'b', batch(order('alpha:1')));

    // Act
    const answers = [await platform.results(AUCTION), await platform.results(AUCTION), await platform.results(AUCTION)];

    // Assert
    expect(answers[0]).toEqual({ results: false });
    expect(answers[1]).toEqual({ results: false });
    expect(answers[2]).toMatchObject({ results: true, next_page: null });
    expect(store.documents.get(`auctions/${AUCTION}/polls.json`)).toBe('{"polls":3}');
  });

  it('counts polls per auction', async () => {
    // Arrange
    const other = '2026-12-01T2200Z';
    const { platform } = setup({ readyAfterPolls: 1 });
    await platform.submitBatch(AUCTION, 'b', batch(order('alpha:1')));
    await platform.submitBatch(other, 'b', batch(order('alpha:1')));

    // Act
    await platform.results(AUCTION);

    // Assert
    expect(await platform.results(AUCTION)).toMatchObject({ results: true });
    expect(await platform.results(other)).toEqual({ results: false });
  });

  it('rejects exactly round(n * rejectedShare) orders of each batch', async () => {
    // Arrange
    const { platform } = setup({ rejectedShare: 0.5 });
    await platform.submitBatch(AUCTION, 'a', batch(...ordersOf(2, 'a:')));
    await platform.submitBatch(AUCTION, 'b', batch(...ordersOf(7, 'b:')));
    await platform.submitBatch(AUCTION, 'c', batch(...ordersOf(1000, 'c:')));

    // Act
    const results = await allResults(platform);

    // Assert: 1 of 2, round(3.5) = 4 of 7, 500 of 1000.
    const rejectedIn = (prefix: string) => results.filter((r) => r.order_id.startsWith(prefix) && r.status === 'rejected').length;
    expect([rejectedIn('a:'), rejectedIn('b:'), rejectedIn('c:')]).toEqual([1, 4, 500]);
    expect(results).toHaveLength(1009);
  });

  it.each([0, 1])('rejects all or nothing at the edges (share %d)', async (rejectedShare) => {
    // Arrange
    const { platform } = setup({ rejectedShare });
    await platform.submitBatch(AUCTION, 'b', batch(...ordersOf(10)));

    // Act
    const results = await allResults(platform);

    // Assert
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(10 * rejectedShare);
  });

  it('answers accepted orders with their volume and rejected ones with a reason, at one price per auction', async () => {
    // Arrange
    const { platform } = setup({ rejectedShare: 0.5 });
    await platform.submitBatch(AUCTION, 'b', batch(order('alpha:1', '2.1'), order('alpha:2', '-7')));

    // Act
    const results = await allResults(platform);

    // Assert
    const accepted = results.find((r) => r.status === 'accepted')!;
    const rejected = results.find((r) => r.status === 'rejected')!;
    expect(Object.keys(accepted).sort()).toEqual(['cleared_volume', 'clearing_price', 'order_id', 'status']);
    expect(accepted.cleared_volume).toBe(accepted.order_id === 'alpha:1' ? 2.1 : -7);
    expect(rejected).toEqual({ order_id: rejected.order_id, status: 'rejected', clearing_price: accepted.clearing_price, reason: REJECTION_REASON });
    expect(accepted.clearing_price).toBeGreaterThanOrEqual(20);
    expect(accepted.clearing_price).toBeLessThanOrEqual(200);
    expect(Math.round(accepted.clearing_price! * 100) / 100).toBe(accepted.clearing_price);
  });

  it('gives the same answer for the same seed and other picks for another seed', async () => {
    // Arrange: the same orders, submitted in a different order the second time.
    const orders = ordersOf(40);
    const first = setup({ seed: 's1' });
    const again = setup({ seed: 's1' });
    const other = setup({ seed: 's2' });
    await first.platform.submitBatch(AUCTION, 'b', batch(...orders));
    await again.platform.submitBatch(AUCTION, 'b', batch(...[...orders].reverse()));
    await other.platform.submitBatch(AUCTION, 'b', batch(...orders));
    const rejectedIds = (results: PlatformResult[]) => results.filter((r) => r.status === 'rejected').map((r) => r.order_id).sort();

    // Act
    const [r1, r2, r3] = await Promise.all([allResults(first.platform), allResults(again.platform), allResults(other.platform)]);

    // Assert
    expect(rejectedIds(r1)).toHaveLength(20);
    expect(rejectedIds(r2)).toEqual(rejectedIds(r1));
    expect(r2[0].clearing_price).toBe(r1[0].clearing_price);
    expect(rejectedIds(r3)).toHaveLength(20);
    expect(rejectedIds(r3)).not.toEqual(rejectedIds(r1));
    expect(r3[0].clearing_price).not.toBe(r1[0].clearing_price);
  });

  it('leaves exactly round(n * noResultShare) orders out, deterministically, then rejects a share of the rest', async () => {
    // Arrange
    const config = { noResultShare: 0.25, rejectedShare: 0.5 };
    const first = setup(config);
    const again = setup(config);
    for (const { platform } of [first, again]) await platform.submitBatch(AUCTION, 'b', batch(...ordersOf(20)));

    // Act
    const results = await allResults(first.platform);

    // Assert: 5 of 20 unanswered, then 8 of the 15 answered rejected (round(7.5)).
    expect(results).toHaveLength(15);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(8);
    expect(await allResults(again.platform)).toEqual(results);
  });

  it('answers malformed shapes for a share of polls, each breaking the contract differently', async () => {
    // Arrange
    const { platform } = setup({ malformedShare: 1 });
    await platform.submitBatch(AUCTION, 'b', batch(order('alpha:1')));

    // Act
    const answers = [];
    for (let poll = 0; poll < 30; poll++) answers.push(await platform.results(AUCTION));

    // Assert
    const shapes = new Set(answers.map((answer) => JSON.stringify(answer)));
    expect([...shapes].sort()).toEqual(MALFORMED_ANSWERS.map((answer) => JSON.stringify(answer)).sort());
  });

  it('answers a malformed poll about as often as malformedShare says, the same way for the same seed', async () => {
    // Arrange
    const polls = async () => {
      const { platform } = setup({ malformedShare: 0.3, seed: 'fixed' });
      await platform.submitBatch(AUCTION, 'b', batch(order('alpha:1')));
      const answers = [];
      for (let poll = 0; poll < 200; poll++) answers.push(await platform.results(AUCTION));
      return answers.map((answer) => (answer.results === true && Array.isArray(answer.orders) ? 'ok' : 'malformed'));
    };

    // Act
    const [first, again] = [await polls(), await polls()];

    // Assert
    const malformed = first.filter((kind) => kind === 'malformed').length;
    expect(malformed).toBeGreaterThan(35);
    expect(malformed).toBeLessThan(85);
    expect(again).toEqual(first);
  });

  it('pages through 3 batches in key order, next_page null on the last, pages not counted as polls', async () => {
    // Arrange
    const { store, platform } = setup({ rejectedShare: 0 });
    await platform.submitBatch(AUCTION, 'batch-2', batch(order('b:1'), order('b:2')));
    await platform.submitBatch(AUCTION, 'batch-1', batch(order('a:1')));
    await platform.submitBatch(AUCTION, 'batch-3', batch(order('c:1')));

    // Act
    const page1 = (await platform.results(AUCTION)) as ReadyAnswer;
    const page2 = (await platform.results(AUCTION, page1.next_page!)) as ReadyAnswer;
    const page3 = (await platform.results(AUCTION, page2.next_page!)) as ReadyAnswer;

    // Assert
    expect(page1.orders.map((r) => r.order_id)).toEqual(['a:1']);
    expect(page2.orders.map((r) => r.order_id)).toEqual(['b:1', 'b:2']);
    expect(page3.orders.map((r) => r.order_id)).toEqual(['c:1']);
    expect([page1.results, page2.results, page3.results]).toEqual([true, true, true]);
    expect(page1.next_page).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(page2.next_page).not.toBe(page1.next_page);
    expect(page3.next_page).toBeNull();
    expect(store.documents.get(`auctions/${AUCTION}/polls.json`)).toBe('{"polls":1}');
  });

  it.each(['nonsense', Buffer.from('batch:7').toString('base64url'), Buffer.from('batch:-1').toString('base64url'), Buffer.from('batch:01').toString('base64url'), ''])(
    'answers 400 for the page token %j',
    async (token) => {
      // Arrange
      const { platform } = setup();
      await platform.submitBatch(AUCTION, 'b1', batch(order('a:1')));
      await platform.submitBatch(AUCTION, 'b2', batch(order('a:2')));

      // Act
      const error = await refusal(platform.results(AUCTION, token));

      // Assert
      expect(error.statusCode).toBe(400);
      expect(error.message).toMatch(/^Unknown page token/);
    },
  );
});

describe('simulatedPlatformSettingsFromEnv', () => {
  const NAMES = ['PLATFORM_BUCKET_NAME', 'PLATFORM_READY_AFTER_POLLS', 'PLATFORM_REJECTED_SHARE', 'PLATFORM_MALFORMED_SHARE', 'PLATFORM_NO_RESULT_SHARE', 'PLATFORM_SEED'];

  beforeEach(() => {
    for (const name of NAMES) delete process.env[name];
    process.env.PLATFORM_BUCKET_NAME = 'platform-bucket';
  });

  afterAll(() => {
    for (const name of NAMES) delete process.env[name];
  });

  it('has defaults for everything but the bucket', () => {
    expect(simulatedPlatformSettingsFromEnv()).toEqual({
      bucketName: 'platform-bucket',
      readyAfterPolls: 1,
      rejectedShare: 0.5,
      malformedShare: 0,
      noResultShare: 0,
      seed: 'platform',
    });
  });

  it('reads every setting', () => {
    // Arrange
    Object.assign(process.env, {
      PLATFORM_READY_AFTER_POLLS: '3',
      PLATFORM_REJECTED_SHARE: '0.1',
      PLATFORM_MALFORMED_SHARE: '0.2',
      PLATFORM_NO_RESULT_SHARE: '0.05',
      PLATFORM_SEED: 'bench-1',
    });

    // Act / Assert
    expect(simulatedPlatformSettingsFromEnv()).toEqual({
      bucketName: 'platform-bucket',
      readyAfterPolls: 3,
      rejectedShare: 0.1,
      malformedShare: 0.2,
      noResultShare: 0.05,
      seed: 'bench-1',
    });
  });

  it.each([
    ['PLATFORM_BUCKET_NAME', '', 'Missing required environment variable PLATFORM_BUCKET_NAME'],
    ['PLATFORM_READY_AFTER_POLLS', '1.5', 'PLATFORM_READY_AFTER_POLLS must be a whole number'],
    ['PLATFORM_READY_AFTER_POLLS', '-1', 'PLATFORM_READY_AFTER_POLLS must be a number between 0'],
    ['PLATFORM_REJECTED_SHARE', '1.5', 'PLATFORM_REJECTED_SHARE must be a number between 0 and 1'],
    ['PLATFORM_MALFORMED_SHARE', 'often', 'PLATFORM_MALFORMED_SHARE must be a number between 0 and 1'],
    ['PLATFORM_NO_RESULT_SHARE', '-0.1', 'PLATFORM_NO_RESULT_SHARE must be a number between 0 and 1'],
  ])('refuses %s=%j with a clear message', (name, value, message) => {
    process.env[name] = value;
    expect(() => simulatedPlatformSettingsFromEnv()).toThrow(message);
  });
});

describe('stored batches', () => {
  it('keep parameter_2 as the digits sent, whatever float they would round to', async () => {
    // Arrange
    const { store, platform } = setup();

    // Act
    await platform.submitBatch(AUCTION, 'b', batch(order('a:1', '0.1000000000000000000000001')));

    // Assert
    expect(store.documents.get(`auctions/${AUCTION}/batches/b.json`)).toContain('"parameter_2":0.1000000000000000000000001}');
  });
});
