import { type AuctionId, auctionFor, MAX_CLOSED_AHEAD, shiftAuction } from '../auctions/auction-id';
import type { CustomerId } from '../auctions/customer';
import { type LockedOrder, NoOpenAuctionError, OrdersLockedError } from './errors';
import { isExpired, isLocked } from './lifecycle';
import type { OrderStore } from './order-store';
import { type StoredOrder, toStoredOrder } from './order';
import { parseOrders } from './parse-orders';

export interface IngestConfig {
  readonly maxOrders: number;
  readonly ttlHours: number;
  /** Minutes between gate closures (divides a day). */
  readonly auctionPeriodMinutes: number;
}

export interface IngestDeps {
  readonly store: OrderStore;
  readonly now: () => Date;
}

export interface IngestResult {
  readonly accepted: number;
  readonly auctionId: AuctionId;
}

/**
 * Auctions after the one of the arrival time that a request may move to when runs closed them early.
 * Past that, refusing (503) beats writing into a closed auction, where no run would pick the orders up.
 */
export const MAX_AUCTIONS_AHEAD = MAX_CLOSED_AHEAD;

/**
 * Validates the whole request, then stores every order in one open auction, all or nothing: a request that
 * names an order an auction run has taken is refused (409) before any write, and when a run takes one
 * between that check and the write, what was written is put back before refusing. Errors are the typed ones
 * from ./errors or unexpected failures for the caller to report.
 */
export async function ingestOrders(
  bodyText: string,
  customer: CustomerId,
  config: IngestConfig,
  deps: IngestDeps,
): Promise<IngestResult> {
  const orders = parseOrders(bodyText, config.maxOrders);
  const receivedAt = deps.now();
  const auctionId = await openAuction(receivedAt, config.auctionPeriodMinutes, deps.store);

  const indexOf = new Map(orders.map((order, index) => [order.record_id, index]));
  const current = await deps.store.getOrders(customer, orders.map((order) => order.record_id));
  const locked: LockedOrder[] = [];
  for (const [recordId, stored] of current) {
    if (isLocked(stored, receivedAt)) locked.push({ index: indexOf.get(recordId)!, record_id: recordId, auction_id: stored.auction_id });
  }
  if (locked.length > 0) throw new OrdersLockedError(sortByIndex(locked));

  const outcome = await deps.store.putAll(
    orders.map((order) => toStoredOrder(order, customer, auctionId, receivedAt, config.ttlHours)),
  );
  if (outcome.refused.length > 0) {
    await deps.store.restore(
      customer,
      outcome.sent.map((recordId) => ({ record_id: recordId, previous: replaceable(current.get(recordId), receivedAt) })),
      receivedAt.toISOString(),
    );
    throw new OrdersLockedError(
      sortByIndex(outcome.refused.map((refused) => ({ index: indexOf.get(refused.record_id)!, ...refused }))),
    );
  }
  return { accepted: orders.length, auctionId };
}

/** The auction of the arrival time, or the first later one the run has not closed ahead of time. */
async function openAuction(receivedAt: Date, periodMinutes: number, store: OrderStore): Promise<AuctionId> {
  const first = auctionFor(receivedAt, periodMinutes);
  for (let offset = 0; offset <= MAX_AUCTIONS_AHEAD; offset++) {
    const auctionId = shiftAuction(first, offset, periodMinutes);
    if (!(await store.isAuctionClosed(auctionId))) return auctionId;
  }
  throw new NoOpenAuctionError(
    `Auctions ${first} to ${shiftAuction(first, MAX_AUCTIONS_AHEAD, periodMinutes)} are all closed`,
    60,
  );
}

/** An expired image is as good as no item: restoring it would bring back an order that is gone. */
function replaceable(previous: StoredOrder | undefined, at: Date): StoredOrder | undefined {
  return previous && !isExpired(previous, at) ? previous : undefined;
}

function sortByIndex(locked: LockedOrder[]): LockedOrder[] {
  return locked.sort((a, b) => a.index - b.index);
}
