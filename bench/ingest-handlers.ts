import { type ChildProcess, fork, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildSync, type Plugin } from 'esbuild';
import { readFunctions } from '../local/lambda/functions';
import { bundleLikeAppFunction } from './bundle';
import type { HandlerVariant, LoadMessage, RunMessage, RunResult, Variant } from './ingest-invoker';
import type { BenchContext, Section } from './section';
import { bytes, median, ms, num, percentile } from './table';

export interface HandlerRowsOptions {
  readonly sizes: readonly number[];
  /** Rounds of alternating variants; more rounds, steadier ratios. */
  readonly rounds: number;
  /** Orders each variant sends per round and size (at least one request). */
  readonly ordersPerRound: number;
  /** Write V8 CPU profiles of the invoking processes into this directory (node --cpu-prof). */
  readonly cpuProfileDir?: string;
  /** Only these variants (profiling one handler). @default all */
  readonly variants?: readonly Variant[];
  /** All variants in one process instead of one process each (see the note on async hooks). */
  readonly oneProcess?: boolean;
  /** Add post-orders rebuilt with unconditional BatchWriteItem writes (bench/what-if-batch-store.ts). */
  readonly whatIf?: boolean;
  /** Trace as in AWS (Powertools Tracer on, segments sent to a UDP sink here) instead of as locally (off). */
  readonly tracing?: boolean;
  /** Fresh processes per handler for the cold-start rows; 0 leaves them out. */
  readonly coldStarts: number;
}

const ROOT = resolve(__dirname, '..');
const OUT = join(ROOT, '.local', 'bench', 'ingest');
const WARMUP_REQUESTS = 3;
const LABELS: Record<Variant, string> = {
  minimal: 'minimal handler',
  'post-orders': 'post-orders',
  raw: 'raw BatchWriteItem (SDK only)',
  'what-if': 'what-if: post-orders with BatchWriteItem',
};

/** Swaps the order store for the what-if one everywhere but inside the what-if module itself. */
const whatIfStore: Plugin = {
  name: 'what-if-batch-store',
  setup(build) {
    build.onResolve({ filter: /\/adapters\/dynamodb-order-store$/ }, (args) =>
      args.importer.endsWith('what-if-batch-store.ts') ? undefined : { path: join(__dirname, 'what-if-batch-store.ts') });
  },
};

/** Bundles the handlers like AppFunction does and the invoker as plain CommonJS for `node`. */
export async function bundleHandlers(): Promise<Record<HandlerVariant, string> & { invoker: string }> {
  const postOrders = join(ROOT, 'src', 'handlers', 'post-orders.ts');
  const [minimal, post, whatIf] = await Promise.all([
    bundleLikeAppFunction(join(__dirname, 'minimal-handler.ts'), join(OUT, 'minimal')),
    bundleLikeAppFunction(postOrders, join(OUT, 'post-orders')),
    bundleLikeAppFunction(postOrders, join(OUT, 'what-if'), [whatIfStore]),
  ]);
  const invoker = join(OUT, 'invoker.js');
  buildSync({ entryPoints: [join(__dirname, 'ingest-invoker.ts')], bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile: invoker, logLevel: 'silent' });
  return { minimal: minimal.file, 'post-orders': post.file, 'what-if': whatIf.file, invoker };
}

/**
 * Runs in a fresh `node`: require() of the bundle (the init phase of a cold start), then its first invocation
 * with one order (where lazy work lands: the SDK's first call, connections, compiled validators).
 */
