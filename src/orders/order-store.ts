import type { AuctionId } from '../auctions/auction-id';
import type { CustomerId } from '../auctions/customer';
import type { StoredOrder } from './order';

/** Reads one customer's order; the GET side of the API needs nothing else. */
export interface OrderReader {
  /** The stored item (strongly consistent), or undefined; never another customer's item. */
  getOrder(customer: CustomerId, recordId: string): Promise<StoredOrder | undefined>;
}

/** What a conditional putAll could not write because an auction run had taken the stored order. */
export interface RefusedOrder {
  readonly record_id: string;
  /** The auction the stored order went to, when the store could tell. */
  readonly auction_id?: AuctionId;
}

export interface PutAllOutcome {
  /** Orders refused by the condition; empty when every order was written. */
  readonly refused: readonly RefusedOrder[];
  /** Orders whose write was sent and may have been applied: what to restore when `refused` is not empty. */
  readonly sent: readonly string[];
}

/** The image to put back for one order a refused request may have written. */
export interface RestoreEntry {
  readonly record_id: string;
  /** The item as read before the request (a `received` order); undefined means there was none: delete. */
  readonly previous?: StoredOrder;
}

/**
 * Where orders are kept, per customer and record_id. Every method throws StorageUnavailableError when it
 * gives up on transient failures within its retry budget; any other error is a bug or a misconfiguration.
 */
export interface OrderStore extends OrderReader {
  /** True once the run has closed the auction (possibly before its gate closure); strongly consistent. */
  isAuctionClosed(auctionId: AuctionId): Promise<boolean>;
  /** The customer's stored items among these ids (strongly consistent), by record_id; absent ids are missing. */
  getOrders(customer: CustomerId, recordIds: readonly string[]): Promise<ReadonlyMap<string, StoredOrder>>;
  /**
   * Upserts each order unless its stored version has left `received` (and has not expired): such an order
   * is refused, and once one is refused no further write starts. Throws StorageUnavailableError only when
   * nothing was refused, so a refused request can always be undone by the caller.
   */
  putAll(orders: readonly StoredOrder[]): Promise<PutAllOutcome>;
  /**
   * Undoes the writes of a refused request: puts each previous image back, or deletes the item when there was
   * none, but only where the item still holds this request's `received_at` and is still `received`; items
   * someone changed since are left alone.
   */
  restore(customer: CustomerId, entries: readonly RestoreEntry[], receivedAt: string): Promise<void>;
}
