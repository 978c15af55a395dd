// Scenarios: counts stored/rejected/failed from ResultWriter files, failed and pending batches count every
// order as failed, unreported orders, capped failure list with the full list written to S3, no file when
// nothing failed, bad input, S3 read failure.
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { createHandler } from '../../src/handlers/summarize-run';
import { summarizeRun, type BatchOutput, type ChildExecutionRecord } from '../../src/results/run-summary';
import { logger, metrics } from '../../src/shared/powertools';

const s3 = mockClient(S3Client);
const context = { functionName: 'summarize-run', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;
const MANIFEST_KEY = 'map-results/run-1/manifest.json';

const succeeded = (output: BatchOutput): ChildExecutionRecord => ({ Status: 'SUCCEEDED', Output: JSON.stringify(output) });
const rejected = (index: number) => ({ index, status: 'rejected' as const, order: { status: 'rejected', power: index }, error: 'OrderRejected' });

function serve(files: Record<string, unknown>): void {
  s3.on(GetObjectCommand).callsFake((input: { Key: string }) => {
    if (!(input.Key in files)) throw Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey' });
    // Only what the adapter uses of the SDK's stream body.
    return { Body: { transformToString: async () => JSON.stringify(files[input.Key]) } };
  });
}

describe('summarizeRun', () => {
  it('adds up batches and sorts the failures by index', () => {
    // Act
    const run = summarizeRun('run-1', 6, [
      succeeded({ stored: 2, failures: [rejected(3)] }),
      succeeded({ stored: 2, failures: [{ index: 1, status: 'failed', error: 'ResultStoreUnavailable' }] }),
    ], 20);

    // Assert
    expect(run.summary).toEqual({ executionName: 'run-1', total: 6, stored: 4, rejected: 1, failed: 1 });
    expect(run.failures.map((failure) => failure.index)).toEqual([1, 3]);
    expect(run.failuresTruncated).toBe(0);
  });

  it('counts every order of a failed batch as failed, with the batch error', () => {
    // Act
    const run = summarizeRun('run-1', 3, [{
      Status: 'FAILED',
      Error: 'States.Timeout',
      Input: JSON.stringify({ Items: [{ index: 0, order: {} }, { index: 1, order: {} }, { index: 2, order: {} }], BatchInput: {} }),
    }], 20);

    // Assert
    expect(run.summary).toMatchObject({ total: 3, stored: 0, failed: 3 });
    expect(run.failures).toEqual([0, 1, 2].map((index) => expect.objectContaining({ index, status: 'failed', error: 'States.Timeout' })));
  });

  it('reports orders no batch mentioned as failed, so none disappears', () => {
    // Act
    const run = summarizeRun('run-1', 10, [succeeded({ stored: 7, failures: [] })], 20);

    // Assert
    expect(run.summary).toMatchObject({ total: 10, stored: 7, failed: 3 });
    expect(run.failures).toEqual([expect.objectContaining({ error: 'NotReported', cause: expect.stringContaining('3 orders') })]);
  });

  it('caps the list for the alert and keeps the full list', () => {
    // Act
    const run = summarizeRun('run-1', 50, [succeeded({ stored: 0, failures: Array.from({ length: 50 }, (_, i) => rejected(i)) })], 20);

    // Assert
    expect(run.failures).toHaveLength(20);
    expect(run.failuresTruncated).toBe(30);
    expect(run.allFailures).toHaveLength(50);
  });
});

describe('summarize-run handler', () => {
  beforeAll(() => logger.setLogLevel('SILENT'));

  beforeEach(() => {
    s3.reset();
    jest.restoreAllMocks();
    process.env.RESULTS_BUCKET_NAME = 'results';
    jest.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => metrics.clearMetrics() ?? metrics);
    jest.spyOn(metrics, 'captureColdStartMetric').mockImplementation(() => undefined);
  });

  afterAll(() => delete process.env.RESULTS_BUCKET_NAME);

  it('reads the manifest and every result file, writes the full failure list, returns a capped summary', async () => {
    // Arrange
    process.env.ALERT_FAILURES_LIMIT = '2';
    serve({
      [MANIFEST_KEY]: { ResultFiles: { SUCCEEDED: [{ Key: 'map-results/run-1/SUCCEEDED_0.json' }], FAILED: [{ Key: 'map-results/run-1/FAILED_0.json' }], PENDING: [] } },
      'map-results/run-1/SUCCEEDED_0.json': [succeeded({ stored: 3, failures: [rejected(4)] })],
      'map-results/run-1/FAILED_0.json': [{ Status: 'FAILED', Error: 'Lambda.Unknown', Input: JSON.stringify({ Items: [{ index: 5 }, { index: 6 }] }) }],
    });
    s3.on(PutObjectCommand).resolves({});

    // Act
    const output = await createHandler()({ executionName: 'run-1', orderCount: 6, resultWriterDetails: { Bucket: 'results', Key: MANIFEST_KEY } }, context);

    // Assert
    expect(output.summary).toEqual({ executionName: 'run-1', total: 6, stored: 3, rejected: 1, failed: 2 });
    expect(output.failures.map((failure) => failure.index)).toEqual([4, 5]);
    expect(output.failuresTruncated).toBe(1);
    expect(output.failuresKey).toBe('runs/run-1/failures.json');
    expect(s3).toReceiveCommandWith(PutObjectCommand, { Bucket: 'results', Key: 'runs/run-1/failures.json' });
    const written = JSON.parse(s3.commandCalls(PutObjectCommand)[0].args[0].input.Body as string);
    expect(written.map((failure: { index: number }) => failure.index)).toEqual([4, 5, 6]);
    delete process.env.ALERT_FAILURES_LIMIT;
  });

  it('writes no failure file when every order was stored', async () => {
    // Arrange
    serve({
      [MANIFEST_KEY]: { ResultFiles: { SUCCEEDED: [{ Key: 'a.json' }] } },
      'a.json': [succeeded({ stored: 2, failures: [] })],
    });

    // Act
    const output = await createHandler()({ executionName: 'run-1', orderCount: 2, resultWriterDetails: { Bucket: 'results', Key: MANIFEST_KEY } }, context);

    // Assert
    expect(output).toEqual({ summary: { executionName: 'run-1', total: 2, stored: 2, rejected: 0, failed: 0 }, failures: [], failuresTruncated: 0, failuresKey: null });
    expect(s3).not.toReceiveCommand(PutObjectCommand);
  });

  it('refuses input that is not the map output', async () => {
    await expect(createHandler()({ executionName: 'run-1' }, context)).rejects.toThrow(/resultWriterDetails/);
    expect(s3).not.toReceiveCommand(GetObjectCommand);
  });

  it('turns an S3 read failure into ResultStoreUnavailable', async () => {
    // Arrange
    serve({});

    // Act
    const outcome = createHandler()({ executionName: 'run-1', orderCount: 1, resultWriterDetails: { Bucket: 'results', Key: MANIFEST_KEY } }, context);

    // Assert
    await expect(outcome).rejects.toMatchObject({ name: 'ResultStoreUnavailable', message: expect.stringContaining(MANIFEST_KEY) });
  });
});
