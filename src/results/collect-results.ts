import type { AuctionId } from '../auctions/auction-id';
import type { AuctionPlatform, ResultsAnswer } from '../platform/platform';
import { runFileKey } from './result-key';
import type { ResultStore } from './result-store';

/** Where a large result set is handed from fetch-results to the Distributed Map. */
export interface ResultsFile {
  readonly bucket: string;
  readonly key: string;
}

/** What fetch-results answers the state machine (the Choice after it reads `results`). */
export type FetchAnswer =
  | { readonly results: false }
  | { readonly results: true; readonly orders: unknown[] }
  | { readonly results: true; readonly resultsFile: ResultsFile; readonly count: number }
  /** Anything else the platform said, cut to a size that fits the run's state. */
  | { readonly results: unknown; readonly invalid: string };

export interface CollectOptions {
  readonly auctionId: AuctionId;
  readonly executionName: string;
  /** Largest result count that travels inline in the state. */
  readonly inlineLimit: number;
  /**
   * Largest JSON size (bytes) that travels inline; Step Functions allows 256 KiB per state. The run's
   * array check adds the orders' JSON text to the state as well (escaped, so up to twice as long), and
   * both together must stay within twice this budget.
   */
  readonly inlineBytes: number;
  /** Resolved only for large answers, so small runs need no bucket. */
  readonly destination: () => { bucket: string; store: ResultStore };
}

/** Pages of one answer: 100,000 orders in batches of 1,000 take 100; far more means a loop. */
const MAX_PAGES = 1_000;

/** At most this much of a malformed answer is kept, for the run's history and the logs. */
const EXCERPT = 300;

/**
 * lambda_a's work: asks the platform once; while it is not ready the answer goes back as is (the state
 * machine waits and asks again). Once ready, follows every page, then keeps small result sets inline and
 * writes large ones to S3 for the Distributed Map. A malformed first answer or page comes back with
 * `invalid` so the run fails with InvalidAuctionResults instead of storing half an answer.
 */
export async function collectResults(platform: AuctionPlatform, options: CollectOptions): Promise<FetchAnswer> {
  const first = await platform.fetchResults(options.auctionId);
  if (first.results === false) return { results: false };
  const orders: unknown[] = [];
  let answer: ResultsAnswer = first;
  for (let page = 1; ; page++) {
    if (answer.results !== true || !Array.isArray((answer as { orders?: unknown }).orders)) {
      return { results: 'invalid', invalid: `page ${page}: ${excerpt(answer)}` };
    }
    const ready = answer as { orders: unknown[]; next_page?: unknown };
    orders.push(...ready.orders);
    if (ready.next_page === undefined || ready.next_page === null) break;
    if (page >= MAX_PAGES) return { results: 'invalid', invalid: `more than ${MAX_PAGES} pages of results` };
    if (typeof ready.next_page !== 'string' || ready.next_page === '') {
      return { results: 'invalid', invalid: `page ${page}: next_page must be a string or null, got ${excerpt(ready.next_page)}` };
    }
    answer = await platform.fetchResults(options.auctionId, ready.next_page);
  }
  if (orders.length <= options.inlineLimit && inlineStateBytes(orders) <= 2 * options.inlineBytes) {
    return { results: true, orders };
  }
  const { bucket, store } = options.destination();
  // Per execution, so a retried fetch overwrites its own file.
  const key = runFileKey(options.auctionId, options.executionName, 'results.json');
  await store.putJson(key, JSON.stringify(orders));
  return { results: true, resultsFile: { bucket, key }, count: orders.length };
}

/**
 * What an inline answer costs in the run's state: the orders themselves plus the JSON string of them that
 * the state machine's array check (States.JsonToString in InspectOrders) puts beside them. Quotes and
 * backslashes in ids are escaped once more in that string, so it is counted as it really is.
 */
export function inlineStateBytes(orders: unknown[]): number {
  const json = JSON.stringify(orders);
  return Buffer.byteLength(json) + Buffer.byteLength(JSON.stringify(json));
}

function excerpt(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > EXCERPT ? `${text.slice(0, EXCERPT)}...` : text;
}
