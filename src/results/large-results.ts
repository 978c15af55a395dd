import type { AuctionAnswer, AuctionOrder, MalformedAnswer } from './auction';
import type { ResultStore } from './result-store';

/** Where a large result set is handed from fetch-results to the Distributed Map. */
export interface OrdersFile {
  readonly bucket: string;
  readonly key: string;
}

/** fetch-results' answer when the orders are too many to travel in the state (256 KB limit). */
export interface OffloadedAnswer {
  readonly results: true;
  readonly ordersFile: OrdersFile;
  readonly orderCount: number;
}

export const ordersFileKey = (executionName: string): string => `runs/${executionName}/orders.json`;

export const failuresFileKey = (executionName: string): string => `runs/${executionName}/failures.json`;

/**
 * Keeps small answers inline (the state machine's direct path) and writes large ones to S3 as one JSON
 * array, which the Distributed Map's ItemReader reads in batches. The key is per execution, so a retried
 * fetch overwrites its own file.
 */
export async function offloadLargeAnswer(
  answer: AuctionAnswer | MalformedAnswer,
  options: {
    inlineLimit: number;
    executionName: string;
    /** Resolved only when the answer is large, so small runs need no bucket. */
    destination: () => { bucket: string; store: ResultStore };
  },
): Promise<AuctionAnswer | MalformedAnswer | OffloadedAnswer> {
  if (answer.results !== true || !Array.isArray(answer.orders) || answer.orders.length <= options.inlineLimit) {
    return answer;
  }
  const orders = answer.orders as AuctionOrder[];
  const { bucket, store } = options.destination();
  const key = ordersFileKey(options.executionName);
  await store.putJson(key, JSON.stringify(orders));
  return { results: true, ordersFile: { bucket, key }, orderCount: orders.length };
}
