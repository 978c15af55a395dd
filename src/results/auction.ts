import { InvalidFetchRequest } from './errors';
import type { Random } from './random';

export type OrderStatus = 'accepted' | 'rejected';

export interface AuctionOrder {
  readonly status: OrderStatus;
  readonly power: number;
}

/** The platform's contract: either "not yet" or the full list of order results. */
export type AuctionAnswer = { readonly results: false } | { readonly results: true; readonly orders: AuctionOrder[] };

/** What a misbehaving platform may send; only used to exercise the InvalidAuctionResults path. */
export type MalformedAnswer = Record<string, unknown>;

export interface AuctionConfig {
  /** Chance that results are ready on a given poll. */
  readonly readyProbability: number;
  readonly orderCount: number;
  /** Share of orders that are rejected: exactly round(orderCount * rejectedShare) of them. */
  readonly rejectedShare: number;
  /** Chance of answering something that breaks the contract. */
  readonly malformedProbability: number;
}

export interface FetchRequest {
  readonly attempt: number;
  readonly executionName: string;
}

export const MAX_ORDER_COUNT = 100_000;

/** Validates the state machine's input so a wiring bug fails loudly instead of polling with garbage. */
export function parseFetchRequest(event: unknown): FetchRequest {
  if (typeof event !== 'object' || event === null) {
    throw new InvalidFetchRequest('Expected an object {attempt, executionName}');
  }
  const { attempt, executionName } = event as Record<string, unknown>;
  if (typeof attempt !== 'number' || !Number.isInteger(attempt) || attempt < 0) {
    throw new InvalidFetchRequest(`attempt must be a non-negative integer, got ${JSON.stringify(attempt)}`);
  }
  if (typeof executionName !== 'string' || executionName.trim() === '') {
    throw new InvalidFetchRequest('executionName must be a non-empty string');
  }
  return { attempt, executionName };
}

// A few shapes that each break the contract differently: wrong type, missing list, list not an array.
const MALFORMED_ANSWERS: ReadonlyArray<() => MalformedAnswer> = [
  () => ({ results: 'yes' }),
  () => ({ results: true }),
  () => ({ results: true, orders: 'not-an-array' }),
];

/**
 * Simulates one poll of the auction platform. All randomness comes from `random`, so a seeded PRNG makes the
 * answer (readiness, powers and which orders are rejected) a pure function of the seed.
 * Draw order is fixed: malformed?, ready?, then the orders.
 */
export function simulateAuction(config: AuctionConfig, random: Random): AuctionAnswer | MalformedAnswer {
  const malformedDraw = random();
  if (malformedDraw < config.malformedProbability) {
    return MALFORMED_ANSWERS[Math.floor(random() * MALFORMED_ANSWERS.length)]();
  }
  if (random() >= config.readyProbability) {
    return { results: false };
  }
  return { results: true, orders: simulateOrders(config, random) };
}

function simulateOrders(config: AuctionConfig, random: Random): AuctionOrder[] {
  const count = config.orderCount;
  // Positive power with one decimal in [1, 100].
  const powers = Array.from({ length: count }, () => Math.round((1 + random() * 99) * 10) / 10);
  const rejected = pickRejected(count, Math.round(count * config.rejectedShare), random);
  return powers.map((power, index) => ({ status: rejected.has(index) ? 'rejected' : 'accepted', power }));
}

/** Exactly `howMany` distinct indexes, spread by a partial Fisher-Yates shuffle driven by `random`. */
function pickRejected(count: number, howMany: number, random: Random): Set<number> {
  const indexes = Uint32Array.from({ length: count }, (_, i) => i);
  const picked = new Set<number>();
  for (let i = 0; i < howMany; i++) {
    const j = i + Math.floor(random() * (count - i));
    [indexes[i], indexes[j]] = [indexes[j], indexes[i]];
    picked.add(indexes[i]);
  }
  return picked;
}
