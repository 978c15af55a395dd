/** A Slack post failed; `retryable` tells the retry loop whether another attempt can help. */
export class SlackDeliveryError extends Error {
  readonly statusCode?: number;
  readonly retryable: boolean;
  /** Server-requested wait (Retry-After), in milliseconds. */
  readonly retryAfterMs?: number;

  constructor(
    message: string,
    details: { retryable: boolean; statusCode?: number; retryAfterMs?: number; cause?: unknown },
  ) {
    super(message, { cause: details.cause });
    this.name = 'SlackDeliveryFailed';
    this.retryable = details.retryable;
    this.statusCode = details.statusCode;
    this.retryAfterMs = details.retryAfterMs;
  }
}

/** The webhook secret holds neither an URL nor {"webhookUrl": ...}. The message never includes the secret. */
export class InvalidWebhookSecret extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidWebhookSecret';
  }
}

/**
 * The webhook secret still holds the UNSET marker it was created with: nobody has put the Slack URL in yet.
 * An expected state after a first deploy, not a delivery failure.
 */
export class SlackWebhookUnset extends Error {
  constructor() {
    super('Slack webhook secret is not set yet (it holds {"webhookUrl": "UNSET"})');
    this.name = 'SlackWebhookUnset';
  }
}
