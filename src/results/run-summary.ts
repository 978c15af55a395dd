/**
 * Summary of a large run from the Distributed Map's ResultWriter output. No AWS here: the handler
 * reads the files and passes their parsed contents in.
 */

/** What one child execution (a batch of orders) returns. */
export interface BatchOutput {
  readonly stored: number;
  readonly failures: Failure[];
}

export interface Failure {
  readonly index?: number;
  readonly status: 'rejected' | 'failed';
  readonly order?: unknown;
  readonly error?: string;
  readonly cause?: string;
}

/** One entry of a ResultWriter result file: a child execution with its input and output as JSON text. */
export interface ChildExecutionRecord {
  readonly Status?: string;
  readonly Input?: string;
  readonly Output?: string;
  readonly Error?: string;
  readonly Cause?: string;
}

/** The ResultWriter manifest: result files grouped by child execution status. */
export interface ResultManifest {
  readonly ResultFiles?: Partial<Record<'SUCCEEDED' | 'FAILED' | 'PENDING', Array<{ Key: string }>>>;
}

export interface RunSummary {
  readonly executionName: string;
  readonly total: number;
  readonly stored: number;
  readonly rejected: number;
  readonly failed: number;
}

export interface SummarizedRun {
  readonly summary: RunSummary;
  /** The first failures, for the alert; the full list is in `failuresKey`. */
  readonly failures: Failure[];
  readonly failuresTruncated: number;
  readonly allFailures: Failure[];
}

/** Result file keys to read, succeeded first; PENDING files hold children that never finished. */
export function resultFileKeys(manifest: ResultManifest): Array<{ key: string; status: string }> {
  const files = manifest.ResultFiles ?? {};
  return (['SUCCEEDED', 'FAILED', 'PENDING'] as const).flatMap((status) =>
    (files[status] ?? []).map((file) => ({ key: file.Key, status })));
}

/**
 * Counts stored, rejected and failed orders. A child that did not succeed counts every order of its
 * batch as failed, with the child's error, so no order disappears from the summary.
 */
export function summarizeRun(
  executionName: string,
  orderCount: number,
  records: ChildExecutionRecord[],
  alertLimit: number,
): SummarizedRun {
  let stored = 0;
  const failures: Failure[] = [];
  for (const record of records) {
    if (record.Status === 'SUCCEEDED' && record.Output !== undefined) {
      const output = JSON.parse(record.Output) as BatchOutput;
      stored += output.stored;
      failures.push(...output.failures);
    } else {
      for (const item of batchItems(record.Input)) {
        failures.push({
          index: item.index,
          status: 'failed',
          order: item.order,
          error: record.Error ?? `Batch${record.Status === undefined ? '' : ` ${record.Status}`}`,
          cause: record.Cause,
        });
      }
    }
  }
  failures.sort((a, b) => (a.index ?? Infinity) - (b.index ?? Infinity));
  const rejected = failures.filter((failure) => failure.status === 'rejected').length;
  const failedItems = failures.length - rejected;
  // Orders no batch reported (e.g. a batch lost before it started) are failures too.
  const notReported = Math.max(0, orderCount - stored - failures.length);
  if (notReported > 0) {
    failures.push({ status: 'failed', error: 'NotReported', cause: `${notReported} orders were not reported by any batch` });
  }
  return {
    summary: {
      executionName,
      total: stored + rejected + failedItems + notReported,
      stored,
      rejected,
      failed: failedItems + notReported,
    },
    failures: failures.slice(0, alertLimit),
    failuresTruncated: Math.max(0, failures.length - alertLimit),
    allFailures: failures,
  };
}

function batchItems(input: string | undefined): Array<{ index?: number; order?: unknown }> {
  if (input === undefined) return [];
  try {
    const parsed = JSON.parse(input) as { Items?: Array<{ index?: number; order?: unknown }> };
    return Array.isArray(parsed.Items) ? parsed.Items : [];
  } catch {
    return [];
  }
}
