import { LosslessNumber, stringify } from 'lossless-json';
import { isAuctionId } from '../auctions/auction-id';
import type { AuctionStore, OrderRef } from '../auctions/auction-store';
import { parsePlatformOrderId } from '../auctions/customer';
import type { StoreResultInput } from '../auctions/run';
import type { PlatformResult } from '../platform/platform';
import { InvalidOrderResult, InvalidTaskInput, OrderRejected, UnknownOrder } from './errors';
import { resultKey } from './result-key';
import type { ResultStore } from './result-store';

export interface StoreResultDeps {
  readonly orders: AuctionStore;
  readonly results: ResultStore;
  readonly now: () => Date;
}

export interface StoredOutcome {
  readonly status: 'accepted' | 'failed';
  readonly customer: string;
  readonly record_id: string;
  readonly key?: string;
}

/** Checks the Map item; a bad wiring is InvalidTaskInput, a bad platform result is InvalidOrderResult. */
export function parseStoreResultInput(event: unknown, periodMinutes: number): StoreResultInput {
  if (typeof event !== 'object' || event === null) throw new InvalidTaskInput('Expected {auction_id, execution_name, result}');
  const { auction_id, execution_name, result, failure } = event as Record<string, unknown>;
  if (typeof auction_id !== 'string' || !isAuctionId(auction_id, periodMinutes)) {
    throw new InvalidTaskInput(`auction_id must be an auction id, got ${JSON.stringify(auction_id)}`);
  }
  if (typeof execution_name !== 'string' || execution_name === '') throw new InvalidTaskInput('execution_name must be a non-empty string');
  const failureInfo = typeof failure === 'object' && failure !== null ? (failure as { Error?: string; Cause?: string }) : undefined;
  return { auction_id, execution_name, result, failure: failureInfo };
}

/** The platform's answer for one order, checked: our order id and a known status. */
export function parseResult(result: unknown): { ref: OrderRef; result: PlatformResult } {
  if (typeof result !== 'object' || result === null || Array.isArray(result)) {
    throw new InvalidOrderResult(`A result must be an object, got ${JSON.stringify(result)?.slice(0, 100)}`);
  }
  const { order_id: orderId, status } = result as Record<string, unknown>;
  const ids = parsePlatformOrderId(orderId);
  if (!ids) throw new InvalidOrderResult(`The result's order_id ${JSON.stringify(orderId)?.slice(0, 200)} is not one of ours (<customer>:<record_id>)`);
  if (status !== 'accepted' && status !== 'rejected') {
    throw new InvalidOrderResult(`The result for ${ids.recordId} has unknown status ${JSON.stringify(status)}`);
  }
  return { ref: { customer: ids.customer, record_id: ids.recordId }, result: result as PlatformResult };
}

/**
 * lambda_b: one result of the auction. Accepted results are written to S3 under their deterministic key
 * before the order says `accepted`; a rejected one is recorded and raised as OrderRejected; a failure
 * from an earlier attempt is recorded as the order's reason. Each write checks that the order is one of
 * this auction's, so a result for an unknown order touches nothing (UnknownOrder).
 */
export async function storeResult(input: StoreResultInput, deps: StoreResultDeps): Promise<StoredOutcome> {
  const now = deps.now();
  if (input.failure) return recordFailure(input, deps, now);

  const { ref, result } = parseResult(input.result);
  const unknown = () => new UnknownOrder(`Order ${ref.record_id} of customer ${ref.customer} is not a submitted order of auction ${input.auction_id}`);

  if (result.status === 'rejected') {
    if (!(await deps.orders.recordOutcome(ref, input.auction_id, { status: 'rejected', result }, now))) throw unknown();
    throw new OrderRejected(`Order ${ref.record_id} of customer ${ref.customer} was rejected by auction ${input.auction_id}${result.reason ? `: ${String(result.reason)}` : ''}`);
  }

  const order = await deps.orders.claimForResult(ref, input.auction_id);
  if (!order) throw unknown();
  const key = resultKey(input.auction_id, ref.customer, ref.record_id);
  // lossless-json keeps parameter_2's exact digits (and the platform's numbers as they are).
  const body = stringify({
    auction_id: input.auction_id,
    customer: ref.customer,
    record_id: ref.record_id,
    parameter_1: order.parameter_1,
    parameter_2: new LosslessNumber(order.parameter_2),
    received_at: order.received_at,
    submitted_at: order.submitted_at,
    result,
    stored_at: now.toISOString(),
  }) as string;
  await deps.results.putJson(key, body);
  if (!(await deps.orders.recordOutcome(ref, input.auction_id, { status: 'accepted', result, result_key: key }, now))) throw unknown();
  return { status: 'accepted', customer: ref.customer, record_id: ref.record_id, key };
}

async function recordFailure(input: StoreResultInput, deps: StoreResultDeps, now: Date): Promise<StoredOutcome> {
  const { ref, result } = parseResult(input.result);
  const reason = input.failure?.Error || 'StoreFailed';
  if (!(await deps.orders.recordOutcome(ref, input.auction_id, { status: 'failed', reason, result }, now))) {
    throw new UnknownOrder(`Order ${ref.record_id} of customer ${ref.customer} is not an order of auction ${input.auction_id}`);
  }
  return { status: 'failed', customer: ref.customer, record_id: ref.record_id };
}
