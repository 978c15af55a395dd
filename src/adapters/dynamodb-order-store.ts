import { BatchWriteCommand, type DynamoDBDocumentClient, NumberValue } from '@aws-sdk/lib-dynamodb';
import { StorageUnavailableError } from '../orders/errors';
import type { StoredOrder } from '../orders/order';
import type { OrderStore } from '../orders/order-store';
import { logger } from '../shared/powertools';

/** BatchWriteItem accepts at most 25 put/delete requests. */
export const BATCH_SIZE = 25;

export interface DynamoDbOrderStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Total time the retries of one putAll may take before giving up with StorageUnavailableError. */
  readonly retryBudgetMs: number;
  /** Injectable so unit tests neither wait nor depend on wall time. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly nowMs?: () => number;
  readonly random?: () => number;
  /** Batches in flight at once; a few keep a 1000-order request fast without a burst of 40 calls. */
  readonly concurrency?: number;
  /** Hard cap per batch in case the clock does not move (it always does in production). */
  readonly maxAttempts?: number;
}

type PutRequest = { PutRequest: { Item: Record<string, unknown> } };

const BASE_DELAY_MS = 50;
const MAX_DELAY_MS = 1000;

// Errors that say "try again later" rather than "this request is wrong".
const RETRYABLE_ERROR_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);
const RETRYABLE_NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);

/**
 * Stores orders with BatchWriteItem. PutRequest is an upsert by record_id, so a request repeated after a 503
 * (some batches may already be written) converges on the same items.
 * Retries, for UnprocessedItems and for throttling/5xx errors alike, use exponential backoff with full jitter
 * and share one time budget per call; the budget bounds when a new attempt may start (an attempt in flight
 * is bounded by the SDK's own timeouts), so the function timeout must leave room beyond it.
 */
export class DynamoDbOrderStore implements OrderStore {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly nowMs: () => number;
  private readonly random: () => number;
  private readonly concurrency: number;
  private readonly maxAttempts: number;

  constructor(private readonly options: DynamoDbOrderStoreOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.nowMs = options.nowMs ?? Date.now;
    this.random = options.random ?? Math.random;
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 10);
  }

  async putAll(orders: readonly StoredOrder[]): Promise<void> {
    const batches: PutRequest[][] = [];
    for (let start = 0; start < orders.length; start += BATCH_SIZE) {
      batches.push(orders.slice(start, start + BATCH_SIZE).map(toPutRequest));
    }
    const deadline = this.nowMs() + this.options.retryBudgetMs;

    let next = 0;
    let unwritten = 0;
    let failure: { error: unknown } | undefined;
    // A small worker pool; after a hard failure no new batch starts, and nothing is left running when we return.
    const worker = async (): Promise<void> => {
      while (next < batches.length && failure === undefined) {
        const batch = batches[next++];
        try {
          // Read the result first: `unwritten += await ...` would read unwritten before the await and lose updates.
          const left = await this.writeBatch(batch, deadline);
          unwritten += left;
        } catch (error) {
          failure = { error };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, batches.length) }, worker));

    if (failure) throw failure.error;
    if (unwritten > 0) {
      throw new StorageUnavailableError(
        `${unwritten} of ${orders.length} orders could not be written within ${this.options.retryBudgetMs} ms`,
        Math.max(1, Math.ceil(this.options.retryBudgetMs / 1000)),
        unwritten,
      );
    }
  }

  /** Writes one batch, retrying what DynamoDB leaves unprocessed; returns how many items stay unwritten. */
  private async writeBatch(batch: PutRequest[], deadline: number): Promise<number> {
    const { client, tableName } = this.options;
    let pending = batch;
    for (let attempt = 1; ; attempt++) {
      if (attempt > 1) {
        const remaining = deadline - this.nowMs();
        if (remaining <= 0 || attempt > this.maxAttempts) return pending.length;
        // Full jitter: spreads retries of concurrent callers instead of having them collide again.
        const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (attempt - 2));
        await this.sleep(Math.min(remaining, Math.floor(this.random() * ceiling)));
      } else if (this.nowMs() >= deadline) {
        return pending.length;
      }

      try {
        const output = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
        pending = (output.UnprocessedItems?.[tableName] ?? []) as PutRequest[];
        if (pending.length === 0) return 0;
        logger.warn('DynamoDB left items unprocessed; retrying', { attempt, unprocessed: pending.length });
      } catch (error) {
        if (!isRetryable(error)) throw error;
        logger.warn('Retryable DynamoDB error; retrying', { attempt, error: errorName(error) });
      }
    }
  }
}

function toPutRequest(order: StoredOrder): PutRequest {
  return {
    PutRequest: {
      Item: {
        record_id: order.record_id,
        parameter_1: order.parameter_1,
        // NumberValue sends the decimal text as-is; a JS number would round 2.1 or 12345678901234567890.
        parameter_2: NumberValue.from(order.parameter_2),
        ttl: order.ttl,
        received_at: order.received_at,
      },
    },
  };
}

function isRetryable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as {
    name?: string;
    code?: string;
    $retryable?: unknown;
    $fault?: string;
    $metadata?: { httpStatusCode?: number };
  };
  return (
    RETRYABLE_ERROR_NAMES.has(candidate.name ?? '') ||
    RETRYABLE_NETWORK_CODES.has(candidate.code ?? '') ||
    candidate.$retryable !== undefined ||
    candidate.$fault === 'server' ||
    (candidate.$metadata?.httpStatusCode ?? 0) >= 500
  );
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
