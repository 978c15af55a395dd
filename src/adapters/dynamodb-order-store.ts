import {
  BatchGetCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  NumberValue,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';
import type { AuctionId } from '../auctions/auction-id';
import type { CustomerId } from '../auctions/customer';
import { StorageUnavailableError } from '../orders/errors';
import { FINAL_STATUSES, type OrderStatus, type StoredOrder } from '../orders/order';
import type { OrderStore, PutAllOutcome, RefusedOrder, RestoreEntry } from '../orders/order-store';
import type { PlatformResult } from '../platform/platform';
import { logger } from '../shared/powertools';
import { AUCTION_PARTITION } from './dynamodb-auction-store';

/** BatchGetItem reads at most 100 keys per call. */
export const BATCH_GET_SIZE = 100;

export interface DynamoDbOrderStoreOptions {
  /**
   * A document client that reads numbers as NumberValue (`exactDocumentClient()`), so parameter_2 keeps its
   * exact digits; plain numbers would round 0.1000000000000000055511151231257827 to 0.1 and fail outright
   * for 12345678901234567890.5.
   */
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /**
   * Time the retries of one call (one putAll, one getOrders, ...) may take before it gives up with
   * StorageUnavailableError. It bounds when a new attempt may start; an attempt in flight is bounded by the
   * SDK's own timeouts, so the function timeout must leave room for a few budgets.
   */
  readonly retryBudgetMs: number;
  /** Injectable so unit tests neither wait nor depend on wall time. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly nowMs?: () => number;
  readonly random?: () => number;
  /** Calls in flight at once; 16 writes 1000 orders in well under a second without a burst of 1000 calls. */
  readonly concurrency?: number;
  /** Hard cap of attempts per call in case the clock does not move (it always does in production). */
  readonly maxAttempts?: number;
}

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

const ORDER_STATUSES: readonly OrderStatus[] = ['received', 'submitted', ...FINAL_STATUSES];

// A new order may take a record_id that is free, still `received` (last write wins), or expired but not yet
// deleted by DynamoDB's TTL sweep; the same rule as isLocked() in src/orders/lifecycle.ts.
const REPLACEABLE = 'attribute_not_exists(record_id) OR #status = :received OR #ttl <= :now';
// A rollback only touches what this request wrote and no run has taken since.
const STILL_OURS = '#received_at = :mine AND #status = :received';

type Item = Record<string, unknown>;

/**
 * The orders table: items keyed by customer and record_id, auction control items under AUCTION_PARTITION
 * (`record_id` = auction id, `closed_at` once the run closed it). parameter_2 is read and written as
 * NumberValue, which carries the decimal text as it is.
 *
 * Every call retries throttling, 5xx and network errors (and unprocessed keys) with exponential backoff and
 * full jitter within its own retry budget, then gives up with StorageUnavailableError.
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
    this.concurrency = Math.max(1, options.concurrency ?? 16);
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 10);
  }

  async isAuctionClosed(auctionId: AuctionId): Promise<boolean> {
    let closed = false;
    const done = await this.retrying(this.deadline(), 'GetItem (auction)', async () => {
      const output = await this.options.client.send(
        new GetCommand({
          TableName: this.options.tableName,
          Key: { customer: AUCTION_PARTITION, record_id: auctionId },
          ConsistentRead: true,
          ProjectionExpression: '#closed_at',
          ExpressionAttributeNames: { '#closed_at': 'closed_at' },
        }),
      );
      closed = output.Item?.closed_at !== undefined && output.Item.closed_at !== null;
      return true;
    });
    if (!done) throw this.unavailable(`The state of auction ${auctionId} could not be read`, 1);
    return closed;
  }

  async getOrder(customer: CustomerId, recordId: string): Promise<StoredOrder | undefined> {
    // The control partition holds no orders, whoever asks.
    if (customer === AUCTION_PARTITION) return undefined;
    let item: Item | undefined;
    const done = await this.retrying(this.deadline(), 'GetItem', async () => {
      const output = await this.options.client.send(
        new GetCommand({ TableName: this.options.tableName, Key: keyOf(customer, recordId), ConsistentRead: true }),
      );
      item = output.Item;
      return true;
    });
    if (!done) throw this.unavailable('The order could not be read', 1);
    const order = item && orderFromItem(item);
    return order && order.customer === customer ? order : undefined;
  }

  async getOrders(customer: CustomerId, recordIds: readonly string[]): Promise<ReadonlyMap<string, StoredOrder>> {
    const { client, tableName } = this.options;
    const found = new Map<string, StoredOrder>();
    const deadline = this.deadline();
    let unread = 0;
    await forEachBounded(chunks(recordIds, BATCH_GET_SIZE), this.concurrency, () => unread > 0, async (ids) => {
      let pending: Item[] = ids.map((id) => keyOf(customer, id));
      const done = await this.retrying(deadline, 'BatchGetItem', async () => {
        const output = await client.send(
          new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } } }),
        );
        for (const item of output.Responses?.[tableName] ?? []) {
          const order = orderFromItem(item);
          if (order.customer === customer) found.set(order.record_id, order);
        }
        pending = output.UnprocessedKeys?.[tableName]?.Keys ?? [];
        return pending.length === 0;
      });
      if (!done) unread += pending.length;
    });
    if (unread > 0) throw this.unavailable(`${unread} of ${recordIds.length} orders could not be read`, unread);
    return found;
  }

  async putAll(orders: readonly StoredOrder[]): Promise<PutAllOutcome> {
    const { client, tableName } = this.options;
    const deadline = this.deadline();
    const refused: RefusedOrder[] = [];
    // In insertion order; an order whose write gave up stays here, because it may have been applied.
    const sent = new Set<string>();
    let unwritten = 0;
    // Once one order is refused the request fails, and once one gave up the budget is spent: no new write.
    await forEachBounded(orders, this.concurrency, () => refused.length > 0 || unwritten > 0, async (order) => {
      sent.add(order.record_id);
      let refusal: RefusedOrder | undefined;
      const done = await this.retrying(deadline, 'PutItem', async () => {
        try {
          await client.send(
            new PutCommand({
              TableName: tableName,
              Item: toItem(order),
              ConditionExpression: REPLACEABLE,
              ExpressionAttributeNames: { '#status': 'status', '#ttl': 'ttl' },
              ExpressionAttributeValues: { ':received': 'received', ':now': Math.floor(Date.parse(order.received_at) / 1000) },
              // AWS returns the item that failed the condition (and so its auction); local emulators may not.
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            }),
          );
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
          const auctionId = error.Item?.auction_id?.S;
          refusal = { record_id: order.record_id, auction_id: typeof auctionId === 'string' ? auctionId : undefined };
        }
        return true;
      });
      if (refusal) {
        sent.delete(order.record_id);
        refused.push(refusal);
      } else if (!done) {
        unwritten += 1;
      }
    });

    if (refused.length > 0) {
      logger.warn('Orders were taken by an auction run while the request was written', {
        refused: refused.length,
        sent: sent.size,
      });
      return { refused, sent: [...sent] };
    }
    if (unwritten > 0) {
      const notStarted = orders.length - sent.size;
      throw this.unavailable(
        `${unwritten + notStarted} of ${orders.length} orders could not be written within ${this.options.retryBudgetMs} ms`,
        unwritten + notStarted,
      );
    }
    return { refused, sent: [...sent] };
  }

  async restore(customer: CustomerId, entries: readonly RestoreEntry[], receivedAt: string): Promise<void> {
    const { client, tableName } = this.options;
    const deadline = this.deadline();
    const changedSince: string[] = [];
    let unrestored = 0;
    await forEachBounded(entries, this.concurrency, () => false, async (entry) => {
      const condition = {
        ConditionExpression: STILL_OURS,
        ExpressionAttributeNames: { '#received_at': 'received_at', '#status': 'status' },
        ExpressionAttributeValues: { ':mine': receivedAt, ':received': 'received' },
      };
      const done = await this.retrying(deadline, 'restore', async () => {
        try {
          if (entry.previous) {
            await client.send(new PutCommand({ TableName: tableName, Item: toItem(entry.previous), ...condition }));
          } else {
            await client.send(new DeleteCommand({ TableName: tableName, Key: { customer, record_id: entry.record_id }, ...condition }));
          }
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
          changedSince.push(entry.record_id);
        }
        return true;
      });
      if (!done) unrestored += 1;
    });
    if (changedSince.length > 0) {
      // A newer request of the customer replaced them, or a run took them: either way they are not ours to undo.
      logger.warn('Some orders changed after this request wrote them and were left as they are', {
        changed: changedSince.slice(0, 20),
        count: changedSince.length,
      });
    }
    if (unrestored > 0) {
      logger.error('Orders of a refused request could not be restored; they stay written', { unrestored });
      throw this.unavailable(`${unrestored} orders of a refused request could not be restored`, unrestored);
    }
  }

  private deadline(): number {
    return this.nowMs() + this.options.retryBudgetMs;
  }

  private unavailable(message: string, count: number): StorageUnavailableError {
    return new StorageUnavailableError(message, Math.max(1, Math.ceil(this.options.retryBudgetMs / 1000)), count);
  }

  /**
   * Runs `step` until it reports done, with full-jitter exponential backoff between attempts; retryable
   * errors and a `false` (work left unprocessed) both lead to another attempt. The first attempt always
   * runs; false means the budget or the attempt cap ran out. Non-retryable errors are thrown.
   */
  private async retrying(deadline: number, operation: string, step: () => Promise<boolean>): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      if (attempt > 1) {
        const remaining = deadline - this.nowMs();
        if (remaining <= 0 || attempt > this.maxAttempts) return false;
        // Full jitter: spreads retries of concurrent callers instead of having them collide again.
        const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (attempt - 2));
        await this.sleep(Math.min(remaining, Math.floor(this.random() * ceiling)));
      }
      try {
        if (await step()) return true;
        logger.warn('DynamoDB left work unprocessed; retrying', { operation, attempt });
      } catch (error) {
        if (!isRetryableDynamoDbError(error)) throw error;
        logger.warn('Retryable DynamoDB error; retrying', { operation, attempt, error: errorName(error) });
      }
    }
  }
}

