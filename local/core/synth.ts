import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { loadStack } from './assembly';

/** Sources whose change makes cdk.out stale. */
const SOURCES = ['infra', 'src', 'cdk.json'];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/**
 * Why `cdkOut` cannot run the stage as it is, or undefined when it can: it must be newer than every file
 * under infra/, src/ and cdk.json, hold the stage, and hold every asset its template points at. `cdk ls`,
 * `cdk diff` or a synth of one stack write an assembly whose assets are not bundled, and that one must
 * not be trusted just because it is new.
 */
export function assemblyProblem(root: string, cdkOut: string, stage = 'Local'): string | undefined {
  const manifest = join(cdkOut, 'manifest.json');
  if (!existsSync(manifest)) return 'no cloud assembly yet';
  const sources = Math.max(...SOURCES.map((s) => newestMtime(join(root, s))));
  if (statSync(manifest).mtimeMs < sources) return 'infra/, src/ or cdk.json changed since the last synth';
  let stack;
  try {
    stack = loadStack(cdkOut, stage);
  } catch (error) {
    return (error as Error).message;
  }
  for (const [id, resource] of Object.entries(stack.template.Resources)) {
    const asset = resource.Metadata?.['aws:asset:path'];
    if (typeof asset !== 'string') continue;
    // A bundled asset is a folder of the assembly (`asset.<hash>`); without bundling the path names the sources.
    if (isAbsolute(asset) || !existsSync(join(stack.directory, asset))) {
      return `the asset of ${id} was not bundled (an assembly written by cdk ls, cdk diff or a one-stack synth)`;
    }
  }
  return undefined;
}

/** True when cdk.out can run the stage as it is (see assemblyProblem). */
export function assemblyIsFresh(root: string, cdkOut: string, stage = 'Local'): boolean {
  return assemblyProblem(root, cdkOut, stage) === undefined;
}

/** Runs `cdk synth --quiet` unless the assembly can run the stage; fails with cdk's own output. */
export function ensureAssembly(root: string, cdkOut: string, log: (message: string) => void, stage = 'Local'): void {
  const problem = assemblyProblem(root, cdkOut, stage);
  if (!problem) {
    log(`reusing ${cdkOut} (newer than infra/ and src/, assets bundled)`);
    return;
  }
  log(`synthesizing the cloud assembly (npx cdk synth --quiet): ${problem}...`);
  const started = Date.now();
  // Bundling chatter is kept back and shown only when synth fails.
  const result = spawnSync('npx', ['cdk', 'synth', '--quiet', '--output', cdkOut], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    process.stderr.write(`${result.stdout ?? ''}${result.stderr ?? ''}`);
    throw new Error(`cdk synth failed (exit ${result.status ?? result.signal})${result.error ? `: ${result.error.message}` : ''}`);
  }
  log(`synthesized in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}
