import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { DynamoDbAuctionStore } from '../adapters/dynamodb-auction-store';
import { S3ResultStore } from '../adapters/s3-result-store';
import type { AuctionStore } from '../auctions/auction-store';
import { OrderRejected } from '../results/errors';
import type { ResultStore } from '../results/result-store';
import { parseStoreResultInput, storeResult, type StoredOutcome } from '../results/store-result';
import { exactDocumentClient } from '../shared/clients/dynamodb';
import { integerEnv, requireEnv } from '../shared/env';
import { observe } from '../shared/observe';
import { logger, metrics } from '../shared/powertools';

export interface StoreResultDeps {
  readonly now?: () => Date;
  readonly orders?: () => AuctionStore;
  readonly results?: () => ResultStore;
}

/**
 * Map item handler (lambda_b). Errors keep their names (OrderRejected, UnknownOrder, InvalidOrderResult,
 * ResultStoreUnavailable, OrderStoreUnavailable) because the state machine's Retry/Catch match on them.
 */
export function createHandler(deps: StoreResultDeps = {}) {
  const now = deps.now ?? (() => new Date());
  const orders = deps.orders ?? (() => new DynamoDbAuctionStore(exactDocumentClient(), requireEnv('ORDERS_TABLE_NAME')));
  const results = deps.results ?? (() => new S3ResultStore(requireEnv('RESULTS_BUCKET_NAME')));

  return (event: unknown, context: Context): Promise<StoredOutcome> =>
    observe('store-result', context, async () => {
      const input = parseStoreResultInput(event, integerEnv('AUCTION_PERIOD_MINUTES', 60, 1, 1440));
      logger.setCorrelationId(input.execution_name);
      const outcome = await storeResult(input, { orders: orders(), results: results(), now });
      if (outcome.status === 'accepted') {
        metrics.addMetric('OrdersStored', MetricUnit.Count, 1);
        logger.info('Order result stored', { auctionId: input.auction_id, customer: outcome.customer, recordId: outcome.record_id, key: outcome.key });
      } else {
        metrics.addMetric('OrdersFailed', MetricUnit.Count, 1);
        logger.warn('Order failed', { auctionId: input.auction_id, customer: outcome.customer, recordId: outcome.record_id, reason: input.failure?.Error });
      }
      return outcome;
    }, (error) => {
      if (error instanceof OrderRejected) {
        metrics.addMetric('OrdersRejected', MetricUnit.Count, 1);
        logger.warn('Order rejected', { error: error.message });
      } else {
        logger.error('Order result not stored', { error });
      }
    });
}

export const handler = createHandler();