const COLD_PROBE = `
const t0 = process.hrtime.bigint();
const { handler } = require(process.argv[1]);
const t1 = process.hrtime.bigint();
const id = 'cold-' + process.pid + '-' + Date.now();
const event = { httpMethod: 'POST', path: '/orders', headers: { 'Content-Type': 'application/json' }, multiValueHeaders: {}, isBase64Encoded: false,
  requestContext: { requestId: id, identity: { apiKeyId: process.argv[2] } }, body: JSON.stringify([{ record_id: id, parameter_1: 'abc', parameter_2: 2.1 }]) };
const context = { functionName: 'probe', awsRequestId: id, memoryLimitInMB: '512', getRemainingTimeInMillis: () => 29000 };
handler(event, context).then((answer) => {
  const t2 = process.hrtime.bigint();
  if (answer.statusCode !== 201) { console.error('first invocation answered ' + answer.statusCode + ' ' + answer.body); process.exit(2); }
  // Kept-alive sockets would hold the process open.
  process.stderr.write(JSON.stringify({ initMs: Number(t1 - t0) / 1e6, firstMs: Number(t2 - t1) / 1e6 }) + '\\n', () => process.exit(0));
});
`;

/** One fresh process; asynchronous, because dynalite answers its calls from this very process. */
function coldStart(env: Record<string, string>, file: string, customer: string): Promise<{ initMs: number; firstMs: number }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['-e', COLD_PROBE, file, customer], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill(), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const line = stderr.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`cold start probe of ${file} failed (exit ${code}): ${stderr}`));
      else resolvePromise(JSON.parse(line) as { initMs: number; firstMs: number });
    });
  });
}

/** Median init and first-invocation times of `runs` fresh processes, in post-orders' environment. */
async function coldStarts(env: Record<string, string>, file: string, customer: string, runs: number): Promise<{ initMs: number; firstMs: number }> {
  const samples: Array<{ initMs: number; firstMs: number }> = [];
  for (let i = 0; i < runs; i++) samples.push(await coldStart(env, file, customer));
  return { initMs: median(samples.map((x) => x.initMs)), firstMs: median(samples.map((x) => x.firstMs)) };
}

/** One invoker process and a way to ask it something and wait for the answer. */
class Invoker {
  private pending: { resolve: (value: unknown) => void; reject: (error: Error) => void } | undefined;

  constructor(private readonly child: ChildProcess) {
    child.on('message', (message: { ok: boolean; result?: unknown; error?: string }) => {
      const pending = this.pending;
      this.pending = undefined;
      if (message.ok) pending?.resolve(message.result);
      else pending?.reject(new Error(`ingest invoker failed: ${message.error}`));
    });
    child.once('exit', (code) => this.pending?.reject(new Error(`ingest invoker exited with ${code}`)));
  }

  ask<T>(message: LoadMessage | RunMessage): Promise<T> {
    return new Promise<T>((resolvePromise, reject) => {
      this.pending = { resolve: resolvePromise as (value: unknown) => void, reject };
      this.child.send(message);
    });
  }

  stop(): Promise<void> {
    return new Promise((resolvePromise) => {
      this.child.once('exit', () => resolvePromise());
      this.child.send({ type: 'exit' });
    });
  }
}

/** post-orders' environment from the template (resolved to the runtime's endpoints); nothing from this shell. */
function postOrdersEnv(ctx: BenchContext): Record<string, string> {
  const e = ctx.runtime.endpoints;
  const spec = readFunctions(ctx.stack, ctx.resolver, { dynamodb: e.dynamodb, s3: e.s3, secretsmanager: e.secretsmanager, stepfunctions: e.stepfunctions, sns: e.sns }, join(OUT, 'inline'))
    .find((f) => f.label === 'post-orders');
  if (!spec) throw new Error('The stack has no post-orders function');
  return { ...spec.env, PATH: process.env.PATH ?? '' };
}

