import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListMapRunsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { localClientConfig } from '../local/core/aws-clients';
import type { SlackMessage } from '../local/slack/sink';
import type { FailedOrder, RunSummary } from '../src/auctions/run';
import { MAX_AUCTIONS_AHEAD } from '../src/orders/ingest';
import { runFileKey } from '../src/results/result-key';
import { ordersBody } from './http-load';
import type { BenchContext, Section } from './section';
import { bytes, num } from './table';

/** Orders per auction, one row each; `--pipeline-orders 1000,10000` overrides (e.g. to skip the 100k row). */
const DEFAULT_ORDERS = [1_000, 10_000, 100_000];
const WARM_UP_ORDERS = 100;
const ORDERS_PER_REQUEST = 1000;
/**
 * One POST at a time: dynalite on the runtime's main thread is the limit either way, and a second 1000-order
 * request in flight only brings each one closer to post-orders' 29 s timeout.
 */
const POSTS_IN_FLIGHT = 1;
/** A POST that got 429/5xx is repeated as the API says a client should (it is idempotent), at most this often. */
const POST_ATTEMPTS = 5;
const POST_TIMEOUT_MS = 60_000;
const REJECTED_SHARE = 0.1;
const PLATFORM_ENV = {
  PLATFORM_READY_AFTER_POLLS: 0,
  PLATFORM_REJECTED_SHARE: REJECTED_SHARE,
  PLATFORM_NO_RESULT_SHARE: 0,
  PLATFORM_MALFORMED_SHARE: 0,
  PLATFORM_SEED: 'bench-pipeline',
};
/** A run that is still RUNNING after this long fails the row, so the bench always ends by itself. */
const RUN_DEADLINE_MS = 90 * 60_000;
const ALERT_WAIT_MS = 15_000;
const HISTORY_LIMIT = 25_000;
const PAYLOAD_LIMIT = 256 * 1024;

/** The runtime's measurements per execution (an extra DescribeExecution field the SDK drops, so read raw). */
interface LocalStatistics {
  historyEventCount: number;
  stateTransitions: number;
  maxStatePayloadBytes: number;
  maxStatePayloadState?: string;
}

interface Posted {
  seconds: number;
  /** Requests that had to be repeated after a 429/5xx or no answer. */
  repeated: number;
}

interface Row {
  orders: number;
  auctionId: string;
  path: string;
  post: Posted;
  /** CloseAuction entered to SubmitOrders exited, from the parent's history. */
  closeAndSubmitSeconds: number;
  settleSeconds: number;
  /** FetchResults (all polls and pages), the results Map, FinalizeRun: entered to exited. */
  phases: { fetch: number; store: number; finalize: number };
  runSeconds: number;
  executions: number;
  transitions: { parent: number; children: number };
  events: { total: number; parent: number; childMax: number };
  maxPayload: number;
  maxPayloadState: string;
  summary: RunSummary;
  /** Failed orders by reason, from the run's full failed list in S3. */
  failedReasons: Record<string, number>;
  alerted: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function orderCounts(): number[] {
  const i = process.argv.indexOf('--pipeline-orders');
  if (i < 0) return DEFAULT_ORDERS;
  const counts = String(process.argv[i + 1]).split(',').map(Number);
  if (!counts.every((n) => Number.isInteger(n) && n > 0 && n <= 100_000)) throw new Error(`--pipeline-orders takes order counts up to 100000, got ${process.argv[i + 1]}`);
  // Each run closes its auction early; post-orders moves at most MAX_AUCTIONS_AHEAD auctions past the
  // current one, so one runtime holds the warm-up and that many rows.
  if (counts.length > MAX_AUCTIONS_AHEAD) throw new Error(`--pipeline-orders takes at most ${MAX_AUCTIONS_AHEAD} counts (each run closes an auction ahead of time), got ${counts.length}`);
  return counts;
}

async function statistics(endpoint: string, executionArn: string): Promise<LocalStatistics> {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AWSStepFunctions.DescribeExecution' },
    body: JSON.stringify({ executionArn }),
  });
  return ((await res.json()) as { localStatistics: LocalStatistics }).localStatistics;
}

/**
 * POSTs `orders` orders through the local API in requests of ORDERS_PER_REQUEST, the customers' keys in
 * turn, record ids unique to this row. Every order must be acknowledged with 201, or the row fails.
 */
