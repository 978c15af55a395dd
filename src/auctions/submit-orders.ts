import { createHash } from 'node:crypto';
import { gateClosureOf, shiftAuction, type AuctionId } from './auction-id';
import type { AuctionStore } from './auction-store';
import { platformOrderId } from './customer';
import type { ClosedAuction } from './run';
import type { StoredOrder } from '../orders/order';
import { MAX_BATCH_ORDERS, type AuctionPlatform, type PlatformOrder } from '../platform/platform';

export interface SubmitDeps {
  readonly orders: AuctionStore;
  readonly platform: AuctionPlatform;
  readonly now: () => Date;
  readonly periodMinutes: number;
  /** Conditional writes in flight at once. */
  readonly concurrency?: number;
}

/**
 * Close-and-submit (SPEC 2.3.1), after the gate has settled: every `received` order of the auction, and
 * any straggler the previous auction's run could not see (a POST that checked the gate just before it
 * closed), is moved to `submitted` with a conditional write, so an order lands in exactly one auction;
 * then exactly those orders go to the platform in batches. A retry of this step re-sends what this
 * execution already marked, under the same batch ids.
 */
export async function submitOrders(auctionId: AuctionId, executionName: string, deps: SubmitDeps): Promise<ClosedAuction> {
  const now = deps.now();
  const sources = [auctionId];
  const previous = shiftAuction(auctionId, -1, deps.periodMinutes);
  // Only a past auction can have stragglers; a future one may still be taking orders.
  if ((gateClosureOf(previous)?.getTime() ?? Infinity) <= now.getTime()) sources.push(previous);

  const mine: StoredOrder[] = [];
  const candidates: StoredOrder[] = [];
  for (const source of sources) {
    for await (const page of deps.orders.ordersOf(source)) {
      for (const order of page) {
        if (order.status === 'received') candidates.push(order);
        else if (order.status === 'submitted' && order.auction_id === auctionId && order.submitted_by === executionName) mine.push(order);
      }
    }
  }

  await forEachLimited(candidates, deps.concurrency ?? 32, async (order) => {
    if (await deps.orders.markSubmitted(order, auctionId, executionName, now)) mine.push(order);
  });

  const platformOrders: PlatformOrder[] = mine
    .map((o) => ({ order_id: platformOrderId(o.customer, o.record_id), parameter_1: o.parameter_1, parameter_2: o.parameter_2 }))
    .sort((a, b) => (a.order_id < b.order_id ? -1 : a.order_id > b.order_id ? 1 : 0));
  const runTag = createHash('sha256').update(executionName).digest('hex').slice(0, 16);
  for (let i = 0, n = 0; i < platformOrders.length; i += MAX_BATCH_ORDERS, n++) {
    await deps.platform.submitBatch(auctionId, `run-${runTag}-${String(n).padStart(4, '0')}`, platformOrders.slice(i, i + MAX_BATCH_ORDERS));
  }
  return { auction_id: auctionId, submitted: platformOrders.length };
}

/** Runs `work` over the items with at most `limit` in flight; the first error stops new work and is thrown. */
export async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !failed) {
      const item = items[next++];
      try {
        await work(item);
      } catch (error) {
        failed = { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed) throw failed.error;
}
