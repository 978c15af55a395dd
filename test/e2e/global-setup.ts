import { join } from 'node:path';
import { ensureAssembly } from '../../local/synth';
import { E2E_ASSEMBLY, ROOT } from './paths';

/** Synthesizes the app once for all e2e files (reused while newer than infra/ and src/). */
export default function globalSetup(): void {
  // A private output directory: a `cdk synth` run by someone else in the same checkout cannot swap files underneath the tests.
  ensureAssembly(ROOT, join(ROOT, E2E_ASSEMBLY), (message) => console.log(`[e2e] ${message}`));
}
