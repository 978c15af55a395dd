/**
 * `npm run bench`: one table of measured numbers for this machine. Starts its own in-memory local runtimes
 * on free ports (one for ingest, one for the rest), with three customers besides the default one, measures,
 * stops them. Flags: --seconds <n> per API ingest row (default 8), --concurrency <n> (default 8),
 * --rounds <n> of the handler rows (default 6), --orders-per-round <n> (default 1000), --only <ingest,handlers,pipeline,bundles,cost> (handlers: the
 * in-process ingest rows alone), --quick (few requests per row, for a smoke test), --cpu-prof <dir> (a V8
 * profile of the processes invoking the handlers), --variants <minimal,post-orders,raw> (handler rows to run),
 * --one-process (all handler rows in one process instead of one each), --what-if (adds post-orders rebuilt
 * with unconditional BatchWriteItem writes, a measurement aid, never shipped), --tracing (handler rows traced as
 * in AWS, with segments sent to a stand-in X-Ray daemon), --sizes <n,n,...> (orders per request of
 * the handler rows, default 1,25,500,1000),
 * --assembly <cdk.out dir> (skip synth),
 * --pipeline-orders <n,n,...>.
 * Progress goes to stderr; stdout is the table alone, ready to paste into SOLUTION.md. A failed check (a run
 * whose summary does not account for its orders) is named on stderr after the table, and the exit code is 1.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { loadStack } from '../local/core/assembly';
import { Resolver } from '../local/core/cfn-resolver';
import { startRuntime } from '../local/runtime';
import { ensureAssembly } from '../local/core/synth';
import { bundlesSection } from './bundles';
import { costSection } from './cost';
import { ingestSection } from './ingest';
import { handlerRows } from './ingest-handlers';
import type { Variant } from './ingest-invoker';
import type { BenchContext, Section, SectionModule } from './section';
import { renderTable } from './table';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function positive(name: string, fallback: number): number {
  const raw = flag(name);
  const n = raw === undefined ? fallback : Number(raw);
  if (!(n > 0)) throw new Error(`${name} must be a positive number, got ${raw}`);
  return n;
}

/**
 * Extension point: the pipeline wall-time section (1k/10k/100k orders through the results state machine)
 * lives in its own module, bench/pipeline.ts, exporting `section(ctx)` (see SectionModule). While that file
 * does not exist the table has no pipeline rows and says so below it.
 */
const PIPELINE_MODULE = join(__dirname, 'pipeline.ts');

/** Customers besides the default one (LOCAL_API_KEY); the benchmarks send their orders in turn. */
const BENCH_CUSTOMERS = ['alpha', 'beta', 'gamma'];

/** Orders per request of the handler rows (post-orders beside the minimal handler and raw BatchWriteItem). */
const HANDLER_SIZES = [1, 25, 500, 1000];

/** `handlers` is the in-process half of `ingest` (no API rows). */
const SECTIONS = ['ingest', 'handlers', 'pipeline', 'bundles', 'cost'];

async function main(): Promise<void> {
  const progress = (m: string) => process.stderr.write(`[bench] ${m}\n`);
  const only = new Set((flag('--only') ?? 'ingest,pipeline,bundles,cost').split(','));
  const unknown = [...only].filter((s) => !SECTIONS.includes(s));
  if (unknown.length > 0) throw new Error(`--only takes ${SECTIONS.join(', ')}; got ${unknown.join(', ')}`);
  // A smoke run: every row, few requests each. Its numbers are not worth comparing.
  const quick = process.argv.includes('--quick');
  const root = resolve(__dirname, '..');
  const assembly = flag('--assembly');
  const cdkOut = resolve(root, assembly ?? 'cdk.out');
  if (!assembly) ensureAssembly(root, cdkOut, progress);

  const stack = loadStack(cdkOut, 'Local');
  const resolver = new Resolver(stack);
  // Every run is a few customers (LOCAL_API_KEYS), so orders and results are spread over them as in use.
  const apiKeys = Object.fromEntries(BENCH_CUSTOMERS.map((name) => [name, `bench-${name}-${randomBytes(9).toString('base64url')}`]));
  const load = [loadavg()[0]];
  const sections: Section[] = [];
  const footer: string[] = [];
  const failures: string[] = [];
  /**
   * Each group of sections gets its own in-memory runtime: the pipeline rows then see only their own orders
   * (ingest leaves ~100k orders in the open auction) and the auctions the rows close early.
   */
  const withRuntime = async (sectionsOf: (ctx: BenchContext) => Promise<void>) => {
    progress('starting the local runtime (in memory, free ports)');
    const runtime = await startRuntime({ cdkOut, port: 0, inMemory: true, timeScale: 0, quiet: true, functionLogs: false, dataDir: join(root, '.local', 'bench'), apiKeys });
    try {
      await sectionsOf({ runtime, stack, resolver, progress });
    } finally {
      progress('stopping the local runtime');
      await runtime.stop();
      load.push(loadavg()[0]);
    }
  };
  const add = (section: Section) => {
    sections.push(section);
    failures.push(...(section.failures ?? []).map((f) => `${section.title}: ${f}`));
  };

  if (only.has('ingest') || only.has('handlers')) {
    await withRuntime(async (ctx) => {
      (await handlerRows(ctx, {
        sizes: flag('--sizes')?.split(',').map(Number) ?? HANDLER_SIZES,
        rounds: quick ? 2 : positive('--rounds', 6),
        ordersPerRound: quick ? 100 : positive('--orders-per-round', 1000),
        cpuProfileDir: flag('--cpu-prof'),
        variants: flag('--variants')?.split(',') as Variant[] | undefined,
        oneProcess: process.argv.includes('--one-process'),
        whatIf: process.argv.includes('--what-if'),
        coldStarts: quick ? 1 : 5,
        tracing: process.argv.includes('--tracing'),
      })).forEach(add);
      if (only.has('ingest')) {
        add(await ingestSection(ctx, { concurrency: positive('--concurrency', 8), secondsPerCase: quick ? 1 : positive('--seconds', 8), orderSizes: [1, 25, 1000] }));
      }
    });
  }
  if (['pipeline', 'bundles', 'cost'].some((s) => only.has(s))) {
    await withRuntime(async (ctx) => {
      if (only.has('pipeline')) {
        if (existsSync(PIPELINE_MODULE)) {
          const mod = (await import(PIPELINE_MODULE)) as SectionModule;
          add(await mod.section(ctx));
        } else {
          footer.push('Pipeline wall time (1k/10k/100k orders) is not in this table yet: bench/pipeline.ts does not exist.');
        }
      }
      if (only.has('bundles')) add(await bundlesSection(ctx, { runs: 5 }));
      if (only.has('cost')) add(costSection(ctx));
    });
  }

  const cpu = cpus();
  const heading = [
    `Benchmarks, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ` +
      `${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${process.platform}/${process.arch}; stack ${stack.stackName}; ` +
      `load average ${load.map((l) => l.toFixed(1)).join(' → ')} (start → after each runtime).`,
  ].join('\n');
  console.log(renderTable(heading, sections));
  for (const line of footer) console.log(`\nNote: ${line}`);
  if (failures.length > 0) {
    for (const f of failures) console.error(`[bench] FAILED: ${f}`);
    throw new Error(`${failures.length} benchmark check(s) failed (see above); the table shows what was measured`);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
