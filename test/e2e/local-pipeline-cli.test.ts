// Scenarios: npm run pipeline closes the open auction now (input {"close": "now"}, execution run-now-<random>) and prints the auction, each outcome count, the accepted results' S3 prefix and the Slack alert; --auction <id> runs that auction (input {"auction_id"}, execution run-<id>-<random>) and --json prints only the summary; a failed run prints its error and cause and exits 1; a stopped runtime is named as not running.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { Runtime, startRuntime } from '../../local/runtime';
import { ROOT } from './paths';

const FIXTURE = join(ROOT, 'test', 'fixtures', 'local', 'features');
const dataDir = mkdtempSync(join(tmpdir(), 'e2e-local-pipeline-'));
let runtime: Runtime;
let sfn: SFNClient;

beforeAll(async () => {
  runtime = await startRuntime({ cdkOut: FIXTURE, port: 0, inMemory: true, timeScale: 0, quiet: true, dataDir });
  const { endpoints } = runtime;
  sfn = new SFNClient({ endpoint: endpoints.stepfunctions, region: endpoints.region, credentials: endpoints.credentials });
});

afterAll(async () => {
  sfn?.destroy();
  await runtime?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Runs the CLI as `npm run pipeline` does; asynchronously, since the runtime it talks to lives in this process. */
function pipeline(args: string[], dir = dataDir): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/pipeline-cli.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, LOCAL_DATA_DIR: dir, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  return new Promise((resolve) =>
    child.once('close', (status) => {
      clearTimeout(killer);
      resolve({ status, stdout, stderr });
    }),
  );
}

async function inputOf(name: string): Promise<unknown> {
  const { executions } = await sfn.send(new ListExecutionsCommand({ stateMachineArn: runtime.endpoints.stateMachineArn }));
  const found = executions?.find((e) => e.name === name);
  const described = await sfn.send(new DescribeExecutionCommand({ executionArn: found?.executionArn }));
  return JSON.parse(String(described.input));
}

it('closes the open auction now and prints what happened to it', async () => {
  const { status, stdout } = await pipeline([]);

  const name = /^Started (run-now-[0-9a-f]{6}) \(closing the open auction now\)$/m.exec(stdout)?.[1];
  expect(status).toBe(0);
  expect(name).toBeDefined();
  expect(await inputOf(String(name))).toEqual({ close: 'now' });
  expect(stdout).toContain(`Run ${name}: SUCCEEDED`);
  expect(stdout).toContain('auction: 2030-01-01T0000Z');
  expect(stdout).toContain('total 3, accepted 2, rejected 1, failed 0');
  expect(stdout).toContain('accepted results: s3://fixture-results/results/auction=2030-01-01T0000Z/ (2 objects)');
  expect(stdout).toContain('Slack alert: 1 rejected order in auction 2030-01-01T0000Z');
});

it('runs a named auction and prints only its summary with --json', async () => {
  const { status, stdout } = await pipeline(['--auction', '2026-12-01T2100Z', '--json']);

  const summary = JSON.parse(stdout);
  expect(status).toBe(0);
  expect(summary).toEqual({ auction_id: '2026-12-01T2100Z', execution_name: expect.stringMatching(/^run-2026-12-01T2100Z-[0-9a-f]{6}$/), total: 3, accepted: 2, rejected: 1, failed: 0 });
  expect(await inputOf(summary.execution_name)).toEqual({ auction_id: '2026-12-01T2100Z' });
});

it('prints the error and cause of a failed run and exits 1', async () => {
  const { status, stdout } = await pipeline(['--auction', '1999-01-01T0000Z']);

  expect(status).toBe(1);
  expect(stdout).toMatch(/Run run-1999-01-01T0000Z-[0-9a-f]{6}: FAILED/);
  expect(stdout).toContain('error: AuctionClosed');
  expect(stdout).toContain('cause: auction 1999-01-01T0000Z is already closed');
  expect(stdout).toMatch(/Slack alert: run run-1999-01-01T0000Z-[0-9a-f]{6} FAILED: AuctionClosed/);
});

it('says the runtime is not running when its endpoints are gone', async () => {
  const stale = mkdtempSync(join(tmpdir(), 'e2e-local-pipeline-stale-'));
  try {
    writeFileSync(join(stale, 'endpoints.json'), JSON.stringify({ ...runtime.endpoints, stepfunctions: 'http://127.0.0.1:9' }));

    const { status, stderr } = await pipeline([], stale);

    expect(status).toBe(1);
    expect(stderr).toContain('the local runtime is not running');
    expect(stderr).toContain('start it with npm start');
  } finally {
    rmSync(stale, { recursive: true, force: true });
  }
});
