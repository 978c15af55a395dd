import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { DynamoDbAuctionStore } from '../adapters/dynamodb-auction-store';
import { S3ResultStore } from '../adapters/s3-result-store';
import { publishAlert } from '../adapters/sns-alerts';
import { isAuctionId } from '../auctions/auction-id';
import type { AuctionStore } from '../auctions/auction-store';
import { finalizeAuction } from '../auctions/finalize';
import type { FailedOrdersAlert, RunSummary } from '../auctions/run';
import { InvalidTaskInput } from '../results/errors';
import { runFileKey } from '../results/result-key';
import type { ResultStore } from '../results/result-store';
import { exactDocumentClient } from '../shared/clients/dynamodb';
import { integerEnv, requireEnv } from '../shared/env';
import { observe } from '../shared/observe';
import { logger, metrics } from '../shared/powertools';

export interface FinalizeAuctionDeps {
  readonly now?: () => Date;
  readonly orders?: () => AuctionStore;
  readonly results?: () => ResultStore;
  readonly publish?: (alert: FailedOrdersAlert) => Promise<unknown>;
}

interface FinalizeRequest {
  /** Undefined for a status event: the auction is the one the execution closed. */
  readonly auctionId?: string;
  readonly executionName: string;
  readonly reason: string;
  readonly stateMachineArn?: string;
}

/** Run statuses the status rule delivers, as the reason given to orders the run left behind. */
const ENDED_RUN_REASONS: Record<string, string> = { FAILED: 'RunFailed', TIMED_OUT: 'RunTimedOut', ABORTED: 'RunAborted' };

/**
 * Two callers: the run's last step (`{auction_id, execution_name, reason}`), and the status rule for runs
 * that failed, timed out or were aborted (an EventBridge "Execution Status Change" event), so nothing
 * stays submitted whatever happened. The alert goes out once per execution, whoever gets there first.
 */
function parseRequest(event: unknown, periodMinutes: number): FinalizeRequest {
  const e = (event ?? {}) as Record<string, unknown>;
  if (e['detail-type'] === 'Step Functions Execution Status Change') {
    const detail = (e.detail ?? {}) as Record<string, unknown>;
    return {
      executionName: String(detail.name),
      reason: (typeof detail.error === 'string' && detail.error) || ENDED_RUN_REASONS[String(detail.status)] || 'RunEnded',
      stateMachineArn: typeof detail.stateMachineArn === 'string' ? detail.stateMachineArn : undefined,
    };
  }
  const { auction_id: auctionId, execution_name: executionName, reason } = e;
  if (typeof auctionId !== 'string' || !isAuctionId(auctionId, periodMinutes) || typeof executionName !== 'string' || typeof reason !== 'string') {
    throw new InvalidTaskInput('Expected {auction_id, execution_name, reason} or an execution status change event');
  }
  return { auctionId, executionName, reason };
}

export function createHandler(deps: FinalizeAuctionDeps = {}) {
  const now = deps.now ?? (() => new Date());
  const orders = deps.orders ?? (() => new DynamoDbAuctionStore(exactDocumentClient(), requireEnv('ORDERS_TABLE_NAME')));
  const results = deps.results ?? (() => new S3ResultStore(requireEnv('RESULTS_BUCKET_NAME')));
  const publish = deps.publish ?? ((alert: FailedOrdersAlert) => publishAlert(requireEnv('ALERTS_TOPIC_ARN'), alert));

  return (event: unknown, context: Context): Promise<RunSummary | { skipped: string }> =>
    observe('finalize-auction', context, async () => {
      const request = parseRequest(event, integerEnv('AUCTION_PERIOD_MINUTES', 60, 1, 1440));
      logger.setCorrelationId(request.executionName);
      const store = orders();
      const auctionId = request.auctionId ?? (await store.auctionOfExecution(request.executionName));
      if (auctionId === undefined) {
        // The run ended before it closed an auction: no order was submitted, nothing to finish.
        logger.info('Run closed no auction; nothing to finalize', { executionName: request.executionName, reason: request.reason });
        return { skipped: 'the run closed no auction' };
      }
      const run = await finalizeAuction(auctionId, request.executionName, request.reason, {
        orders: store,
        now,
        alertLimit: integerEnv('ALERT_ORDERS_LIMIT', 20, 1, 100),
        writeFailedList: async (failed) => {
          const key = runFileKey(auctionId, request.executionName, 'failed-orders.json');
          await results().putJson(key, JSON.stringify(failed));
          return `s3://${requireEnv('RESULTS_BUCKET_NAME')}/${key}`;
        },
      });
      const { summary } = run;
      metrics.addMetric('OrdersAccepted', MetricUnit.Count, summary.accepted);
      metrics.addMetric('OrdersRejected', MetricUnit.Count, summary.rejected);
      metrics.addMetric('OrdersFailed', MetricUnit.Count, summary.failed);
      let alerted = false;
      if (run.alert && (await store.claimAlert(auctionId, request.executionName))) {
        try {
          await publish({ ...run.alert, ...(request.stateMachineArn ? { stateMachineArn: request.stateMachineArn } : {}) });
        } catch (error) {
          // Give the claim back, so the retry of this step sends the alert instead of skipping it.
          await store.releaseAlert(auctionId, request.executionName);
          throw error;
        }
        alerted = true;
      }
      logger.info('Run finalized', { ...summary, reason: request.reason, failedNow: run.failedNow, alerted });
      return summary;
    }, (error) => logger.error('finalize-auction failed', error));
}

export const handler = createHandler();
