/** One problem with the request, addressed by JSON Pointer into the body ("" is the body itself). */
export interface ErrorDetail {
  readonly path: string;
  readonly message: string;
}

export type BadRequestCode =
  | 'EMPTY_BODY'
  | 'INVALID_JSON'
  | 'INVALID_ORDERS'
  | 'TOO_MANY_ORDERS'
  | 'DUPLICATE_RECORD_ID';

/** Cap on reported details so a 1000-order garbage request does not produce a megabyte of errors. */
export const MAX_ERROR_DETAILS = 20;

/** Base of the errors a client can fix; each subclass is one HTTP status and one stable code. */
export abstract class OrdersRequestError extends Error {
  abstract readonly code: string;
  readonly status: number = 400;
  readonly details: readonly ErrorDetail[];

  constructor(message: string, details: readonly ErrorDetail[] = []) {
    super(message);
    this.name = new.target.name;
    this.details = details.slice(0, MAX_ERROR_DETAILS);
  }
}

/** The body is not a valid orders request (400). */
export class InvalidRequestError extends OrdersRequestError {
  constructor(
    readonly code: BadRequestCode,
    message: string,
    details: readonly ErrorDetail[] = [],
  ) {
    super(message, details);
  }
}

/** The body is larger than the configured limit (413). */
export class PayloadTooLargeError extends OrdersRequestError {
  readonly code = 'PAYLOAD_TOO_LARGE';
  override readonly status = 413;
}

/** Content-Type is missing or not JSON (415). */
export class UnsupportedMediaTypeError extends OrdersRequestError {
  readonly code = 'UNSUPPORTED_MEDIA_TYPE';
  override readonly status = 415;
}

/** The request carries no customer (no API key id we accept): nothing may be stored without an owner (403). */
export class ForbiddenError extends OrdersRequestError {
  readonly code = 'FORBIDDEN';
  override readonly status = 403;
}

/** An order of the request that an auction run has taken: it is binding and can no longer change. */
export interface LockedOrder {
  /** Position of the order in the request body. */
  readonly index: number;
  readonly record_id: string;
  /** The auction it was submitted to, when known. */
  readonly auction_id?: string;
}

/** Ids named in the message; the details list each locked order (capped at MAX_ERROR_DETAILS). */
const MAX_IDS_IN_MESSAGE = 10;

/** The request names orders that were submitted to an auction (409); nothing of the request is stored. */
export class OrdersLockedError extends OrdersRequestError {
  readonly code = 'ORDER_LOCKED';
  override readonly status = 409;

  constructor(readonly locked: readonly LockedOrder[]) {
    const ids = locked.slice(0, MAX_IDS_IN_MESSAGE).map((order) => JSON.stringify(order.record_id));
    const more = locked.length > MAX_IDS_IN_MESSAGE ? ` and ${locked.length - MAX_IDS_IN_MESSAGE} more` : '';
    super(
      `${locked.length === 1 ? 'This order was' : `${locked.length} orders were`} submitted to an auction and can no longer ` +
        `change, so nothing of the request was stored: ${ids.join(', ')}${more}`,
      locked.map((order) => ({
        path: `/${order.index}/record_id`,
        message: `order ${order.record_id} was submitted to ${order.auction_id ? `auction ${order.auction_id}` : 'an auction'} and can no longer change`,
      })),
    );
  }
}

/** The record_id of a GET is not a valid id once percent-decoded (400). */
export class InvalidRecordIdError extends OrdersRequestError {
  readonly code = 'INVALID_RECORD_ID';
}

/**
 * No order of this customer has the id (404). Also the answer for another customer's id and for an expired
 * order, so ids cannot be probed: the message and details never depend on why.
 */
export class OrderNotFoundError extends OrdersRequestError {
  readonly code = 'ORDER_NOT_FOUND';
  override readonly status = 404;

  constructor() {
    super('No order with this record_id');
  }
}

/** Every auction within reach is already closed (503): the run may be closing ahead of time; retry later. */
export class NoOpenAuctionError extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
    this.name = 'NoOpenAuctionError';
  }
}

/** The error shape of every answer of the API (SPEC 2.1). */
export function errorBody(code: string, message: string, details: readonly ErrorDetail[] = []) {
  return { error: { code, message, details } };
}

/**
 * Storage kept failing after the bounded retries (503). Nothing about the cause reaches the client; writes are
 * upserts, so repeating the whole request after `retryAfterSeconds` is safe.
 */
export class StorageUnavailableError extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    readonly unwrittenCount: number,
  ) {
    super(message);
    this.name = 'StorageUnavailableError';
  }
}
