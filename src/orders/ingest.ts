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
  /** The open auction as recently read by this execution environment. @default - read for every request */
  readonly openAuctions?: OpenAuctionMemo;
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
 * How long one read of the auction control items may serve later requests. A run waits gateSettle after it
 * closes an auction before it reads the auction's orders, and a request that saw the auction open writes
 * within the function's timeout of its start; reusing the read for this long keeps that argument whole as
 * long as gateSettle > timeout + this (35 s > 29 s + 0.5 s). Locks never depend on it: they are conditions.
 */
export const OPEN_AUCTION_REUSE_MS = 500;

/** The last open auction this execution environment read, so a busy function reads it about twice a second. */
export class OpenAuctionMemo {
  private seen: { readonly first: AuctionId; readonly open: AuctionId; readonly atMs: number } | undefined;

  constructor(private readonly maxAgeMs = OPEN_AUCTION_REUSE_MS) {}

  /** The auction found open from `first` on, if read at most maxAgeMs before `at`. */
  recall(first: AuctionId, at: Date): AuctionId | undefined {
    const seen = this.seen;
    const age = seen ? at.getTime() - seen.atMs : -1;
    return seen && seen.first === first && age >= 0 && age <= this.maxAgeMs ? seen.open : undefined;
  }

  /** `at` must not be later than the read that found `open` open. */
  remember(first: AuctionId, open: AuctionId, at: Date): void {
    this.seen = { first, open, atMs: at.getTime() };
  }
}

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
  const auctionId = await openAuction(receivedAt, config.auctionPeriodMinutes, deps);
  if (orders.length === 1) {
    await putOne(toStoredOrder(orders[0], customer, auctionId, receivedAt, config.ttlHours), deps.store);
    return { accepted: 1, auctionId };
  }

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

/**
 * One order needs no read before its write: the conditional write is the lock check, and a refused write
 * has written nothing, so there is nothing to undo. The read only names the auction that took it when the
 * store could not (emulators that return no ALL_OLD image).
 */
async function putOne(order: StoredOrder, store: OrderStore): Promise<void> {
  const { refused } = await store.putAll([order]);
  if (refused.length === 0) return;
  const auctionId =
    refused[0].auction_id ??
    (await store.getOrders(order.customer, [order.record_id]).then((found) => found.get(order.record_id)?.auction_id, () => undefined));
  throw new OrdersLockedError([{ index: 0, record_id: order.record_id, auction_id: auctionId }]);
}

/** The auction of the arrival time, or the first later one the run has not closed ahead of time. */
async function openAuction(receivedAt: Date, periodMinutes: number, deps: IngestDeps): Promise<AuctionId> {
  const first = auctionFor(receivedAt, periodMinutes);
  const recent = deps.openAuctions?.recall(first, receivedAt);
  if (recent !== undefined) return recent;
  for (let offset = 0; offset <= MAX_AUCTIONS_AHEAD; offset++) {
    const auctionId = shiftAuction(first, offset, periodMinutes);
    if (!(await deps.store.isAuctionClosed(auctionId))) {
      // receivedAt was taken before the reads, so it is a safe lower bound of when the auction was seen open.
      deps.openAuctions?.remember(first, auctionId, receivedAt);
      return auctionId;
    }
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
