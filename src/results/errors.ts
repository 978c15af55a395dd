// Error names are part of the state machine contract (Retry/Catch match on them), so each class sets
// `name` to a literal: bundlers may rename classes, and Lambda reports `name` as the errorType.

/** The auction rejected this order; the state machine catches it per item and reports it in the run summary. */
export class OrderRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OrderRejected';
  }
}

/** The map item does not look like an order result; retrying cannot fix it. */
export class InvalidOrderResult extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidOrderResult';
  }
}

/** The result could not be written; transient by assumption, so the state machine retries it with backoff. */
export class ResultStoreUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ResultStoreUnavailable';
  }
}

/** The fetch-results input is not {attempt, executionName}; a wiring bug, not a platform answer. */
export class InvalidFetchRequest extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidFetchRequest';
  }
}