/** Throttling, 5xx and network errors: worth another attempt after a pause. */
export function isRetryableDynamoDbError(error: unknown): boolean {
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

/** The SDK's error for a failed ConditionExpression; its Item (ALL_OLD) is low-level, not unmarshalled. */
function isConditionFailure(error: unknown): error is { Item?: Record<string, { S?: unknown }> } {
  return typeof error === 'object' && error !== null && (error as { name?: string }).name === 'ConditionalCheckFailedException';
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

/**
 * Runs `work` over the items with at most `concurrency` in flight. No new item starts once `stop()` says so
 * or one failed; the first error is thrown after the work in flight settled, so nothing is left running.
 */
async function forEachBounded<T>(
  items: readonly T[],
  concurrency: number,
  stop: () => boolean,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && failure === undefined && !stop()) {
      const item = items[next++];
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (failure) throw failure.error;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}

function keyOf(customer: CustomerId, recordId: string): Item {
  return { customer, record_id: recordId };
}

function toItem(order: StoredOrder): Record<string, unknown> {
  if (order.customer === AUCTION_PARTITION) throw new Error('An order cannot belong to the auction control partition');
  const item: Record<string, unknown> = {
    customer: order.customer,
    record_id: order.record_id,
    parameter_1: order.parameter_1,
    // NumberValue sends the decimal text as-is; a JS number would round 2.1 or 12345678901234567890.
    parameter_2: NumberValue.from(order.parameter_2),
    ttl: order.ttl,
    received_at: order.received_at,
    status: order.status,
    auction_id: order.auction_id,
  };
  if (order.submitted_at !== undefined) item.submitted_at = order.submitted_at;
  if (order.result !== undefined) item.result = order.result;
  if (order.result_key !== undefined) item.result_key = order.result_key;
  if (order.reason !== undefined) item.reason = order.reason;
  return item;
}

/** Decodes an order item; a malformed one is a bug or foreign data and fails loudly (500), never silently. */
function orderFromItem(item: Item): StoredOrder {
  const recordId = typeof item.record_id === 'string' ? item.record_id : '(no record_id)';
  const fail = (problem: string) => new Error(`Item ${JSON.stringify(recordId)} of the orders table is not an order: ${problem}`);
  const text = (name: string): string => {
    const value = item[name];
    if (typeof value !== 'string') throw fail(`${name} is not a string`);
    return value;
  };
  const optional = (name: string): string | undefined => (typeof item[name] === 'string' ? (item[name] as string) : undefined);

  // Only a NumberValue still has the digits DynamoDB stored; a plain number means the client rounds.
  const parameter2 = item.parameter_2;
  if (!(parameter2 instanceof NumberValue)) throw fail('parameter_2 was not read as an exact NumberValue');
  const status = text('status') as OrderStatus;
  if (!ORDER_STATUSES.includes(status)) throw fail(`unknown status ${JSON.stringify(status)}`);
  const ttl = Number(item.ttl instanceof NumberValue ? item.ttl.value : item.ttl);
  if (!Number.isSafeInteger(ttl)) throw fail('ttl is not epoch seconds');
  return {
    customer: text('customer'),
    record_id: text('record_id'),
    parameter_1: text('parameter_1'),
    parameter_2: parameter2.value,
    ttl,
    received_at: text('received_at'),
    status,
    auction_id: text('auction_id'),
    ...definedOnly({
      submitted_at: optional('submitted_at'),
      result: item.result === undefined ? undefined : (plainNumbers(item.result) as PlatformResult),
      result_key: optional('result_key'),
      reason: optional('reason'),
    }),
  };
}

function definedOnly<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** What the platform answered, as plain JSON: its numbers were the platform's floats to begin with. */
function plainNumbers(value: unknown): unknown {
  if (value instanceof NumberValue) return Number(value.value);
  if (value instanceof Set) return [...value].map(plainNumbers);
  if (Array.isArray(value)) return value.map(plainNumbers);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, nested]) => [key, plainNumbers(nested)]));
  }
  return value;
}
