import { LosslessNumber, stringify } from 'lossless-json';
import type { CustomerId } from '../auctions/customer';
import { InvalidRecordIdError, OrderNotFoundError } from './errors';
import { isExpired } from './lifecycle';
import type { OrderReader } from './order-store';
import type { StoredOrder } from './order';
import { RECORD_ID_MAX_LENGTH } from './schema';

export interface GetOrderDeps {
  readonly store: OrderReader;
  readonly now: () => Date;
}

/**
 * The record_id of `GET /orders/{record_id}`. API Gateway REST APIs hand path parameters over still
 * percent-encoded, so the id is decoded here; the length rule is the POST schema's (code points).
 */
export function parseRecordIdParameter(raw: string | null | undefined): string {
  let recordId: string;
  try {
    recordId = decodeURIComponent(raw ?? '');
  } catch {
    throw new InvalidRecordIdError('The record_id in the path is not valid percent-encoded UTF-8', [
      { path: '/record_id', message: 'is not valid percent-encoding' },
    ]);
  }
  const length = [...recordId].length;
  if (length < 1 || length > RECORD_ID_MAX_LENGTH) {
    throw new InvalidRecordIdError(`A record_id has 1 to ${RECORD_ID_MAX_LENGTH} characters`, [
      { path: '/record_id', message: `must have 1 to ${RECORD_ID_MAX_LENGTH} characters (got ${length})` },
    ]);
  }
  return recordId;
}

/**
 * The customer's order, or OrderNotFoundError: missing, expired and someone else's all give the same answer,
 * so a customer cannot tell another customer's ids from ids that never existed.
 */
export async function findOrder(customer: CustomerId, recordId: string, deps: GetOrderDeps): Promise<StoredOrder> {
  const order = await deps.store.getOrder(customer, recordId);
  if (!order || order.customer !== customer || order.record_id !== recordId || isExpired(order, deps.now())) {
    throw new OrderNotFoundError();
  }
  return order;
}

/**
 * The 200 body: the order and its lifecycle, never the owner or internal attributes. parameter_2 is written
 * as a JSON number with exactly the stored digits (a float would turn 12345678901234567890 into ...000).
 */
export function orderJson(order: StoredOrder): string {
  const view: Record<string, unknown> = {
    record_id: order.record_id,
    parameter_1: order.parameter_1,
    parameter_2: new LosslessNumber(order.parameter_2),
    status: order.status,
    auction_id: order.auction_id,
    received_at: order.received_at,
    expires_at: new Date(order.ttl * 1000).toISOString(),
  };
  if (order.submitted_at !== undefined) view.submitted_at = order.submitted_at;
  if (order.result !== undefined) view.result = order.result;
  if (order.result_key !== undefined) view.result_key = order.result_key;
  if (order.reason !== undefined) view.reason = order.reason;
  return stringify(view) as string;
}
