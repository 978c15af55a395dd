/**
 * The auction platform, as the pipeline sees it (SPEC 2.9). The HTTP adapter in src/adapters talks to a
 * real platform or to the simulated one (src/platform/simulated, its own service in the app); nothing
 * else in the pipeline knows which.
 *
 * Wire protocol (JSON over HTTPS, header `x-api-key`):
 * - `PUT  {base}/auctions/{auction_id}/batches/{batch_id}` body `{"orders": PlatformOrder[]}` (at most
 *   MAX_BATCH_ORDERS) answers 200 `{"auction_id", "batch_id", "received": n}`. Idempotent per batch id.
 * - `GET  {base}/auctions/{auction_id}/results[?page=<token>]` answers 200 with a ResultsAnswer:
 *   `{"results": false}` while the auction is not cleared, `{"results": true, "orders": [...],
 *   "next_page": "<token>" | null}` once it is; 404 for an auction it never received orders for.
 */
import type { AuctionId } from '../auctions/auction-id';

/** Orders per submitted batch: about 100 KB of JSON, far below API Gateway's and Lambda's 6 MB. */
export const MAX_BATCH_ORDERS = 1000;

/** One order as handed to the platform. `order_id` is `<customer>:<record_id>` (src/auctions/customer.ts). */
export interface PlatformOrder {
  readonly order_id: string;
  readonly parameter_1: string;
  /** Exact decimal text; sent as a JSON number with exactly these digits. */
  readonly parameter_2: string;
}

/** What the platform says about one order. Anything beyond these fields is kept as the platform sent it. */
export interface PlatformResult {
  readonly order_id: string;
  readonly status: 'accepted' | 'rejected';
  /** MWh cleared for an accepted order. */
  readonly cleared_volume?: number;
  /** EUR/MWh of the auction's clearing. */
  readonly clearing_price?: number;
  /** Why the platform rejected the order. */
  readonly reason?: string;
  readonly [extra: string]: unknown;
}

/** One answer of the results endpoint; deliberately loose, because validating it is the pipeline's job. */
export type ResultsAnswer =
  | { readonly results: false }
  | { readonly results: true; readonly orders: unknown[]; readonly next_page?: string | null }
  | { readonly results?: unknown; readonly [key: string]: unknown };

/** The port. Implementations retry transient failures themselves and throw the errors below. */
export interface AuctionPlatform {
  /** Hands one batch of an auction's orders over; repeating the same batch id replaces it. */
  submitBatch(auctionId: AuctionId, batchId: string, orders: readonly PlatformOrder[]): Promise<void>;
  /** Asks for one page of results (the first when `page` is undefined). */
  fetchResults(auctionId: AuctionId, page?: string): Promise<ResultsAnswer>;
}

// Error names are part of the state machine contract (Retry/Catch match on them), so each class sets
// `name` to a literal: bundlers may rename classes, and Lambda reports `name` as the errorType.

/** The platform refused the request (4xx other than 429): retrying the same request cannot help. */
export class PlatformRequestRejected extends Error {
  constructor(message: string, readonly statusCode: number) {
    super(message);
    this.name = 'PlatformRequestRejected';
  }
}

/** The platform stayed unreachable, slow, throttling or failing (429, 5xx, network) after the retries. */
export class PlatformUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PlatformUnavailable';
  }
}
