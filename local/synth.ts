import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

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

/** True when cdk.out/manifest.json is newer than every file under infra/, src/ and cdk.json. */
export function assemblyIsFresh(root: string, cdkOut: string): boolean {
  const manifest = join(cdkOut, 'manifest.json');
  if (!existsSync(manifest)) return false;
  const sources = Math.max(...SOURCES.map((s) => newestMtime(join(root, s))));
  return statSync(manifest).mtimeMs >= sources;
}

/** Runs `cdk synth --quiet` unless the assembly is up to date; fails with cdk's own output. */
export function ensureAssembly(root: string, cdkOut: string, log: (message: string) => void): void {
  if (assemblyIsFresh(root, cdkOut)) {
    log(`reusing ${cdkOut} (newer than infra/ and src/)`);
    return;
  }
  log('synthesizing the cloud assembly (npx cdk synth --quiet)...');
  const started = Date.now();
  // Bundling chatter is kept back and shown only when synth fails.
  const result = spawnSync('npx', ['cdk', 'synth', '--quiet', '--output', cdkOut], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    process.stderr.write(`${result.stdout ?? ''}${result.stderr ?? ''}`);
    throw new Error(`cdk synth failed (exit ${result.status ?? result.signal})${result.error ? `: ${result.error.message}` : ''}`);
  }
  log(`synthesized in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}
