import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { requireEnv } from '../shared/env';
import { observe } from '../shared/observe';
import { logger, metrics } from '../shared/powertools';
import { S3ResultStore } from '../adapters/s3-result-store';
import { InvalidOrderResult, OrderRejected, ResultStoreUnavailable } from '../results/errors';
import { parseStoreRequest, storeOrderResult, type StoredResult } from '../results/order-result';
import type { ResultStore } from '../results/result-store';

export interface StoreResultDeps {
  readonly now?: () => Date;
  /** Defaults to S3 in RESULTS_BUCKET_NAME. */
  readonly store?: () => ResultStore;
}

/**
 * Map item handler (lambda_b). Errors keep their names (OrderRejected, InvalidOrderResult,
 * ResultStoreUnavailable) because the state machine's Retry/Catch match on them.
 */
export function createHandler(deps: StoreResultDeps = {}) {
  const now = deps.now ?? (() => new Date());
  const store = deps.store ?? (() => new S3ResultStore(requireEnv('RESULTS_BUCKET_NAME')));

  return (event: unknown, context: Context): Promise<StoredResult> =>
    observe('store-result', context, async () => {
      const executionName = (event as { executionName?: unknown } | null)?.executionName;
      if (typeof executionName === 'string') logger.setCorrelationId(executionName);
      const request = parseStoreRequest(event);
      const stored = await storeOrderResult(request, store(), now());
      metrics.addMetric('OrdersStored', MetricUnit.Count, 1);
      logger.info('Order result stored', { index: stored.index, key: stored.key });
      return stored;
    }, (error) => {
      if (error instanceof OrderRejected) {
        metrics.addMetric('OrdersRejected', MetricUnit.Count, 1);
        logger.warn('Order rejected', { error });
      } else if (error instanceof InvalidOrderResult || error instanceof ResultStoreUnavailable) {
        logger.error('Order result not stored', { error });
      } else {
        logger.error('Unexpected error in store-result', { error });
      }
    });
}

export const handler = createHandler();
