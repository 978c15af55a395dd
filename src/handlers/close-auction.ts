import type { Context } from 'aws-lambda';
import { DynamoDbAuctionStore } from '../adapters/dynamodb-auction-store';
import { MAX_CLOSED_AHEAD, shiftAuction } from '../auctions/auction-id';
import { auctionOfRun, closesOpenAuction, InvalidRunInput } from '../auctions/run-input';
import { InvalidTaskInput } from '../results/errors';
import { dynamoDocumentClient } from '../shared/clients/dynamodb';
import { integerEnv, requireEnv } from '../shared/env';
import { observe } from '../shared/observe';
import { logger } from '../shared/powertools';
import type { AuctionStore } from '../auctions/auction-store';

export interface CloseAuctionDeps {
  readonly store?: () => AuctionStore;
  readonly now?: () => Date;
}

/**
 * First step of a run: decides the run's auction from its input and closes it, so every POST from now
 * on goes to the next auction. The run then waits for POSTs that saw it open before reading its orders.
 */
export function createHandler(deps: CloseAuctionDeps = {}) {
  const store = deps.store ?? (() => new DynamoDbAuctionStore(dynamoDocumentClient(), requireEnv('ORDERS_TABLE_NAME')));
  const now = deps.now ?? (() => new Date());
  return (event: unknown, context: Context): Promise<{ auction_id: string }> =>
    observe('close-auction', context, async () => {
      const { input, execution_name: executionName, started_at: startedAt } = (event ?? {}) as Record<string, unknown>;
      if (typeof executionName !== 'string' || typeof startedAt !== 'string' || Number.isNaN(Date.parse(startedAt))) {
        throw new InvalidTaskInput('Expected {input, execution_name, started_at}');
      }
      logger.setCorrelationId(executionName);
      const period = integerEnv('AUCTION_PERIOD_MINUTES', 60, 1, 1440);
      let auctionId = auctionOfRun(input, new Date(startedAt), period);
      const orders = store();
      if (closesOpenAuction(input)) {
        // An auction another run closed early is done; the open one is the next that is not.
        for (let skipped = 0; !(await orders.closeAuction(auctionId, executionName, now(), { onlyIfOpen: true })); skipped++) {
          if (skipped >= MAX_CLOSED_AHEAD) throw new InvalidRunInput(`The next ${MAX_CLOSED_AHEAD} auctions are all closed already; name one with {"auction_id": ...}`);
          auctionId = shiftAuction(auctionId, 1, period);
        }
      } else {
        await orders.closeAuction(auctionId, executionName, now());
      }
      logger.info('Auction closed', { auctionId });
      return { auction_id: auctionId };
    }, (error) => logger.error('close-auction failed', error));
}

export const handler = createHandler();
