import { SlackDeliveryError } from './errors';

export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Longest Retry-After we honour; a longer one is shortened so the function does not time out waiting. */
  readonly maxRetryAfterMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  /** Time left before the function times out; we stop early rather than be killed mid-wait. */
  readonly remainingTimeMs?: () => number;
  /** Time one more attempt needs (request timeout plus margin). */
  readonly attemptBudgetMs?: number;
  readonly onRetry?: (info: { attempt: number; delayMs: number; error: SlackDeliveryError }) => void;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Exponential backoff with full jitter, so concurrent notifiers do not retry in lockstep. */
export function backoffDelay(attempt: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs' | 'random'>): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(policy.random() * ceiling);
}

/** Retry-After is either delta-seconds or an HTTP date; anything else is ignored. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function asDeliveryError(error: unknown): SlackDeliveryError {
  if (error instanceof SlackDeliveryError) return error;
  // Unknown failures are retried: losing an alert is worse than one extra post.
  const message = error instanceof Error ? error.message : String(error);
  return new SlackDeliveryError(message, { retryable: true, cause: error });
}

/**
 * Runs `send` until it succeeds, a non-retryable error occurs, attempts run out or time runs short.
 * Always throws on final failure so the caller (Lambda async retry, then its DLQ) keeps the alert.
 */
export async function deliverWithRetry(send: () => Promise<void>, policy: RetryPolicy): Promise<{ attempts: number }> {
  const maxAttempts = Math.max(1, Math.floor(policy.maxAttempts));
  for (let attempt = 1; ; attempt++) {
    try {
      await send();
      return { attempts: attempt };
    } catch (caught) {
      const error = asDeliveryError(caught);
      const delayMs =
        error.retryAfterMs !== undefined
          ? Math.min(error.retryAfterMs, policy.maxRetryAfterMs)
          : backoffDelay(attempt, policy);
      const outOfTime =
        policy.remainingTimeMs !== undefined && policy.remainingTimeMs() < delayMs + (policy.attemptBudgetMs ?? 0);
      if (!error.retryable || attempt >= maxAttempts || outOfTime) {
        const why = !error.retryable ? 'not retryable' : outOfTime ? 'out of time' : 'attempts exhausted';
        throw new SlackDeliveryError(`Slack delivery failed after ${attempt} attempt(s), ${why}: ${error.message}`, {
          retryable: error.retryable,
          statusCode: error.statusCode,
          cause: error,
        });
      }
      policy.onRetry?.({ attempt, delayMs, error });
      await policy.sleep(delayMs);
    }
  }
}
