// Scenarios: a seeded 10,000-order run (10% rejected) goes through the S3 hand-over and the Distributed Map: it succeeds with total 10000 / stored 9000 / rejected 1000 / failed 0, stores exactly 9000 objects under the run's orders/ prefix, writes the ResultWriter manifest and result files, sends ONE alert listing the capped failures plus "N more" and the failures file, writes all 1000 failures to runs/<execution>/failures.json, and every execution (parent and each child batch) stays below 25,000 history events and every state payload below 256 KiB.
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommandOutput,
  DescribeMapRunCommand,
  DescribeMapRunCommandOutput,
  GetExecutionHistoryCommand,
  HistoryEvent,
  ListExecutionsCommand,
  ListMapRunsCommand,
} from '@aws-sdk/client-sfn';
import { LocalRuntime, runToEnd, slackMessages, startLocalRuntime, waitFor } from './harness';

const ORDERS = 10_000;
const REJECTED = 1_000;
/** ALERT_FAILURES_LIMIT of summarize-run in the template. */
const ALERT_LIMIT = 20;
const HISTORY_LIMIT = 25_000;
const PAYLOAD_LIMIT = 256 * 1024;

interface LocalStatistics {
  historyEventCount: number;
  maxStatePayloadBytes: number;
  maxStatePayloadState?: string;
  type: string;
}

let runtime: LocalRuntime;
const name = `e2e-large-${Date.now()}`;
let run: DescribeExecutionCommandOutput;
let runSeconds: number;

/** DescribeExecution as raw AWS JSON: the SDK drops the runtime's extra `localStatistics` field. */
async function statistics(executionArn: string): Promise<LocalStatistics> {
  const res = await fetch(runtime.endpoints.stepfunctions, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AWSStepFunctions.DescribeExecution' },
    body: JSON.stringify({ executionArn }),
  });
  return ((await res.json()) as { localStatistics: LocalStatistics }).localStatistics;
}

async function history(executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await runtime.sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000, includeExecutionData: false }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

