import { GetCommand, NumberValue, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuctionId } from '../auctions/auction-id';
import { OrderStoreUnavailable, type AuctionStore, type OrderOutcome, type OrderRef } from '../auctions/auction-store';
import type { FailureReason, StoredOrder } from '../orders/order';

/** Partition of the auction control items; a customer id can never be this (src/auctions/customer.ts). */
export const AUCTION_PARTITION = '#auction';
/** Partition of the items that name the auction an execution runs. */
export const RUN_PARTITION = '#run';
/** Control items outlive the orders of their auction by a week, for operators looking back. */
const CONTROL_ITEM_TTL_SECONDS = 8 * 24 * 3600;

/** AuctionStore on the orders table and its `by-auction` index. */
export class DynamoDbAuctionStore implements AuctionStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly indexName = 'by-auction',
  ) {}

  async closeAuction(auctionId: AuctionId, executionName: string, now: Date, options: { onlyIfOpen?: boolean } = {}): Promise<boolean> {
    const ttl = Math.floor(now.getTime() / 1000) + CONTROL_ITEM_TTL_SECONDS;
    const closed = await this.conditional(new UpdateCommand({
      TableName: this.tableName,
      Key: { customer: AUCTION_PARTITION, record_id: auctionId },
      UpdateExpression: 'SET closed_at = if_not_exists(closed_at, :now), closed_by = if_not_exists(closed_by, :run), #ttl = :ttl',
      ...(options.onlyIfOpen ? { ConditionExpression: 'attribute_not_exists(closed_at) OR closed_by = :run' } : {}),
      ExpressionAttributeNames: { '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':now': now.toISOString(), ':run': executionName, ':ttl': ttl },
    }));
    if (!closed) return false;
    // Not `auction_id`: that name would put the item into the auction index.
    await this.send(new UpdateCommand({
      TableName: this.tableName,
      Key: { customer: RUN_PARTITION, record_id: executionName },
      UpdateExpression: 'SET run_auction = :a, #ttl = :ttl',
      ExpressionAttributeNames: { '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':a': auctionId, ':ttl': ttl },
    }));
    return true;
  }

  async auctionOfExecution(executionName: string): Promise<AuctionId | undefined> {
    const out = await this.send(new GetCommand({
      TableName: this.tableName,
      Key: { customer: RUN_PARTITION, record_id: executionName },
      ConsistentRead: true,
    }));
    const auction = (out as { Item?: Record<string, unknown> }).Item?.run_auction;
    return typeof auction === 'string' ? auction : undefined;
  }

  async *ordersOf(auctionId: AuctionId): AsyncIterable<StoredOrder[]> {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.send(new QueryCommand({
        TableName: this.tableName,
        IndexName: this.indexName,
        KeyConditionExpression: 'auction_id = :a',
        ExpressionAttributeValues: { ':a': auctionId },
        ExclusiveStartKey: start,
      }));
      yield (page.Items ?? []).map(toStoredOrder);
      start = page.LastEvaluatedKey;
    } while (start);
  }

  async markSubmitted(order: StoredOrder, auctionId: AuctionId, executionName: string, now: Date): Promise<boolean> {
    return this.conditional(new UpdateCommand({
      TableName: this.tableName,
      Key: keyOf(order),
      UpdateExpression: 'SET #status = :submitted, auction_id = :to, submitted_at = :now, submitted_by = :run',
      // Still the order the index showed: received, in the auction it was read from, not replaced since.
      ConditionExpression: '#status = :received AND auction_id = :from AND received_at = :receivedAt',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':submitted': 'submitted',
        ':received': 'received',
        ':to': auctionId,
        ':from': order.auction_id,
        ':receivedAt': order.received_at,
        ':now': now.toISOString(),
        ':run': executionName,
      },
    }));
  }

  async claimForResult(ref: OrderRef, auctionId: AuctionId): Promise<StoredOrder | undefined> {
    try {
      // A no-op write that checks the condition and returns the order in one call.
      const out = await this.send(new UpdateCommand({
        TableName: this.tableName,
        Key: keyOf(ref),
        UpdateExpression: 'SET auction_id = :a',
        ConditionExpression: 'auction_id = :a AND #status <> :received',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':a': auctionId, ':received': 'received' },
        ReturnValues: 'ALL_NEW',
      }), true);
      return out.Attributes ? toStoredOrder(out.Attributes) : undefined;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  async recordOutcome(ref: OrderRef, auctionId: AuctionId, outcome: OrderOutcome, now: Date): Promise<boolean> {
    const values: Record<string, unknown> = {
      ':a': auctionId,
      ...(outcome.status === 'failed' ? { ':submitted': 'submitted' } : { ':received': 'received' }),
      ':status': outcome.status,
      ':now': now.toISOString(),
    };
    const sets = ['#status = :status', 'finished_at = :now'];
    const removes: string[] = [];
    if ('result' in outcome && outcome.result !== undefined) {
      sets.push('#result = :result');
      values[':result'] = outcome.result;
    }
    if (outcome.status === 'accepted') {
      sets.push('result_key = :key');
      values[':key'] = outcome.result_key;
      removes.push('reason');
    } else if (outcome.status === 'failed') {
      sets.push('reason = :reason');
      values[':reason'] = outcome.reason;
    } else {
      removes.push('reason', 'result_key');
    }
    return this.conditional(new UpdateCommand({
      TableName: this.tableName,
      Key: keyOf(ref),
      UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
      // A platform answer may replace an earlier one (a retried item, a re-run); a failure only ends a
      // submitted order, so it never overwrites an outcome the platform gave.
      ConditionExpression: outcome.status === 'failed' ? 'auction_id = :a AND #status = :submitted' : 'auction_id = :a AND #status <> :received',
      ExpressionAttributeNames: { '#status': 'status', ...('result' in outcome && outcome.result !== undefined ? { '#result': 'result' } : {}) },
      ExpressionAttributeValues: values,
    }));
  }

  async claimAlert(auctionId: AuctionId, executionName: string): Promise<boolean> {
    return this.conditional(new UpdateCommand({
      TableName: this.tableName,
      Key: { customer: AUCTION_PARTITION, record_id: auctionId },
      UpdateExpression: 'ADD alerted_runs :runs',
      ConditionExpression: 'attribute_not_exists(alerted_runs) OR NOT contains(alerted_runs, :run)',
      ExpressionAttributeValues: { ':runs': new Set([executionName]), ':run': executionName },
    }));
  }

  async releaseAlert(auctionId: AuctionId, executionName: string): Promise<void> {
    await this.send(new UpdateCommand({
      TableName: this.tableName,
      Key: { customer: AUCTION_PARTITION, record_id: auctionId },
      UpdateExpression: 'DELETE alerted_runs :runs',
      ExpressionAttributeValues: { ':runs': new Set([executionName]) },
    }));
  }

  async failIfSubmitted(ref: OrderRef, auctionId: AuctionId, reason: FailureReason, now: Date): Promise<boolean> {
    return this.conditional(new UpdateCommand({
      TableName: this.tableName,
      Key: keyOf(ref),
      UpdateExpression: 'SET #status = :failed, reason = :reason, finished_at = :now',
      ConditionExpression: 'auction_id = :a AND #status = :submitted',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':a': auctionId, ':submitted': 'submitted', ':failed': 'failed', ':reason': reason, ':now': now.toISOString() },
    }));
  }

  /** Runs a conditional write: true when written, false when the condition did not hold. */
  private async conditional(command: UpdateCommand): Promise<boolean> {
    try {
      await this.send(command, true);
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  // The SDK already retried throttling and 5xx; what still fails is for the state machine to retry.
  private async send<O = Record<string, never>>(command: QueryCommand | UpdateCommand | GetCommand, passConditionFailures = false): Promise<O & {
    Items?: Record<string, unknown>[];
    LastEvaluatedKey?: Record<string, unknown>;
    Attributes?: Record<string, unknown>;
  }> {
    try {
      return (await this.client.send(command as QueryCommand)) as never;
    } catch (error) {
      if (passConditionFailures && isConditionFailure(error)) throw error;
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new OrderStoreUnavailable(`Orders table ${this.tableName} unavailable (${reason})`, { cause: error });
    }
  }
}

const keyOf = (ref: OrderRef) => ({ customer: ref.customer, record_id: ref.record_id });

const isConditionFailure = (error: unknown) => error instanceof Error && error.name === 'ConditionalCheckFailedException';

/** Table item -> StoredOrder: exact decimals stay text, other numbers become plain numbers. */
export function toStoredOrder(item: Record<string, unknown>): StoredOrder {
  const plain = plainNumbers(item) as Record<string, unknown>;
  const p2 = item.parameter_2;
  return { ...plain, parameter_2: p2 instanceof NumberValue ? p2.value : String(p2) } as unknown as StoredOrder;
}

function plainNumbers(value: unknown): unknown {
  if (value instanceof NumberValue) return Number(value.value);
  if (Array.isArray(value)) return value.map(plainNumbers);
  if (value instanceof Set) return [...value].map(plainNumbers);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainNumbers(v)]));
  }
  return value;
}

