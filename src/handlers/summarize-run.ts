import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { S3ResultStore } from '../adapters/s3-result-store';
import { failuresFileKey } from '../results/large-results';
import type { ResultReader, ResultStore } from '../results/result-store';
import {
  resultFileKeys,
  summarizeRun,
  type ChildExecutionRecord,
  type Failure,
  type ResultManifest,
  type RunSummary,
} from '../results/run-summary';
import { numberEnv, requireEnv } from '../shared/env';
import { observe } from '../shared/observe';
import { logger, metrics } from '../shared/powertools';

export interface SummarizeRunRequest {
  readonly executionName: string;
  readonly orderCount: number;
  /** The Distributed Map's output: where ResultWriter put the manifest. */
  readonly resultWriterDetails: { readonly Bucket: string; readonly Key: string };
}

export interface SummarizeRunOutput {
  readonly summary: RunSummary;
  readonly failures: Failure[];
  readonly failuresTruncated: number;
  /** Full list of failures, written only when there are any. */
  readonly failuresKey: string | null;
}

export interface SummarizeRunDeps {
  readonly store?: () => ResultStore & ResultReader;
}

function parseRequest(event: unknown): SummarizeRunRequest {
  const { executionName, orderCount, resultWriterDetails } = (event ?? {}) as Record<string, unknown>;
  const details = resultWriterDetails as { Bucket?: unknown; Key?: unknown } | undefined;
  if (typeof executionName !== 'string' || typeof orderCount !== 'number' || typeof details?.Key !== 'string') {
    throw new TypeError('Expected {executionName, orderCount, resultWriterDetails: {Bucket, Key}}');
  }
  return event as SummarizeRunRequest;
}

/**
 * Counts a large run from the Distributed Map's result files, writes the full list of failed orders
 * to S3, and returns a summary with a capped list, so the state and the alert stay small.
 */
export function createHandler(deps: SummarizeRunDeps = {}) {
  const store = deps.store ?? (() => new S3ResultStore(requireEnv('RESULTS_BUCKET_NAME')));

  return (event: unknown, context: Context): Promise<SummarizeRunOutput> =>
    observe('summarize-run', context, async () => {
      const request = parseRequest(event);
      logger.setCorrelationId(request.executionName);
      const s3 = store();
      const manifest = (await s3.getJson(request.resultWriterDetails.Key)) as ResultManifest;
      const records: ChildExecutionRecord[] = [];
      for (const file of resultFileKeys(manifest)) {
        records.push(...((await s3.getJson(file.key)) as ChildExecutionRecord[]));
      }
      const run = summarizeRun(request.executionName, request.orderCount, records, numberEnv('ALERT_FAILURES_LIMIT', 20, 1, 1000));

      let failuresKey: string | null = null;
      if (run.allFailures.length > 0) {
        failuresKey = failuresFileKey(request.executionName);
        await s3.putJson(failuresKey, JSON.stringify(run.allFailures));
      }
      metrics.addMetric('OrdersStored', MetricUnit.Count, run.summary.stored);
      metrics.addMetric('OrdersRejected', MetricUnit.Count, run.summary.rejected);
      metrics.addMetric('OrdersFailed', MetricUnit.Count, run.summary.failed);
      logger.info('Run summarized', { ...run.summary, childExecutions: records.length, failuresKey });
      return { summary: run.summary, failures: run.failures, failuresTruncated: run.failuresTruncated, failuresKey };
    }, (error) => logger.error('summarize-run failed', error));
}

export const handler = createHandler();
