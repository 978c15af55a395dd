import type { StoredOrder } from './order';

/**
 * DynamoDB deletes expired items only eventually (often within days), so an item whose ttl has passed is
 * treated as gone everywhere: a GET does not find it and a new order may take its record_id.
 */
export function isExpired(order: Pick<StoredOrder, 'ttl'>, at: Date): boolean {
  return order.ttl * 1000 <= at.getTime();
}

/** From `submitted` on an order is binding: a request that names it is refused (409 ORDER_LOCKED). */
export function isLocked(order: Pick<StoredOrder, 'ttl' | 'status'>, at: Date): boolean {
  return order.status !== 'received' && !isExpired(order, at);
}
