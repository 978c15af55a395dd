import type { AuctionId } from '../../auctions/auction-id';
import type { ResultsAnswer } from '../platform';
import { checkAuctionId, checkBatchId, deserializeBatch, parseBatch, serializeBatch } from './batch';
import { clearBatch, malformedAnswerFor } from './clearing';
import type { SimulatedPlatformConfig } from './config';
import { notFound } from './errors';
import { batchIndexOf, pageToken } from './page-token';
import type { PlatformStore } from './store';

export interface SubmitAnswer {
  readonly auction_id: AuctionId;
  readonly batch_id: string;
  readonly received: number;
}

const batchesPrefix = (auctionId: AuctionId) => `auctions/${auctionId}/batches/`;
const pollsKey = (auctionId: AuctionId) => `auctions/${auctionId}/polls.json`;

/**
 * The simulated auction platform (SPEC 2.9): keeps the batches per auction and answers polls from them.
 * Every answer follows from the stored batches, the poll number and the config, so tests and benchmarks
 * can predict it. Validation failures and unknown auctions throw PlatformApiError (400/404).
 */
export class SimulatedPlatform {
  constructor(
    private readonly store: PlatformStore,
    private readonly config: SimulatedPlatformConfig,
  ) {}

  /** Stores (or replaces: idempotent per batch id) one batch of an auction's orders. */
  async submitBatch(auctionId: string, batchId: string, body: string): Promise<SubmitAnswer> {
    checkAuctionId(auctionId);
    checkBatchId(batchId);
    const orders = parseBatch(body);
    await this.store.putJson(`${batchesPrefix(auctionId)}${batchId}.json`, serializeBatch(orders));
    return { auction_id: auctionId, batch_id: batchId, received: orders.length };
  }

  /** One page of the auction's results; only a first-page request counts as a poll. */
  async results(auctionId: string, page?: string): Promise<ResultsAnswer> {
    checkAuctionId(auctionId);
    const keys = (await this.store.listKeys(batchesPrefix(auctionId))).filter((key) => key.endsWith('.json'));
    if (keys.length === 0) throw notFound(`No orders were submitted for auction ${auctionId}`);

    let index = 0;
    if (page === undefined) {
      const poll = await this.countPoll(auctionId);
      const malformed = malformedAnswerFor(this.config, auctionId, poll);
      if (malformed !== undefined) return malformed;
      if (poll <= this.config.readyAfterPolls) return { results: false };
    } else {
      // A later page answers whatever the poll count: its token shows the results were ready.
      index = batchIndexOf(page, keys.length);
    }

    const json = await this.store.getJson(keys[index]);
    // Listed a moment ago but gone now: treat as not yet there rather than failing the caller.
    if (json === undefined) return { results: false };
    return {
      results: true,
      orders: clearBatch(deserializeBatch(json), auctionId, this.config),
      next_page: index + 1 < keys.length ? pageToken(index + 1) : null,
    };
  }

  /**
   * Read-increment-write: two simultaneous polls of one auction may count once. Good enough for a
   * simulator polled by one state machine run at a time.
   */
  private async countPoll(auctionId: AuctionId): Promise<number> {
    const text = await this.store.getJson(pollsKey(auctionId));
    const previous = text === undefined ? 0 : Number((JSON.parse(text) as { polls?: unknown }).polls) || 0;
    const poll = previous + 1;
    await this.store.putJson(pollsKey(auctionId), JSON.stringify({ polls: poll }));
    return poll;
  }
}
