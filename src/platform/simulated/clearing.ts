import type { AuctionId } from '../../auctions/auction-id';
import { seededRandom } from '../../results/random';
import type { PlatformResult } from '../platform';
import type { StoredOrder } from './batch';
import type { SimulatedPlatformConfig } from './config';

export const REJECTION_REASON = 'limit price not met';
const MIN_PRICE = 20;
const MAX_PRICE = 200;

/** One EUR/MWh price per auction and seed, with 2 decimals. */
export function clearingPrice(seed: string, auctionId: AuctionId): number {
  const r = seededRandom(seed, auctionId, 'price')();
  return Math.round((MIN_PRICE + r * (MAX_PRICE - MIN_PRICE)) * 100) / 100;
}

/**
 * The platform's answer for one batch. Counts are exact per batch, not probabilities: of n orders,
 * round(n * noResultShare) get no answer at all, and of the m answered ones round(m * rejectedShare) are
 * rejected. Which ones is decided by ranking the orders on a hash of (seed, auction, order id), so the same
 * inputs always give the same answer whatever the order of the batch.
 */
export function clearBatch(orders: readonly StoredOrder[], auctionId: AuctionId, config: SimulatedPlatformConfig): PlatformResult[] {
  const silent = lowestRanked(orders, Math.round(orders.length * config.noResultShare), config.seed, auctionId, 'no-result');
  const answered = orders.filter((order) => !silent.has(order.order_id));
  const rejected = lowestRanked(answered, Math.round(answered.length * config.rejectedShare), config.seed, auctionId, 'reject');
  const price = clearingPrice(config.seed, auctionId);
  return answered.map((order): PlatformResult =>
    rejected.has(order.order_id)
      ? { order_id: order.order_id, status: 'rejected', clearing_price: price, reason: REJECTION_REASON }
      : { order_id: order.order_id, status: 'accepted', cleared_volume: Number(order.parameter_2.value), clearing_price: price },
  );
}

function lowestRanked(orders: readonly StoredOrder[], count: number, ...salt: string[]): Set<string> {
  if (count <= 0) return new Set();
  const ranked = orders
    .map((order) => ({ id: order.order_id, score: seededRandom(...salt, order.order_id)() }))
    // The id breaks (improbable) ties so the pick never depends on the batch's order.
    .sort((a, b) => a.score - b.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return new Set(ranked.slice(0, count).map((entry) => entry.id));
}

/** Shapes that each break the results contract in a different way. */
export const MALFORMED_ANSWERS: ReadonlyArray<Record<string, unknown>> = [
  { results: 'yes' },
  { results: true },
  { results: true, orders: 'not-an-array' },
];

/** The malformed answer for this poll, or undefined when the poll answers normally. */
export function malformedAnswerFor(config: SimulatedPlatformConfig, auctionId: AuctionId, poll: number): Record<string, unknown> | undefined {
  if (config.malformedShare <= 0) return undefined;
  const random = seededRandom(config.seed, auctionId, 'malformed', poll);
  if (random() >= config.malformedShare) return undefined;
  return { ...MALFORMED_ANSWERS[Math.floor(random() * MALFORMED_ANSWERS.length)] };
}
