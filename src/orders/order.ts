import type { AuctionId } from '../auctions/auction-id';
import type { CustomerId } from '../auctions/customer';
import type { PlatformResult } from '../platform/platform';

/** A number kept as its exact decimal text (e.g. "2.1", "12345678901234567890"), never as a float. */
export type DecimalText = string;

/** A validated order as the client sent it. */
export interface Order {
  readonly record_id: string;
  readonly parameter_1: string;
  readonly parameter_2: DecimalText;
}

/**
 * Where an order is in its life. `received` orders may still be replaced; from `submitted` on the order
 * is binding (409 ORDER_LOCKED). Every submitted order ends its run as accepted, rejected or failed.
 */
export type OrderStatus = 'received' | 'submitted' | 'accepted' | 'rejected' | 'failed';

export const FINAL_STATUSES: readonly OrderStatus[] = ['accepted', 'rejected', 'failed'];

/** Why a submitted order failed; the error names of the run (e.g. `ResultsNotReady`) are reasons too. */
export type FailureReason = 'NoResult' | string;

/** What is stored for one order (the table item), keyed by customer and record_id. */
export interface StoredOrder extends Order {
  readonly customer: CustomerId;
  /** Epoch seconds after which DynamoDB's TTL may delete the item. */
  readonly ttl: number;
  /** ISO-8601 time the request was received; the same for every order of one request. */
  readonly received_at: string;
  readonly status: OrderStatus;
  /** The auction the order goes (or went) to: the next gate closure after received_at, or a later one. */
  readonly auction_id: AuctionId;
  readonly submitted_at?: string;
  /** Execution name of the run that submitted it. */
  readonly submitted_by?: string;
  /** When the order reached its final status. */
  readonly finished_at?: string;
  /** What the platform answered for this order. */
  readonly result?: PlatformResult;
  /** S3 key of the stored result of an accepted order. */
  readonly result_key?: string;
  /** Why the order failed. */
  readonly reason?: FailureReason;
}

/** Builds the stored form of a new (or replaced) order; the clock is passed in so tests can pin time. */
export function toStoredOrder(
  order: Order,
  customer: CustomerId,
  auctionId: AuctionId,
  receivedAt: Date,
  ttlHours: number,
): StoredOrder {
  return {
    customer,
    record_id: order.record_id,
    parameter_1: order.parameter_1,
    parameter_2: order.parameter_2,
    ttl: Math.floor(receivedAt.getTime() / 1000) + Math.round(ttlHours * 3600),
    received_at: receivedAt.toISOString(),
    status: 'received',
    auction_id: auctionId,
  };
}
