import { DescribeExecutionCommand, ListExecutionsCommand, ListMapRunsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { localClientConfig } from '../local/aws-clients';
import type { BenchContext, Section } from './section';
import { bytes, num } from './table';

/** Order counts per row; `--pipeline-orders 1000,10000` overrides (e.g. to skip the 100k row). */
const DEFAULT_ORDERS = [1_000, 10_000, 100_000];
const REJECTED_SHARE = 0.1;
const HISTORY_LIMIT = 25_000;
const PAYLOAD_LIMIT = 256 * 1024;

/** The runtime's measurements per execution (an extra DescribeExecution field the SDK drops, so read raw). */
interface LocalStatistics {
  historyEventCount: number;
  stateTransitions: number;
  maxStatePayloadBytes: number;
  maxStatePayloadState?: string;
}

interface Row {
  orders: number;
  path: string;
  seconds: number;
  executions: number;
  transitions: { parent: number; children: number };
  events: { total: number; parent: number; childMax: number };
  maxPayload: number;
  maxPayloadState: string;
}

function orderCounts(): number[] {
  const i = process.argv.indexOf('--pipeline-orders');
  if (i < 0) return DEFAULT_ORDERS;
  const counts = String(process.argv[i + 1]).split(',').map(Number);
  if (!counts.every((n) => Number.isInteger(n) && n > 0 && n <= 100_000)) throw new Error(`--pipeline-orders takes order counts up to 100000, got ${process.argv[i + 1]}`);
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

/** Starts one seeded run of `orders` orders and waits for it; wall time is StartExecution to the final status. */
async function measure(ctx: BenchContext, sfn: SFNClient, orders: number): Promise<Row> {
  const e = ctx.runtime.endpoints;
  ctx.runtime.setFunctionEnv('fetch-results', {
    AUCTION_READY_PROBABILITY: 1,
    AUCTION_ORDER_COUNT: orders,
    AUCTION_REJECTED_SHARE: REJECTED_SHARE,
    AUCTION_MALFORMED_PROBABILITY: 0,
    AUCTION_SEED: 'bench-pipeline',
  });
  const name = `bench-pipeline-${orders}-${Date.now().toString(36)}`;
  const started = performance.now();
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: e.stateMachineArn, name, input: '{}' }));
  let status = 'RUNNING';
  let detail = '';
  while (status === 'RUNNING') {
    await new Promise((r) => setTimeout(r, 100));
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    status = String(d.status);
    detail = d.status === 'SUCCEEDED' ? String(d.output) : `${d.error}: ${d.cause}`;
  }
  const seconds = (performance.now() - started) / 1000;
  if (status !== 'SUCCEEDED') throw new Error(`pipeline run ${name} ${status}: ${detail}`);

  const parent = await statistics(e.stepfunctions, String(executionArn));
  const children: LocalStatistics[] = [];
  for (const mapRun of (await sfn.send(new ListMapRunsCommand({ executionArn }))).mapRuns ?? []) {
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new ListExecutionsCommand({ mapRunArn: mapRun.mapRunArn, maxResults: 1000, nextToken }));
      for (const child of page.executions ?? []) children.push(await statistics(e.stepfunctions, String(child.executionArn)));
      nextToken = page.nextToken;
    } while (nextToken);
  }
  const all = [parent, ...children];
  const largest = all.reduce((a, b) => (b.maxStatePayloadBytes > a.maxStatePayloadBytes ? b : a));
  const row: Row = {
    orders,
    path: children.length ? `distributed, ${num(children.length)} batches` : 'inline Map',
    seconds,
    executions: all.length,
    transitions: { parent: parent.stateTransitions, children: children.reduce((s, c) => s + c.stateTransitions, 0) },
    events: { total: all.reduce((s, c) => s + c.historyEventCount, 0), parent: parent.historyEventCount, childMax: Math.max(0, ...children.map((c) => c.historyEventCount)) },
    maxPayload: largest.maxStatePayloadBytes,
    maxPayloadState: largest.maxStatePayloadState ?? '',
  };
  ctx.progress(`pipeline: ${num(orders)} orders in ${row.seconds.toFixed(1)}s (${row.path}); ${detail}`);
  return row;
}

/**
 * Pipeline rows of `npm run bench`: seeded runs of 1k, 10k and 100k orders (10% rejected) through the
 * results state machine on the local runtime, with what AWS limits per execution: history events
 * (25,000 for a standard execution) and the largest state payload (256 KiB).
 */
export async function section(ctx: BenchContext): Promise<Section> {
  const sfn = new SFNClient(localClientConfig(ctx.runtime.endpoints.stepfunctions));
  const rows: Row[] = [];
  try {
    // Warm-up: the functions' sandboxes start before anything is timed.
    ctx.progress('pipeline: warming up (100 orders)');
    await measure(ctx, sfn, 100);
    for (const orders of orderCounts()) {
      ctx.progress(`pipeline: ${num(orders)} orders`);
      rows.push(await measure(ctx, sfn, orders));
    }
  } finally {
    sfn.destroy();
  }
  const pct = (value: number, limit: number) => `${((value / limit) * 100).toFixed(1)}%`;
  return {
    title: 'Pipeline',
    columns: ['orders per run', 'path', 'wall time', 'orders/s', 'executions', 'state transitions (parent + children)', 'history events (all)', 'max events/execution', 'largest state payload'],
    rows: rows.map((r) => [
      num(r.orders),
      r.path,
      `${r.seconds.toFixed(1)} s`,
      num(r.orders / r.seconds),
      num(r.executions),
      `${num(r.transitions.parent)} + ${num(r.transitions.children)}`,
      num(r.events.total),
      `${num(Math.max(r.events.parent, r.events.childMax))} (${pct(Math.max(r.events.parent, r.events.childMax), HISTORY_LIMIT)})`,
      `${bytes(r.maxPayload)} (${pct(r.maxPayload, PAYLOAD_LIMIT)})`,
    ]),
    notes: [
      `seeded runs, ${REJECTED_SHARE * 100}% of orders rejected, after a 100-order warm-up; wall time from StartExecution to SUCCEEDED (polled every 100 ms), including the alert.`,
      'up to 1,000 orders the answer travels inline (inline Map, one execution); above it fetch-results hands it over in S3 and a Distributed Map runs EXPRESS child executions of 500 orders, 20 at a time.',
      'history events are counted as AWS records them (local/README.md); "max events/execution" is the largest of the parent and each child, against the 25,000 limit of a standard execution; the payload column is the largest state input or output of any execution, against 256 KiB.',
      ...rows.map((r) => `${num(r.orders)} orders: parent ${num(r.events.parent)} events${r.executions > 1 ? `, largest child ${num(r.events.childMax)}` : ''}; largest payload in state ${r.maxPayloadState}.`),
    ],
  };
}
