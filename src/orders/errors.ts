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

/** Base of the errors a client can fix; the handler maps each subclass to one HTTP status. */
export abstract class OrdersRequestError extends Error {
  abstract readonly code: string;
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
}

/** Content-Type is missing or not JSON (415). */
export class UnsupportedMediaTypeError extends OrdersRequestError {
  readonly code = 'UNSUPPORTED_MEDIA_TYPE';
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