async function listKeys(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await runtime.s3.send(new ListObjectsV2Command({ Bucket: runtime.endpoints.bucketName, Prefix: prefix, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((o) => String(o.Key)));
    token = page.NextContinuationToken;
  } while (token);
  return keys;
}

async function readJson<T>(key: string): Promise<T> {
  const object = await runtime.s3.send(new GetObjectCommand({ Bucket: runtime.endpoints.bucketName, Key: key }));
  return JSON.parse(await object.Body!.transformToString()) as T;
}

beforeAll(async () => {
  runtime = await startLocalRuntime({
    'fetch-results': {
      AUCTION_READY_PROBABILITY: '1',
      AUCTION_ORDER_COUNT: String(ORDERS),
      AUCTION_REJECTED_SHARE: String(REJECTED / ORDERS),
      AUCTION_MALFORMED_PROBABILITY: '0',
      AUCTION_SEED: 'e2e-large',
    },
  });
  const started = Date.now();
  run = await runToEnd(runtime.sfn, runtime.endpoints.stateMachineArn, name, 240_000);
  runSeconds = (Date.now() - started) / 1000;
}, 300_000);

afterAll(async () => {
  await runtime?.stop();
});

describe('a 10,000-order run on the local runtime', () => {
  it('succeeds and accounts for every order', () => {
    expect({ status: run.status, error: run.error, cause: run.cause?.slice(0, 500) }).toEqual({ status: 'SUCCEEDED', error: undefined, cause: undefined });
    expect(JSON.parse(String(run.output))).toEqual({ executionName: name, total: ORDERS, stored: ORDERS - REJECTED, rejected: REJECTED, failed: 0 });
    console.log(`10,000-order run: ${runSeconds.toFixed(1)} s`);
  });

  it('stores exactly one object per accepted order under the run prefix', async () => {
    const date = run.startDate!.toISOString().slice(0, 10);
    const keys = await listKeys(`orders/date=${date}/run=${name}/`);

    expect(keys).toHaveLength(ORDERS - REJECTED);
    expect(new Set(keys).size).toBe(ORDERS - REJECTED);
  });

  it('writes the ResultWriter manifest and result files of the map run', async () => {
    const { mapRuns = [] } = await runtime.sfn.send(new ListMapRunsCommand({ executionArn: run.executionArn }));
    expect(mapRuns).toHaveLength(1);
    const mapRunId = String(mapRuns[0].mapRunArn).split(':').pop();
    const manifest = await readJson<{ MapRunArn: string; ResultFiles: Record<string, Array<{ Key: string; Size: number }>> }>(`map-results/${mapRunId}/manifest.json`);

    expect(manifest.MapRunArn).toBe(mapRuns[0].mapRunArn);
    expect(manifest.ResultFiles.FAILED).toEqual([]);
    expect(manifest.ResultFiles.SUCCEEDED).toEqual([{ Key: `map-results/${mapRunId}/SUCCEEDED_0.json`, Size: expect.any(Number) }]);
    const records = await readJson<Array<{ Status: string; Input: string; Output: string }>>(manifest.ResultFiles.SUCCEEDED[0].Key);
    const items = records.reduce((sum, r) => sum + (JSON.parse(r.Input) as { Items: unknown[] }).Items.length, 0);
    expect(items).toBe(ORDERS);
    expect(records.every((r) => r.Status === 'SUCCEEDED')).toBe(true);
  });

  it('sends one alert with the capped list, the count of the rest and the failures file, which holds all failures', async () => {
    const failuresKey = `runs/${name}/failures.json`;
    await waitFor('the alert', async () => ((await slackMessages(runtime)).some((m) => JSON.stringify(m.body).includes(name)) ? true : undefined));
    await new Promise((r) => setTimeout(r, 1000)); // a second alert would arrive by now
    const alerts = (await slackMessages(runtime)).filter((m) => JSON.stringify(m.body).includes(name));

    expect(alerts).toHaveLength(1);
    const text = JSON.stringify(alerts[0].body);
    const listed = new Set(text.match(/#\d+\*/g));
    expect(listed.size).toBeGreaterThan(0);
    expect(listed.size).toBeLessThanOrEqual(ALERT_LIMIT);
    expect(text).toContain(`${REJECTED - listed.size} more`);
    expect(text).toContain(failuresKey);
    const failures = await readJson<Array<{ status: string; index: number }>>(failuresKey);
    expect(failures).toHaveLength(REJECTED);
    expect(failures.every((f) => f.status === 'rejected')).toBe(true);
    expect(new Set(failures.map((f) => f.index)).size).toBe(REJECTED);
  });

  it('keeps every execution below 25,000 history events and every state payload below 256 KiB', async () => {
    const { mapRuns = [] } = await runtime.sfn.send(new ListMapRunsCommand({ executionArn: run.executionArn }));
    const mapRun: DescribeMapRunCommandOutput = await runtime.sfn.send(new DescribeMapRunCommand({ mapRunArn: mapRuns[0].mapRunArn }));
    const children = (await runtime.sfn.send(new ListExecutionsCommand({ mapRunArn: mapRuns[0].mapRunArn, maxResults: 1000 }))).executions ?? [];
    expect(children).toHaveLength(mapRun.executionCounts!.total!);
    expect(mapRun.itemCounts).toMatchObject({ total: ORDERS, succeeded: ORDERS, failed: 0 });

    const parent = await statistics(String(run.executionArn));
    const perChild = await Promise.all(children.map((c) => statistics(String(c.executionArn))));
    const all = [parent, ...perChild];
    const maxEvents = Math.max(...all.map((s) => s.historyEventCount));
    const maxPayload = Math.max(...all.map((s) => s.maxStatePayloadBytes));
    console.log(`10,000-order run: ${children.length} child executions; history events parent ${parent.historyEventCount}, child max ${Math.max(...perChild.map((s) => s.historyEventCount))}; largest payload ${maxPayload} bytes`);

    expect(maxEvents).toBeLessThan(HISTORY_LIMIT);
    expect(maxPayload).toBeLessThan(PAYLOAD_LIMIT);
    expect(perChild.every((s) => s.type === 'EXPRESS' && s.historyEventCount > 0)).toBe(true);
    // The counts are the events GetExecutionHistory returns, for the parent and a child alike.
    expect(await history(String(run.executionArn))).toHaveLength(parent.historyEventCount);
    expect(await history(String(children[0].executionArn))).toHaveLength(perChild[0].historyEventCount);
    const types = new Set((await history(String(run.executionArn))).map((e) => e.type));
    expect([...types]).toEqual(expect.arrayContaining(['ExecutionStarted', 'MapStateEntered', 'MapRunStarted', 'MapRunSucceeded', 'MapStateExited', 'LambdaFunctionSucceeded', 'ExecutionSucceeded']));
  });
});
