import { isLosslessNumber, LosslessNumber, parse as parseLossless, stringify as stringifyLossless } from 'lossless-json';
import { gateClosureOf, type AuctionId } from '../../auctions/auction-id';
import { MAX_BATCH_ORDERS } from '../platform';
import { badRequest } from './errors';

/** One order as the platform keeps it: parameter_2 keeps the digits it was sent with. */
export interface StoredOrder {
  readonly order_id: string;
  readonly parameter_1: string;
  readonly parameter_2: LosslessNumber;
}

export const MAX_ORDER_ID_CHARS = 300;
const BATCH_ID = /^[A-Za-z0-9_.-]{1,80}$/;
const ORDER_FIELDS = ['order_id', 'parameter_1', 'parameter_2'];

export function checkAuctionId(auctionId: string): AuctionId {
  if (gateClosureOf(auctionId) === undefined) {
    throw badRequest(`"${auctionId.slice(0, 100)}" is not an auction id (its gate closure, e.g. 2026-12-01T2100Z)`);
  }
  return auctionId;
}

export function checkBatchId(batchId: string): string {
  if (!BATCH_ID.test(batchId)) {
    throw badRequest(`"${batchId.slice(0, 100)}" is not a batch id (1 to 80 of A-Z a-z 0-9 _ . -)`);
  }
  return batchId;
}

/** Parses and checks a batch body `{"orders": [...]}`; every problem is a 400 naming the field. */
export function parseBatch(body: string): StoredOrder[] {
  let document: unknown;
  try {
    // Lossless: parameter_2 keeps its exact digits; duplicate keys with different values are refused.
    document = parseLossless(body);
  } catch (error) {
    throw badRequest(`The body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isPlainObject(document)) throw badRequest('The body must be a JSON object {"orders": [...]}');
  const extra = Object.keys(document).find((key) => key !== 'orders');
  if (extra !== undefined) throw badRequest(`"${extra.slice(0, 100)}" is not an allowed field of the body`);
  const orders = document.orders;
  if (!Array.isArray(orders)) throw badRequest('orders must be an array');
  if (orders.length < 1 || orders.length > MAX_BATCH_ORDERS) {
    throw badRequest(`orders must hold 1 to ${MAX_BATCH_ORDERS} orders, got ${orders.length}`);
  }
  const seen = new Set<string>();
  return orders.map((order, index) => {
    const checked = checkOrder(order, `orders[${index}]`);
    if (seen.has(checked.order_id)) throw badRequest(`orders[${index}].order_id "${checked.order_id}" appears twice in the batch`);
    seen.add(checked.order_id);
    return checked;
  });
}

function checkOrder(order: unknown, path: string): StoredOrder {
  if (!isPlainObject(order)) throw badRequest(`${path} must be an object`);
  const extra = Object.keys(order).find((key) => !ORDER_FIELDS.includes(key));
  if (extra !== undefined) throw badRequest(`${path}.${extra.slice(0, 100)} is not an allowed field`);
  const { order_id: orderId, parameter_1: parameter1, parameter_2: parameter2 } = order;
  if (typeof orderId !== 'string' || orderId.length === 0 || orderId.length > MAX_ORDER_ID_CHARS) {
    throw badRequest(`${path}.order_id must be a string of 1 to ${MAX_ORDER_ID_CHARS} characters`);
  }
  if (typeof parameter1 !== 'string') throw badRequest(`${path}.parameter_1 must be a string`);
  // 1e400 is a valid JSON number but no finite one.
  if (!isLosslessNumber(parameter2) || !Number.isFinite(Number(parameter2.value))) {
    throw badRequest(`${path}.parameter_2 must be a finite number`);
  }
  return { order_id: orderId, parameter_1: parameter1, parameter_2: parameter2 };
}

/** The stored form: the orders as received, numbers with their exact text. */
export function serializeBatch(orders: readonly StoredOrder[]): string {
  return stringifyLossless({ orders }) as string;
}

export function deserializeBatch(json: string): StoredOrder[] {
  return (parseLossless(json) as { orders: StoredOrder[] }).orders;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !isLosslessNumber(value);
}
