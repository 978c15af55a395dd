import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { platformFromEnv } from '../adapters/http-auction-platform';
import { S3ResultStore } from '../adapters/s3-result-store';
import { collectResults, type FetchAnswer } from '../results/collect-results';
import { InvalidTaskInput } from '../results/errors';
import type { AuctionPlatform } from '../platform/platform';
import type { ResultStore } from '../results/result-store';
import { integerEnv, requireEnv } from '../shared/env';
import { observe } from '../shared/observe';
import { logger, metrics } from '../shared/powertools';

export interface FetchResultsDeps {
  readonly platform?: (context: Context) => AuctionPlatform;
  /** Where large answers go; defaults to S3 in RESULTS_BUCKET_NAME. */
  readonly store?: () => ResultStore;
}

/** Far enough below Step Functions' 256 KiB state limit to leave room for the rest of the state. */
const INLINE_BYTES = 100 * 1024;

/** lambda_a: asks the auction platform for the auction's results, once per poll. */
export function createHandler(deps: FetchResultsDeps = {}) {
  const platform = deps.platform ?? ((context: Context) => platformFromEnv({ remainingTimeMs: () => context.getRemainingTimeInMillis() }));
  const store = deps.store ?? (() => new S3ResultStore(requireEnv('RESULTS_BUCKET_NAME')));
  return (event: unknown, context: Context): Promise<FetchAnswer> =>
    observe('fetch-results', context, async () => {
      const { auction_id: auctionId, attempt, execution_name: executionName } = (event ?? {}) as Record<string, unknown>;
      if (typeof auctionId !== 'string' || typeof executionName !== 'string' || typeof attempt !== 'number') {
        throw new InvalidTaskInput('Expected {auction_id, attempt, execution_name}');
      }
      logger.setCorrelationId(executionName);
      const answer = await collectResults(platform(context), {
        auctionId,
        executionName,
        inlineLimit: integerEnv('RESULTS_INLINE_LIMIT', 1000, 0, 100_000),
        inlineBytes: INLINE_BYTES,
        destination: () => ({ bucket: requireEnv('RESULTS_BUCKET_NAME'), store: store() }),
      });
      const ready = answer.results === true;
      metrics.addMetric('AuctionPolled', MetricUnit.Count, 1);
      metrics.addMetric('AuctionResultsReady', MetricUnit.Count, ready ? 1 : 0);
      logger.info('Auction polled', {
        auctionId,
        attempt,
        ready,
        invalid: 'invalid' in answer ? answer.invalid : undefined,
        results: 'orders' in answer ? answer.orders.length : 'count' in answer ? answer.count : 0,
      });
      return answer;
    }, (error) => logger.error('fetch-results failed', error));
}

export const handler = createHandler();
