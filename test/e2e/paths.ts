import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
/** Cloud assembly the e2e tests run, relative to the repository root (git-ignored). */
export const E2E_ASSEMBLY = process.env.E2E_CDK_OUT ?? '.local/e2e/cdk.out';
