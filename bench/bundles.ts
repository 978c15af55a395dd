import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildSync } from 'esbuild';
import { readFunctions } from '../local/lambda/functions';
import type { FunctionSpec } from '../local/lambda/runner';
import { appFunctionBuildOptions } from './bundle';
import type { BenchContext, Section } from './section';
import { bytes, median, ms } from './table';

/** Runs in a fresh node process: how long `require()` of the bundle takes, i.e. the init phase of a cold start. */
const INIT_PROBE = `
const t0 = process.hrtime.bigint();
const mod = require(process.argv[1]);
const t1 = process.hrtime.bigint();
const name = process.argv[2];
if (typeof mod[name] !== 'function') { console.error('no exported ' + name); process.exit(2); }
process.stdout.write(String(Number(t1 - t0) / 1e6));
`;

function initTimeMs(spec: FunctionSpec, file: string): number {
  const exported = spec.handler.split('.').pop() ?? 'handler';
  // Only the template's environment (resolved to local names) and PATH: nothing from this shell leaks in.
  const env = { ...spec.env, PATH: process.env.PATH ?? '' };
  const out = spawnSync(process.execPath, ['-e', INIT_PROBE, file, exported], { env, encoding: 'utf8', timeout: 30_000 });
  if (out.status !== 0) throw new Error(`cold start probe of ${spec.label} failed: ${out.stderr || out.error?.message}`);
  return Number(out.stdout);
}

/**
 * Where a bundle's bytes come from: the handler rebuilt with AppFunction's esbuild settings
 * (bench/bundle.ts) and its metafile summed per npm package.
 */
function largestInputs(entry: string, top: number): string {
  const result = buildSync({ ...appFunctionBuildOptions(entry), sourcemap: false, write: false, metafile: true, outfile: 'out.js' });
  const byPackage = new Map<string, number>();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
      const key = m ? m[1] : 'own code';
      byPackage.set(key, (byPackage.get(key) ?? 0) + input.bytesInOutput);
    }
  }
  const total = [...byPackage.values()].reduce((a, b) => a + b, 0);
  return [...byPackage.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, size]) => `${name} ${Math.round((size / total) * 100)}%`)
    .join(', ');
}

export interface BundleOptions {
  /** Fresh processes per function; the median is reported. */
  readonly runs: number;
}

/** Size and cold-start init time of every function asset in the synthesized Local stage. */
export async function bundlesSection(ctx: BenchContext, options: BundleOptions): Promise<Section> {
  const e = ctx.runtime.endpoints;
  const specs = readFunctions(ctx.stack, ctx.resolver, { dynamodb: e.dynamodb, s3: e.s3, secretsmanager: e.secretsmanager, stepfunctions: e.stepfunctions, sns: e.secretsmanager }, join(resolve(__dirname, '..'), '.local', 'bench', 'inline'));
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const spec of specs) {
    const file = join(spec.taskRoot, `${spec.handler.split('.').slice(0, -1).join('.') || 'index'}.js`);
    const code = readFileSync(file);
    const map = `${file}.map`;
    ctx.progress(`bundles: ${spec.label} (${options.runs} cold starts)`);
    const inits = Array.from({ length: options.runs }, () => initTimeMs(spec, file));
    rows.push([
      spec.label,
      bytes(code.length),
      bytes(gzipSync(code).length),
      existsSync(map) ? bytes(statSync(map).size) : '-',
      `${spec.memoryMb} MB`,
      ms(median(inits)),
      `${ms(Math.min(...inits))}–${ms(Math.max(...inits))}`,
    ]);
    const entry = resolve(__dirname, '..', 'src', 'handlers', `${spec.label}.ts`);
    if (existsSync(entry)) notes.push(`${spec.label} bytes by package: ${largestInputs(entry, 4)}.`);
  }
  return {
    title: 'Bundles',
    columns: ['function', 'index.js', 'gzip', 'source map', 'memory', 'init (median)', `range of ${options.runs}`],
    rows,
    notes: [
      `init = time to require() the asset's index.js in a fresh \`node\` (${process.version}) with the template's environment (NODE_OPTIONS=--enable-source-maps included), median of ${options.runs}; Lambda adds its own sandbox start and runs Node 22 on arm64.`,
      ...notes,
    ],
  };
}
