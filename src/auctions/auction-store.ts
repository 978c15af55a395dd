import type { AuctionId } from './auction-id';
import type { CustomerId } from './customer';
import type { FailureReason, StoredOrder } from '../orders/order';
import type { PlatformResult } from '../platform/platform';

/** The order an outcome is written to, within one auction. */
export interface OrderRef {
  readonly customer: CustomerId;
  readonly record_id: string;
}

/** What a result writes on its order. */
export type OrderOutcome =
  | { readonly status: 'accepted'; readonly result: PlatformResult; readonly result_key: string }
  | { readonly status: 'rejected'; readonly result: PlatformResult }
  | { readonly status: 'failed'; readonly reason: FailureReason; readonly result?: PlatformResult };

/**
 * The run's view of the orders table. Every write is conditional on the order's auction, so a result
 * can never touch an order of another auction, and on its status, so nothing moves backwards.
 * Implementations throw OrderStoreUnavailable when the store cannot be reached.
 */
export interface AuctionStore {
  /**
   * Marks the auction closed to new orders (idempotent: the first close time is kept) and records which
   * auction the execution runs. With `onlyIfOpen`, false (and nothing written) when another execution
   * closed it already.
   */
  closeAuction(auctionId: AuctionId, executionName: string, now: Date, options?: { onlyIfOpen?: boolean }): Promise<boolean>;
  /** The auction an execution closed, for a run that ended before its last step; undefined if none. */
  auctionOfExecution(executionName: string): Promise<AuctionId | undefined>;
  /** Every order assigned to the auction, page by page, read through the auction index. */
  ordersOf(auctionId: AuctionId): AsyncIterable<StoredOrder[]>;
  /**
   * Moves a `received` order (of `from`) into the auction as `submitted`; false when it changed in the
   * meantime (replaced into another auction, or already taken by another run).
   */
  markSubmitted(order: StoredOrder, auctionId: AuctionId, executionName: string, now: Date): Promise<boolean>;
  /**
   * Confirms the order is one of the auction's submitted (or already finished) orders and returns it;
   * undefined when it is not, so nothing is written for an unknown order.
   */
  claimForResult(ref: OrderRef, auctionId: AuctionId): Promise<StoredOrder | undefined>;
  /** Writes the outcome on the order; false when the order is not one of the auction's. */
  recordOutcome(ref: OrderRef, auctionId: AuctionId, outcome: OrderOutcome, now: Date): Promise<boolean>;
  /** True exactly once per execution: the run's alert is sent by whoever claims it first. */
  claimAlert(auctionId: AuctionId, executionName: string): Promise<boolean>;
  /** Undoes claimAlert after the alert could not be published. */
  releaseAlert(auctionId: AuctionId, executionName: string): Promise<void>;
  /** Fails the order only if it is still `submitted`; false otherwise. */
  failIfSubmitted(ref: OrderRef, auctionId: AuctionId, reason: FailureReason, now: Date): Promise<boolean>;
}

/** The orders table could not be reached; transient by assumption, so the state machine retries it. */
export class OrderStoreUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OrderStoreUnavailable';
  }
}
