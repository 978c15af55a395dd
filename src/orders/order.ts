/** A number kept as its exact decimal text (e.g. "2.1", "12345678901234567890"), never as a float. */
export type DecimalText = string;

/** A validated order as the client sent it. */
export interface Order {
  readonly record_id: string;
  readonly parameter_1: string;
  readonly parameter_2: DecimalText;
}

/** What is stored: the order plus its expiry and arrival time. */
export interface StoredOrder extends Order {
  /** Epoch seconds after which DynamoDB's TTL may delete the item. */
  readonly ttl: number;
  /** ISO-8601 time the request was received; the same for every order of one request. */
  readonly received_at: string;
}

/** Builds the stored form; the clock is passed in so tests can pin time. */
export function toStoredOrder(order: Order, receivedAt: Date, ttlHours: number): StoredOrder {
  return {
    record_id: order.record_id,
    parameter_1: order.parameter_1,
    parameter_2: order.parameter_2,
    ttl: Math.floor(receivedAt.getTime() / 1000) + Math.round(ttlHours * 3600),
    received_at: receivedAt.toISOString(),
  };
}
