/**
 * The contract of one auction run, shared by the handlers, the alert renderer and the state machine's
 * field names (infra/constructs/auction-run.ts reads the names from here).
 */
import type { AuctionId } from './auction-id';
import type { CustomerId } from './customer';
import type { FailureReason, OrderStatus } from '../orders/order';
import type { PlatformResult } from '../platform/platform';

/** One run's outcome counts (SPEC 2.3.5): every order of the auction this run handed to the platform. */
export interface RunSummary {
  readonly auction_id: AuctionId;
  readonly execution_name: string;
  readonly total: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly failed: number;
}

/** An order that did not make it, as the operations team sees it in the alert and in the S3 list. */
export interface FailedOrder {
  readonly customer: CustomerId;
  readonly record_id: string;
  readonly status: Extract<OrderStatus, 'rejected' | 'failed'>;
  readonly parameter_1: string;
  /** Exact decimal text. */
  readonly parameter_2: string;
  /** What the platform answered, when it answered. */
  readonly result?: PlatformResult;
  readonly reason?: FailureReason;
}

/** The message the run publishes to the alerts topic when orders were rejected or failed. */
export interface FailedOrdersAlert {
  readonly kind: 'failed-orders';
  readonly summary: RunSummary;
  readonly stateMachineArn?: string;
  /** The first ALERT_ORDERS_LIMIT failed orders, by customer and record_id. */
  readonly orders: FailedOrder[];
  /** How many more are only in the full list. */
  readonly more: number;
  /** S3 location of the full list (JSON array of FailedOrder), `s3://bucket/key`. */
  readonly full_list?: string;
}

/** What close-auction hands to the rest of the run. */
export interface ClosedAuction {
  readonly auction_id: AuctionId;
  /** Orders handed to the platform in this run. */
  readonly submitted: number;
}

/** The per-item input of the results Map (store-result). */
export interface StoreResultInput {
  readonly auction_id: AuctionId;
  readonly execution_name: string;
  /** One element of the platform's `orders` array, unchecked. */
  readonly result: unknown;
  /** Set when an earlier attempt failed for good: record the failure on the order instead. */
  readonly failure?: { readonly Error?: string; readonly Cause?: string };
}

/** Reasons given to orders that never got a result. */
export const NO_RESULT: FailureReason = 'NoResult';
