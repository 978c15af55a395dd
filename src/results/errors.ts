// Error names are part of the state machine contract (Retry/Catch match on them, and they become the
// failed orders' reasons), so each class sets `name` to a literal: bundlers may rename classes.

/** The auction rejected this order; recorded on the order first, then raised so the Map counts it apart. */
export class OrderRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OrderRejected';
  }
}

/** The result does not look like a result of ours (no order id, unknown status); a retry cannot fix it. */
export class InvalidOrderResult extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidOrderResult';
  }
}

/** The result names an order that is not one of this auction's submitted orders; nothing was written. */
export class UnknownOrder extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnknownOrder';
  }
}

/** The result could not be written; transient by assumption, so the state machine retries it with backoff. */
export class ResultStoreUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ResultStoreUnavailable';
  }
}

/** A task's input is not what the state machine sends; a wiring bug, not a platform answer. */
export class InvalidTaskInput extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTaskInput';
  }
}