async function postOrders(ctx: BenchContext, orders: number, tag: string): Promise<Posted> {
  const e = ctx.runtime.endpoints;
  const keys = Object.values(e.apiKeys);
  const requests = Math.ceil(orders / ORDERS_PER_REQUEST);
  let next = 0;
  let repeated = 0;
  const started = performance.now();
  const send = async (index: number) => {
    const count = Math.min(ORDERS_PER_REQUEST, orders - index * ORDERS_PER_REQUEST);
    const { body } = ordersBody(`${tag}-q${index}`, count);
    for (let attempt = 1; ; attempt++) {
      let status = 0;
      let text = '';
      let retryAfter = 1;
      try {
        const res = await fetch(`${e.api}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': keys[index % keys.length] },
          body,
          signal: AbortSignal.timeout(POST_TIMEOUT_MS),
        });
        status = res.status;
        text = await res.text();
        retryAfter = Number(res.headers.get('retry-after')) || 1;
      } catch (error) {
        text = error instanceof Error ? error.message : String(error);
      }
      if (status === 201) {
        const accepted = (JSON.parse(text) as { accepted?: unknown }).accepted;
        if (accepted !== count) throw new Error(`POST /orders acknowledged ${String(accepted)} of ${count} orders`);
        return;
      }
      const transient = status === 0 || status === 429 || status >= 500;
      if (!transient || attempt >= POST_ATTEMPTS) throw new Error(`POST /orders of ${count} orders answered ${status || 'nothing'} after ${attempt} attempt(s): ${text.slice(0, 300)}`);
      repeated++;
      await sleep(Math.min(retryAfter, 5) * 1000);
    }
  };
  await Promise.all(Array.from({ length: Math.min(POSTS_IN_FLIGHT, requests) }, async () => {
    while (next < requests) await send(next++);
  }));
  return { seconds: (performance.now() - started) / 1000, repeated };
}

/** When each state of the parent was first entered and last exited, from its history. */
async function stateTimes(sfn: SFNClient, executionArn: string): Promise<Map<string, { entered: number; exited: number }>> {
  const times = new Map<string, { entered: number; exited: number }>();
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, includeExecutionData: false, nextToken }));
    for (const event of page.events ?? []) {
      const at = event.timestamp?.getTime() ?? NaN;
      const entered = event.stateEnteredEventDetails?.name;
      const exited = event.stateExitedEventDetails?.name;
      if (entered !== undefined && !times.has(entered)) times.set(entered, { entered: at, exited: NaN });
      if (exited !== undefined && times.has(exited)) times.get(exited)!.exited = at;
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return times;
}

/** Seconds from `from` entered to `to` exited; the row fails when the run never passed them. */
function span(times: Map<string, { entered: number; exited: number }>, from: string, to = from): number {
  const seconds = ((times.get(to)?.exited ?? NaN) - (times.get(from)?.entered ?? NaN)) / 1000;
  if (Number.isNaN(seconds)) throw new Error(`the run's history has no ${from} entered → ${to} exited`);
  return seconds;
}

/** Why orders failed: finalize-auction's full list of the run (`runs/.../failed-orders.json`), counted by reason. */
export async function failureReasons(ctx: BenchContext, summary: RunSummary): Promise<Record<string, number>> {
  if (summary.failed === 0) return {};
  const e = ctx.runtime.endpoints;
  const s3 = new S3Client({ ...localClientConfig(e.s3), forcePathStyle: true });
  const key = runFileKey(summary.auction_id, summary.execution_name, 'failed-orders.json');
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: e.bucketName, Key: key }));
    const failed = (JSON.parse(await object.Body!.transformToString()) as FailedOrder[]).filter((o) => o.status === 'failed');
    const reasons: Record<string, number> = {};
    for (const order of failed) reasons[order.reason ?? '(none)'] = (reasons[order.reason ?? '(none)'] ?? 0) + 1;
    return reasons;
  } catch (error) {
    return { [`(s3://${e.bucketName}/${key} not read: ${error instanceof Error ? error.name : String(error)})`]: summary.failed };
  } finally {
    s3.destroy();
  }
}

/** True once the Slack sink got the run's alert (finalize-auction publishes to SNS, the notifier posts). */
async function alertArrived(ctx: BenchContext, auctionId: string): Promise<boolean> {
  const deadline = Date.now() + ALERT_WAIT_MS;
  for (;;) {
    const messages = (await (await fetch(`${ctx.runtime.endpoints.slackSink}/messages`)).json()) as SlackMessage[];
    if (messages.some((m) => m.summary.includes(auctionId))) return true;
    if (Date.now() > deadline) return false;
    await sleep(250);
  }
}

/**
 * One auction's lifecycle: POST the orders, start a run with `{"close": "now"}`, wait for it to end, then
 * read what it did from its history and statistics. The summary must account for every posted order.
 */