function startInvoker(env: Record<string, string>, file: string, cpuProfileDir: string | undefined): Invoker {
  return new Invoker(fork(file, [], {
    env,
    execArgv: cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] : [],
    // The functions' log lines go to stdout as in Lambda; here nobody reads them.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  }));
}

interface Totals {
  orders: number;
  elapsedMs: number;
  /** CPU of the invoking process plus this one's (dynalite runs here) during the variant's requests. */
  cpuMs: number;
  latenciesMs: number[];
  failures: number;
  firstFailure?: string;
}

/**
 * post-orders beside a minimal handler of our own (bench/minimal-handler.ts) and the raw BatchWriteItem
 * ceiling: both handlers bundled like AppFunction, loaded once and invoked warm, one request at a time,
 * against the runtime's dynalite, in rounds that alternate the variants so that the shared CPU's ups and
 * downs fall on all of them alike.
 */
export async function handlerRows(ctx: BenchContext, options: HandlerRowsOptions): Promise<Section[]> {
  ctx.progress('ingest handlers: bundling');
  const bundles = await bundleHandlers();
  const variants = options.variants ?? ['minimal', 'post-orders', 'raw', ...(options.whatIf ? ['what-if' as const] : [])];
  const groups = options.oneProcess ? [variants] : variants.map((v) => [v]);
  const invokers = new Map<Variant, Invoker>();
  const idPrefix = `bench-h-${Date.now().toString(36)}`;
  const env = postOrdersEnv(ctx);
  // Stands in for the X-Ray daemon: counts the segment documents the handlers send.
  const xray = { datagrams: 0, bytes: 0 };
  const daemon = options.tracing ? createSocket('udp4').on('message', (m) => { xray.datagrams++; xray.bytes += m.length; }) : undefined;
  const xrayDaemon = daemon ? await new Promise<string>((ok) => daemon.bind(0, '127.0.0.1', () => ok(`127.0.0.1:${daemon.address().port}`))) : undefined;
  for (const group of groups) {
    const invoker = startInvoker(env, bundles.invoker, options.cpuProfileDir);
    await invoker.ask({ type: 'load', bundles, variants: group, customers: Object.keys(ctx.runtime.endpoints.apiKeys), tableName: ctx.runtime.endpoints.tableName, idPrefix: `${idPrefix}-${group.join('-')}`, xrayDaemon });
    for (const v of group) invokers.set(v, invoker);
  }

  const totals = new Map<string, Totals>();
  try {
    for (const size of options.sizes) {
      const requests = Math.max(1, Math.round(options.ordersPerRound / size));
      ctx.progress(`ingest handlers: ${size} orders/request, ${options.rounds} rounds of ${requests} request(s) per variant`);
      for (const v of variants) await invokers.get(v)!.ask<RunResult>({ type: 'run', variant: v, size, requests: WARMUP_REQUESTS });
      for (let round = 0; round < options.rounds; round++) {
        // Rotating the order keeps any drift of the machine from favouring one variant.
        for (let i = 0; i < variants.length; i++) {
          const v = variants[(i + round) % variants.length];
          const cpu = process.cpuUsage();
          const r = await invokers.get(v)!.ask<RunResult>({ type: 'run', variant: v, size, requests });
          const here = process.cpuUsage(cpu);
          const t = totals.get(`${v}/${size}`) ?? { orders: 0, elapsedMs: 0, cpuMs: 0, latenciesMs: [], failures: 0 };
          t.orders += r.orders;
          t.elapsedMs += r.elapsedMs;
          t.cpuMs += r.cpuMs + (here.user + here.system) / 1000;
          t.latenciesMs.push(...r.latenciesMs);
          t.failures += r.failures;
          t.firstFailure ??= r.firstFailure;
          totals.set(`${v}/${size}`, t);
        }
      }
    }
  } finally {
    await Promise.all([...new Set(invokers.values())].map((i) => i.stop()));
    daemon?.close();
  }

  const rate = (t: Totals | undefined) => (t && t.elapsedMs > 0 ? t.orders / (t.elapsedMs / 1000) : NaN);
  const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}x` : '');
  const rows: string[][] = [];
  const failures: string[] = [];
  for (const size of options.sizes) {
    const of = (v: Variant) => totals.get(`${v}/${size}`);
    for (const v of variants) {
      const t = of(v)!;
      if (t.failures > 0) failures.push(`${LABELS[v]} at ${size}/request: ${t.failures} of ${t.latenciesMs.length} requests failed, first: ${t.firstFailure}`);
      rows.push([
        `${LABELS[v]}, ${size}/request`,
        num(rate(t)),
        ms(percentile(t.latenciesMs, 50)),
        ms(percentile(t.latenciesMs, 99)),
        t.orders > 0 ? `${((t.cpuMs / t.orders) * 1000).toFixed(0)} µs` : '-',
        num(t.latenciesMs.length),
        num(t.failures),
        v === 'post-orders' || v === 'what-if' ? ratio(rate(t), rate(of('minimal'))) : '',
        v === 'post-orders' || v === 'what-if' ? ratio(rate(t), rate(of('raw'))) : '',
      ]);
    }
  }
  const handlers = variants.filter((v): v is HandlerVariant => v !== 'raw');
  const coldRows: string[][] = [];
  if (options.coldStarts > 0) {
    ctx.progress(`ingest handlers: ${options.coldStarts} cold starts each`);
    for (const v of handlers) {
      const code = readFileSync(bundles[v]);
      const cold = await coldStarts(env, bundles[v], Object.keys(ctx.runtime.endpoints.apiKeys)[0], options.coldStarts);
      coldRows.push([LABELS[v], bytes(code.length), bytes(gzipSync(code).length), bytes(statSync(`${bundles[v]}.map`).size), ms(cold.initMs), ms(cold.firstMs)]);
    }
  }
  const cold: Section = {
    title: 'Cold start',
    columns: ['handler', 'index.js', 'gzip', 'source map', 'init (median)', 'first call (median)'],
    rows: coldRows,
    notes: [`medians of ${options.coldStarts} fresh \`node\` processes with post-orders' environment (NODE_OPTIONS=--enable-source-maps included): require() of the bundle (init), then its first invocation with one order (first call: the SDK's first request, connections, lazily compiled validators).`],
  };
  const warm: Section = {
    title: 'Ingest, handlers invoked directly',
    columns: ['handler, orders/request', 'orders/s', 'p50', 'p99', 'CPU/order', 'requests', 'non-201', 'post-orders/minimal', 'post-orders/raw'],
    rows,
    notes: [
      `both handlers bundled like AppFunction (bench/bundle.ts) and loaded once (warm) in a \`node\` process with post-orders' environment from the template, ${options.oneProcess ? 'all variants in one process' : 'one process per variant, so that one bundle\'s module-level side effects (aws-xray-sdk-core enables async hooks for every promise of the process) do not slow the others'}; invoked one request at a time against the runtime's DynamoDB endpoint (dynalite behind the runtime's IAM front door, both in the bench's own process); ${options.rounds} rounds alternate the variants, ${num(options.ordersPerRound)} orders per variant, size and round, after ${WARMUP_REQUESTS} untimed requests each; new record ids in every request. Latency is per invocation; CPU/order counts the invoking process and dynalite's.`,
      options.tracing
        ? `traced as in AWS (--tracing): Powertools Tracer and the X-Ray SDK on, a sampled trace header per invocation; the handlers sent ${num(xray.datagrams)} segment documents (${bytes(xray.bytes)}) to a stand-in daemon.`
        : 'traced as locally: Powertools Tracer switches itself off outside Lambda, though aws-xray-sdk-core still installs its async hooks (--tracing traces as in AWS).',
      'minimal handler (bench/minimal-handler.ts): JSON.parse, stamp ttl, BatchWriteItem in chunks of 25, all chunks at once; raw: the same BatchWriteItem calls from items marshalled before the clock starts.',
      ...(variants.includes('what-if') ? ['what-if (not the product, bench/what-if-batch-store.ts): post-orders with its conditional PutItems replaced by unconditional BatchWriteItem calls of 25, i.e. what the rest of post-orders costs once writes are batched.'] : []),
    ],
    failures,
  };
  return coldRows.length > 0 ? [warm, cold] : [warm];
}
