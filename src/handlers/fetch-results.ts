import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { S3ResultStore } from '../adapters/s3-result-store';
import { offloadLargeAnswer, type OffloadedAnswer } from '../results/large-results';
import type { ResultStore } from '../results/result-store';
import { numberEnv, optionalEnv, requireEnv } from '../shared/env';
import { observe } from '../shared/observe';
import { logger, metrics } from '../shared/powertools';
import {
  MAX_ORDER_COUNT,
  parseFetchRequest,
  simulateAuction,
  type AuctionAnswer,
  type AuctionConfig,
  type MalformedAnswer,
} from '../results/auction';
import { seededRandom, type Random } from '../results/random';

export interface FetchResultsDeps {
  /** Randomness when AUCTION_SEED is unset. */
  readonly random?: Random;
  /** Where large answers go; defaults to S3 in RESULTS_BUCKET_NAME. */
  readonly store?: () => ResultStore;
}

/** Read per invocation: cheap, and a bad value still fails with the variable's name on the first call. */
function auctionConfig(): AuctionConfig {
  const orderCount = numberEnv('AUCTION_ORDER_COUNT', 2, 0, MAX_ORDER_COUNT);
  if (!Number.isInteger(orderCount)) {
    throw new Error(`Environment variable AUCTION_ORDER_COUNT must be an integer, got ${orderCount}`);
  }
  return {
    readyProbability: numberEnv('AUCTION_READY_PROBABILITY', 0.5, 0, 1),
    orderCount,
    rejectedShare: numberEnv('AUCTION_REJECTED_SHARE', 0.5, 0, 1),
    malformedProbability: numberEnv('AUCTION_MALFORMED_PROBABILITY', 0, 0, 1),
  };
}

/** Simulated auction platform (lambda_a). Deterministic per seed + execution + attempt when AUCTION_SEED is set. */
export function createHandler(deps: FetchResultsDeps = {}) {
  const store = deps.store ?? (() => new S3ResultStore(requireEnv('RESULTS_BUCKET_NAME')));
  return (event: unknown, context: Context): Promise<AuctionAnswer | MalformedAnswer | OffloadedAnswer> =>
    observe('fetch-results', context, async () => {
      const request = parseFetchRequest(event);
      logger.setCorrelationId(request.executionName);
      const config = auctionConfig();
      const seed = optionalEnv('AUCTION_SEED');
      const random = seed === undefined ? (deps.random ?? Math.random) : seededRandom(seed, request.executionName, request.attempt);

      const answer = simulateAuction(config, random);

      const ready = answer.results === true && Array.isArray(answer.orders);
      metrics.addMetric('AuctionPolled', MetricUnit.Count, 1);
      metrics.addMetric('AuctionResultsReady', MetricUnit.Count, ready ? 1 : 0);
      logger.info('Auction polled', {
        attempt: request.attempt,
        seeded: seed !== undefined,
        ready,
        malformed: !ready && answer.results !== false,
        orderCount: ready ? (answer.orders as unknown[]).length : 0,
      });
      return offloadLargeAnswer(answer, {
        inlineLimit: numberEnv('ORDERS_INLINE_LIMIT', 1000, 0, MAX_ORDER_COUNT),
        executionName: request.executionName,
        destination: () => ({ bucket: requireEnv('RESULTS_BUCKET_NAME'), store: store() }),
      });
    }, (error) => logger.error('fetch-results failed', error));
}

export const handler = createHandler();