async function measure(ctx: BenchContext, sfn: SFNClient, orders: number): Promise<Row> {
  const e = ctx.runtime.endpoints;
  const tag = `b${Date.now().toString(36)}-n${orders}`;
  ctx.progress(`pipeline: posting ${num(orders)} orders`);
  const post = await postOrders(ctx, orders, tag);

  ctx.progress(`pipeline: ${num(orders)} orders posted in ${post.seconds.toFixed(1)}s; running the auction`);
  const name = `bench-${tag}`;
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: e.stateMachineArn, name, input: JSON.stringify({ close: 'now' }) }));
  const arn = String(executionArn);
  const deadline = Date.now() + RUN_DEADLINE_MS;
  let described: DescribeExecutionCommandOutput;
  for (;;) {
    described = await sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
    if (described.status !== 'RUNNING') break;
    if (Date.now() > deadline) throw new Error(`run ${name} still RUNNING after ${RUN_DEADLINE_MS / 60_000} min`);
    await sleep(250);
  }
  if (described.status !== 'SUCCEEDED') throw new Error(`run ${name} of ${num(orders)} orders ${described.status}: ${described.error}: ${String(described.cause).slice(0, 500)}`);
  const runSeconds = (described.stopDate!.getTime() - described.startDate!.getTime()) / 1000;
  const summary = JSON.parse(String(described.output)) as RunSummary;
  const outcomes = summary.accepted + summary.rejected + summary.failed;
  if (summary.total !== orders || outcomes !== orders) {
    throw new Error(`run ${name}: ${num(orders)} orders posted, but the summary counts total ${summary.total}, accepted ${summary.accepted} + rejected ${summary.rejected} + failed ${summary.failed} = ${outcomes}`);
  }

  const times = await stateTimes(sfn, arn);
  const storeState = [...times.keys()].find((state) => state.startsWith('StoreEachResult')) ?? 'StoreEachResult';
  const parent = await statistics(e.stepfunctions, arn);
  const children: LocalStatistics[] = [];
  for (const mapRun of (await sfn.send(new ListMapRunsCommand({ executionArn: arn }))).mapRuns ?? []) {
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new ListExecutionsCommand({ mapRunArn: mapRun.mapRunArn, maxResults: 1000, nextToken }));
      for (const child of page.executions ?? []) children.push(await statistics(e.stepfunctions, String(child.executionArn)));
      nextToken = page.nextToken;
    } while (nextToken);
  }
  const all = [parent, ...children];
  const largest = all.reduce((a, b) => (b.maxStatePayloadBytes > a.maxStatePayloadBytes ? b : a));
  const alerted = await alertArrived(ctx, summary.auction_id);
  const failedReasons = await failureReasons(ctx, summary);
  const row: Row = {
    orders,
    auctionId: summary.auction_id,
    path: children.length ? `distributed, ${num(children.length)} batches` : 'inline Map',
    post,
    closeAndSubmitSeconds: span(times, 'CloseAuction', 'SubmitOrders'),
    settleSeconds: span(times, 'GateSettle'),
    phases: { fetch: span(times, 'FetchResults'), store: span(times, storeState), finalize: span(times, 'FinalizeRun') },
    runSeconds,
    executions: all.length,
    transitions: { parent: parent.stateTransitions, children: children.reduce((s, c) => s + c.stateTransitions, 0) },
    events: { total: all.reduce((s, c) => s + c.historyEventCount, 0), parent: parent.historyEventCount, childMax: Math.max(0, ...children.map((c) => c.historyEventCount)) },
    maxPayload: largest.maxStatePayloadBytes,
    maxPayloadState: largest.maxStatePayloadState ?? '',
    summary,
    failedReasons,
    alerted,
  };
  ctx.progress(`pipeline: ${num(orders)} orders: run ${runSeconds.toFixed(1)}s (${row.path}), close+submit ${row.closeAndSubmitSeconds.toFixed(1)}s; ` +
    `accepted ${summary.accepted}, rejected ${summary.rejected}, failed ${summary.failed}`);
  return row;
}

/**
 * Pipeline rows of `npm run bench`: the lifecycle of one auction of 1k, 10k and 100k orders on the local
 * runtime: POSTed through the API, closed and run with `{"close": "now"}` against the simulated platform
 * (ready at the first poll, 10% rejected, seeded), with what AWS limits per execution: history events
 * (25,000 for a standard execution) and the largest state payload (256 KiB).
 */
