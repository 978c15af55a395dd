// Scenarios: PRNG determinism, ready/not-ready by probability, exact rejected count and spread, power range, malformed shapes, fetch input validation.
import { parseFetchRequest, simulateAuction, type AuctionConfig, type AuctionOrder } from '../../src/results/auction';
import { hashString, mulberry32, seededRandom } from '../../src/results/random';

const config = (overrides: Partial<AuctionConfig> = {}): AuctionConfig => ({
  readyProbability: 1,
  orderCount: 10,
  rejectedShare: 0.5,
  malformedProbability: 0,
  ...overrides,
});

const ordersOf = (answer: unknown): AuctionOrder[] => (answer as { orders: AuctionOrder[] }).orders;

describe('seeded randomness', () => {
  it('repeats the same sequence for the same seed parts and differs for others', () => {
    // Arrange
    const a = seededRandom('seed', 'run-1', 1);
    const b = seededRandom('seed', 'run-1', 1);
    const c = seededRandom('seed', 'run-1', 2);

    // Act
    const seqA = [a(), a(), a()];
    const seqB = [b(), b(), b()];
    const seqC = [c(), c(), c()];

    // Assert
    expect(seqA).toEqual(seqB);
    expect(seqA).not.toEqual(seqC);
    seqA.forEach((value) => expect(value >= 0 && value < 1).toBe(true));
  });

  it('hashes strings stably (FNV-1a) and mulberry32 is a pure function of its seed', () => {
    expect(hashString('')).toBe(0x811c9dc5);
    expect(hashString('a')).toBe(0xe40c292c);
    expect(mulberry32(42)()).toBe(mulberry32(42)());
  });
});

describe('simulateAuction', () => {
  it('answers results:false when the ready draw misses', () => {
    // Arrange: draws are [malformed, ready]; 0.7 >= 0.5 means not ready.
    const draws = [0.9, 0.7];
    const random = () => draws.shift() ?? 0;

    // Act
    const answer = simulateAuction(config({ readyProbability: 0.5 }), random);

    // Assert
    expect(answer).toEqual({ results: false });
  });

  it('never answers ready with probability 0 and always with probability 1', () => {
    const random = seededRandom('x');
    for (let i = 0; i < 50; i++) {
      expect(simulateAuction(config({ readyProbability: 0 }), random)).toEqual({ results: false });
      expect(simulateAuction(config({ readyProbability: 1, orderCount: 1 }), random).results).toBe(true);
    }
  });

  it('rejects exactly round(count * share) orders, spread over the list', () => {
    // Act
    const orders = ordersOf(simulateAuction(config({ orderCount: 1000, rejectedShare: 0.3 }), seededRandom('spread')));

    // Assert
    const rejected = orders.flatMap((order, index) => (order.status === 'rejected' ? [index] : []));
    expect(orders).toHaveLength(1000);
    expect(rejected).toHaveLength(300);
    // Spread, not a block at the start: some rejected in each half.
    expect(rejected.some((i) => i < 500)).toBe(true);
    expect(rejected.some((i) => i >= 500)).toBe(true);
  });

  it.each([
    [0, 0],
    [1, 7],
    [0.5, 4], // round(3.5) = 4
  ])('with share %p of 7 orders rejects %p', (share, expected) => {
    const orders = ordersOf(simulateAuction(config({ orderCount: 7, rejectedShare: share }), seededRandom('n')));
    expect(orders.filter((order) => order.status === 'rejected')).toHaveLength(expected);
  });

  it('gives every order a positive power in [1, 100] with at most one decimal', () => {
    const orders = ordersOf(simulateAuction(config({ orderCount: 500 }), seededRandom('power')));
    for (const { power } of orders) {
      expect(power).toBeGreaterThanOrEqual(1);
      expect(power).toBeLessThanOrEqual(100);
      expect(Math.round(power * 10) / 10).toBe(power);
    }
  });

  it('answers an empty list when the order count is 0', () => {
    expect(simulateAuction(config({ orderCount: 0 }), seededRandom('zero'))).toEqual({ results: true, orders: [] });
  });

  it('returns each malformed shape depending on the draw, none of them a valid answer', () => {
    // Arrange: first draw triggers malformed, second picks the shape.
    const shapes = [0, 0.5, 0.9].map((pick) => {
      const draws = [0, pick];
      return simulateAuction(config({ malformedProbability: 0.1 }), () => draws.shift() ?? 0);
    });

    // Assert
    expect(shapes).toEqual([{ results: 'yes' }, { results: true }, { results: true, orders: 'not-an-array' }]);
  });
});

describe('parseFetchRequest', () => {
  it('accepts the state machine input', () => {
    expect(parseFetchRequest({ attempt: 0, executionName: 'run-1', extra: true })).toEqual({ attempt: 0, executionName: 'run-1' });
  });

  it.each([null, 'x', {}, { attempt: -1, executionName: 'a' }, { attempt: 1.5, executionName: 'a' }, { attempt: 1, executionName: ' ' }])(
    'rejects %p with InvalidFetchRequest',
    (event) => {
      expect(() => parseFetchRequest(event)).toThrow(expect.objectContaining({ name: 'InvalidFetchRequest' }));
    },
  );
});
