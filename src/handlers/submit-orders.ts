import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { DynamoDbAuctionStore } from '../adapters/dynamodb-auction-store';
import { platformFromEnv } from '../adapters/http-auction-platform';
import { isAuctionId } from '../auctions/auction-id';
import type { AuctionStore } from '../auctions/auction-store';
import type { ClosedAuction } from '../auctions/run';
import { submitOrders } from '../auctions/submit-orders';
import type { AuctionPlatform } from '../platform/platform';
import { InvalidTaskInput } from '../results/errors';
import { exactDocumentClient } from '../shared/clients/dynamodb';
import { integerEnv, requireEnv } from '../shared/env';
import { observe } from '../shared/observe';
import { logger, metrics } from '../shared/powertools';

export interface SubmitOrdersDeps {
  readonly store?: () => AuctionStore;
  readonly platform?: (context: Context) => AuctionPlatform;
  readonly now?: () => Date;
}

/** Close-and-submit: the closed auction's orders become `submitted` and go to the platform. */
export function createHandler(deps: SubmitOrdersDeps = {}) {
  const store = deps.store ?? (() => new DynamoDbAuctionStore(exactDocumentClient(), requireEnv('ORDERS_TABLE_NAME')));
  const platform = deps.platform ?? ((context: Context) => platformFromEnv({ remainingTimeMs: () => context.getRemainingTimeInMillis() }));
  const now = deps.now ?? (() => new Date());
  return (event: unknown, context: Context): Promise<ClosedAuction> =>
    observe('submit-orders', context, async () => {
      const periodMinutes = integerEnv('AUCTION_PERIOD_MINUTES', 60, 1, 1440);
      const { auction_id: auctionId, execution_name: executionName } = (event ?? {}) as Record<string, unknown>;
      if (typeof auctionId !== 'string' || !isAuctionId(auctionId, periodMinutes) || typeof executionName !== 'string') {
        throw new InvalidTaskInput('Expected {auction_id, execution_name}');
      }
      logger.setCorrelationId(executionName);
      const closed = await submitOrders(auctionId, executionName, { orders: store(), platform: platform(context), now, periodMinutes });
      metrics.addMetric('OrdersSubmitted', MetricUnit.Count, closed.submitted);
      logger.info('Orders submitted to the auction platform', { auctionId, submitted: closed.submitted });
      return closed;
    }, (error) => logger.error('submit-orders failed', error));
}

export const handler = createHandler();
