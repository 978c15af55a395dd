/**
 * `npm run bench:load`: bounded load on POST /orders with autocannon, then proof that nothing was lost:
 * the table is scanned and its ids compared with the ids of every 201 answer.
 * Flags: --connections <n> (20), --duration <s> (20), --orders <per request> (25), --assembly <cdk.out dir>,
 * --endpoints <endpoints.json> to load an already running `npm start` instead of starting one in memory.
 * Exit code 1 when an acknowledged order is missing or anything else was stored.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';
import { localClientConfig } from '../local/core/aws-clients';
import { type Endpoints, startRuntime } from '../local/runtime';
import { ensureAssembly } from '../local/core/synth';
import { ordersBody, postOrdersLoad } from './http-load';
import { ms, num } from './table';

function flag(name: string, fallback: number): number;
function flag(name: string): string | undefined;
function flag(name: string, fallback?: number): number | string | undefined {
  const i = process.argv.indexOf(name);
  const raw = i >= 0 ? process.argv[i + 1] : undefined;
  if (fallback === undefined) return raw;
  const n = raw === undefined ? fallback : Number(raw);
  if (!(n > 0) || !Number.isInteger(n)) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return n;
}

/** Ids in the table that start with `prefix`, read with a paginated Scan of the key only. */
async function storedIds(endpoints: Endpoints, prefix: string): Promise<Set<string>> {
  const client = new DynamoDBClient(localClientConfig(endpoints.dynamodb));
  const ids = new Set<string>();
  for await (const page of paginateScan({ client }, { TableName: endpoints.tableName, ProjectionExpression: 'record_id' })) {
    for (const item of page.Items ?? []) {
      const id = item.record_id?.S;
      if (id?.startsWith(prefix)) ids.add(id);
    }
  }
  client.destroy();
  return ids;
}

async function main(): Promise<void> {
  const connections = flag('--connections', 20);
  const duration = flag('--duration', 20);
  const orders = flag('--orders', 25);
  const root = resolve(__dirname, '..');
  const endpointsFile = flag('--endpoints');
  let stop = async () => {};
  let endpoints: Endpoints;
  if (endpointsFile) {
    endpoints = JSON.parse(readFileSync(endpointsFile, 'utf8')) as Endpoints;
  } else {
    const assembly = flag('--assembly');
    const cdkOut = resolve(root, assembly ?? 'cdk.out');
    if (!assembly) ensureAssembly(root, cdkOut, (m) => console.error(`[load] ${m}`));
    const runtime = await startRuntime({ cdkOut, port: 0, inMemory: true, timeScale: 0, quiet: true, functionLogs: false, dataDir: join(root, '.local', 'bench') });
    endpoints = runtime.endpoints;
    stop = () => runtime.stop();
  }
  try {
    // A prefix per run keeps the comparison exact on a table that already holds other orders.
    const prefix = `load-${Date.now().toString(36)}`;
    console.error(`[load] ${connections} connections for ${duration}s, ${orders} orders per request, against ${endpoints.api}`);
    const r = await postOrdersLoad({ url: endpoints.api, apiKey: endpoints.apiKey, ordersPerRequest: orders, connections, durationSeconds: duration, idPrefix: prefix, trackAcknowledged: true });
    // autocannon drops the requests in flight when the clock stops; the server may have stored them. A client
    // would repeat a request it got no answer to, and a repeat is an idempotent upsert: do exactly that.
    let repeated = 0;
    for (const key of r.unanswered) {
      const { body, ids } = ordersBody(key, orders);
      const answer = await fetch(`${endpoints.api}/orders`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': endpoints.apiKey }, body });
      await answer.arrayBuffer();
      if (answer.status === 201) {
        repeated++;
        for (const id of ids) r.acknowledged.add(id);
      }
    }
    const stored = await storedIds(endpoints, prefix);
    const missing = [...r.acknowledged].filter((id) => !stored.has(id));
    const extra = [...stored].filter((id) => !r.acknowledged.has(id));
    const raw = r.raw;
    const lines = [
      `Load test: ${connections} connections, ${duration}s, ${orders} orders/request (${new Date().toISOString().slice(0, 16)} UTC, Node ${process.version})`,
      `  requests/s      ${num(raw.requests.average)} (${num(raw['2xx'])} answered 201 in ${raw.duration}s)`,
      `  orders/s        ${num(r.ordersPerSecond)}`,
      `  latency         p50 ${ms(raw.latency.p50)}, p99 ${ms(raw.latency.p99)}, max ${ms(raw.latency.max)}`,
      `  errors          ${raw.errors} connection errors, ${raw.timeouts} timeouts, ${raw.non2xx} non-2xx${Object.keys(r.otherStatuses).length ? ` ${JSON.stringify(r.otherStatuses)}` : ''}`,
      `  acknowledged    ${num(r.acknowledged.size)} orders (${repeated} of ${r.unanswered.length} request(s) cut off by the end of the run repeated and answered 201)`,
      `  stored          ${num(stored.size)} orders with this run's prefix`,
      `  missing         ${missing.length} acknowledged but not stored`,
      `  extra           ${extra.length} stored without a 201`,
    ];
    const ok = missing.length === 0 && extra.length === 0;
    lines.push(`  result          ${ok ? 'PASS: the stored ids equal the acknowledged ids' : 'FAIL'}`);
    console.log(lines.join('\n'));
    if (!ok) process.exitCode = 1;
  } finally {
    await stop();
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
