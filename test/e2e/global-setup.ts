import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '@jest/types';
import { ensureAssembly } from '../../local/core/synth';
import { E2E_ASSEMBLY, ROOT } from './paths';

/** `local-*.test.ts` files run small fixture assemblies under test/fixtures/local/, never the app. */
const FIXTURE_ONLY = /^local-.*\.test\.ts$/;

/** True when the run selects only fixture-only files (e.g. `jest --selectProjects e2e test/e2e/local-`). */
function fixturesOnly(pattern: string): boolean {
  if (!pattern) return false;
  const regex = new RegExp(pattern, 'i');
  const selected = readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.ts'))
    .filter((f) => regex.test(join(__dirname, f)));
  return selected.length > 0 && selected.every((f) => FIXTURE_ONLY.test(f));
}

/** Synthesizes the app once for all e2e files (reused while newer than infra/ and src/). */
export default function globalSetup(globalConfig?: Config.GlobalConfig): void {
  // The fixture tests of the local runtime need no synth, so they run even while the app does not synthesize.
  if (fixturesOnly(globalConfig?.testPathPattern ?? '')) {
    console.log('[e2e] only local-* fixture tests selected: not synthesizing the app');
    return;
  }
  // A private output directory: a `cdk synth` run by someone else in the same checkout cannot swap files underneath the tests.
  ensureAssembly(ROOT, join(ROOT, E2E_ASSEMBLY), (message) => console.log(`[e2e] ${message}`));
}
