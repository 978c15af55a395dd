import type { OrderStore } from './order-store';
import { toStoredOrder } from './order';
import { parseOrders } from './parse-orders';

export interface IngestConfig {
  readonly maxOrders: number;
  readonly ttlHours: number;
}

export interface IngestDeps {
  readonly store: OrderStore;
  readonly now: () => Date;
}

export interface IngestResult {
  readonly accepted: number;
}

/**
 * Validates the whole request before the first write, then stores every order. Errors are the typed ones
 * from ./errors (client mistakes, storage unavailable) or unexpected failures for the caller to report.
 */
export async function ingestOrders(bodyText: string, config: IngestConfig, deps: IngestDeps): Promise<IngestResult> {
  const orders = parseOrders(bodyText, config.maxOrders);
  const receivedAt = deps.now();
  await deps.store.putAll(orders.map((order) => toStoredOrder(order, receivedAt, config.ttlHours)));
  return { accepted: orders.length };
}
