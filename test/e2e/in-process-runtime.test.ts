// Scenarios: startRuntime() in the test process on free ports; a seeded run succeeds; setFunctionEnv switches the platform to never ready and the next run fails with ResultsNotReady.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { Runtime, startRuntime } from '../../local/runtime';
import { E2E_ASSEMBLY, ROOT } from './paths';
import { waitFor } from './harness';

let runtime: Runtime;
let sfn: SFNClient;
const dataDir = mkdtempSync(join(tmpdir(), 'e2e-inproc-'));

beforeAll(async () => {
  runtime = await startRuntime({
    cdkOut: join(ROOT, E2E_ASSEMBLY),
    port: 0,
    inMemory: true,
    timeScale: 0,
    quiet: true,
    dataDir,
    functionEnv: { 'fetch-results': { AUCTION_READY_PROBABILITY: '1', AUCTION_ORDER_COUNT: '4', AUCTION_SEED: 'in-process' } },
  });
  sfn = new SFNClient({ endpoint: runtime.endpoints.stepfunctions, region: runtime.endpoints.region, credentials: runtime.endpoints.credentials });
});

afterAll(async () => {
  sfn?.destroy();
  await runtime?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function run() {
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: runtime.endpoints.stateMachineArn, input: '{}' }));
  return waitFor('the run', async () => {
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return d.status === 'RUNNING' ? undefined : d;
  });
}

it('runs the pipeline with the function environment given at start', async () => {
  const result = await run();

  expect(result.status).toBe('SUCCEEDED');
  expect(JSON.parse(String(result.output))).toMatchObject({ total: 4 });
});

it('applies setFunctionEnv to the next invocations', async () => {
  runtime.setFunctionEnv('fetch-results', { AUCTION_READY_PROBABILITY: '0' });

  const result = await run();

  expect(result.status).toBe('FAILED');
  expect(result.error).toBe('ResultsNotReady');
});