export async function section(ctx: BenchContext): Promise<Section> {
  const sfn = new SFNClient(localClientConfig(ctx.runtime.endpoints.stepfunctions));
  const counts = orderCounts();
  const rows: Row[] = [];
  const failures: string[] = [];
  ctx.runtime.setFunctionEnv('auction-platform', PLATFORM_ENV);
  try {
    // Warm-up: the functions' sandboxes start before anything is timed.
    ctx.progress(`pipeline: warming up (${WARM_UP_ORDERS} orders)`);
    await measure(ctx, sfn, WARM_UP_ORDERS);
    for (const orders of counts) {
      try {
        rows.push(await measure(ctx, sfn, orders));
      } catch (error) {
        // The row says what went wrong, and the bench exits 1 after printing the table.
        failures.push(`${num(orders)} orders: ${error instanceof Error ? error.message : String(error)}`);
        ctx.progress(`pipeline: FAILED ${failures[failures.length - 1]}`);
      }
    }
  } finally {
    sfn.destroy();
  }
  const pct = (value: number, limit: number) => `${((value / limit) * 100).toFixed(1)}%`;
  const seconds = (s: number) => `${s.toFixed(1)} s`;
  const maxEvents = (r: Row) => Math.max(r.events.parent, r.events.childMax);
  const failedRows = counts.filter((n) => !rows.some((r) => r.orders === n));
  return {
    title: 'Pipeline',
    columns: ['orders per auction', 'path', 'POST (1000/request)', 'close + submit', 'run wall time', 'orders/s (run)', 'max events/execution', 'largest state payload', 'accepted / rejected / failed'],
    rows: [
      ...rows.map((r) => [
        num(r.orders),
        r.path,
        `${seconds(r.post.seconds)} (${num(r.orders / r.post.seconds)}/s)`,
        seconds(r.closeAndSubmitSeconds),
        seconds(r.runSeconds),
        num(r.orders / r.runSeconds),
        `${num(maxEvents(r))} (${pct(maxEvents(r), HISTORY_LIMIT)})`,
        `${bytes(r.maxPayload)} (${pct(r.maxPayload, PAYLOAD_LIMIT)})`,
        `${num(r.summary.accepted)} / ${num(r.summary.rejected)} / ${num(r.summary.failed)}`,
      ]),
      ...failedRows.map((n) => [num(n), 'FAILED (see below)']),
    ],
    notes: [
      `one auction per row after a ${WARM_UP_ORDERS}-order warm-up: POST /orders in requests of ${ORDERS_PER_REQUEST} (${POSTS_IN_FLIGHT} in flight, the keys of ${Object.keys(ctx.runtime.endpoints.apiKeys).length} customers in turn, new record ids), then StartExecution \`{"close": "now"}\`; simulated platform ready at the first poll, ${REJECTED_SHARE * 100}% rejected per batch, seeded; time scale 0 (GateSettle and poll waits take no time).`,
      '"close + submit" is CloseAuction entered to SubmitOrders exited in the run\'s history (GateSettle included); "run wall time" is the execution\'s startDate to stopDate (the alert is published inside FinalizeRun; Slack delivery is asynchronous). The summary must count every posted order as accepted, rejected or failed, or the row fails.',
      'up to 1,000 results and 100 KiB of JSON the answer travels inline (inline Map, one execution); above either fetch-results writes it to S3 and a Distributed Map runs EXPRESS child executions of 500 results, 20 at a time; each function has at most 4 sandboxes locally.',
      'history events are counted as AWS records them (local/README.md); "max events/execution" is the largest of the parent and each child, against the 25,000 of a standard execution; the payload column is the largest state input or output of any execution, against 256 KiB.',
      ...rows.map((r) =>
        `${num(r.orders)} orders (auction ${r.auctionId}): ${num(r.executions)} execution${r.executions > 1 ? 's' : ''}, ${num(r.events.total)} history events (parent ${num(r.events.parent)}${r.executions > 1 ? `, largest child ${num(r.events.childMax)}` : ''}), ` +
        `${num(r.transitions.parent)} + ${num(r.transitions.children)} state transitions (parent + children); largest payload in ${r.maxPayloadState}; GateSettle ${seconds(r.settleSeconds)}, ` +
        `FetchResults ${seconds(r.phases.fetch)}, results Map ${seconds(r.phases.store)}, FinalizeRun ${seconds(r.phases.finalize)}; ` +
        `${r.summary.failed ? `failed orders by reason: ${Object.entries(r.failedReasons).map(([k, v]) => `${k} ${num(v)}`).join(', ')}; ` : ''}` +
        `${r.post.repeated} POST${r.post.repeated === 1 ? '' : 's'} repeated; alert ${r.alerted ? 'in the Slack sink' : `NOT in the Slack sink after ${ALERT_WAIT_MS / 1000} s`}.`),
      ...failures.map((f) => `FAILED ${f}`),
    ],
    failures,
  };
}
