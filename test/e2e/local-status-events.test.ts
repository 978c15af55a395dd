// Scenarios: a rule on Step Functions execution status changes (FAILED/TIMED_OUT/ABORTED) delivers the event to its Lambda target and to its SNS topic (whose subscriber posts to the Slack sink) for a failed run and for an aborted one; a succeeded run matches no rule.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { Runtime, startRuntime } from '../../local/runtime';
import { slackMessages, waitFor } from './harness';
import { ROOT } from './paths';

const FIXTURE = join(ROOT, 'test', 'fixtures', 'local', 'features');
const dataDir = mkdtempSync(join(tmpdir(), 'e2e-local-status-'));
interface StatusEvent {
  readonly time: string;
  readonly detail?: { readonly name?: string; readonly [key: string]: unknown };
  readonly [key: string]: unknown;
}
const recorded: StatusEvent[] = [];
let recorder: Server;
let runtime: Runtime;
let sfn: SFNClient;

beforeAll(async () => {
  recorder = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      recorded.push(JSON.parse(body));
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
  const recorderUrl = `http://127.0.0.1:${(recorder.address() as AddressInfo).port}/`;
  // Time scale 1, so the Wait of the run to abort really waits.
  runtime = await startRuntime({ cdkOut: FIXTURE, port: 0, inMemory: true, timeScale: 1, quiet: true, dataDir, functionEnv: { Recorder: { RECORDER_URL: recorderUrl } } });
  const { endpoints } = runtime;
  sfn = new SFNClient({ endpoint: endpoints.stepfunctions, region: endpoints.region, credentials: endpoints.credentials });
});

afterAll(async () => {
  sfn?.destroy();
  await runtime?.stop();
  await new Promise((resolve) => recorder?.close(resolve));
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(name: string, input: unknown): Promise<string> {
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: runtime.endpoints.stateMachineArn, name, input: JSON.stringify(input) }));
  return String(executionArn);
}

const eventOf = (name: string) => waitFor(`the status change of ${name}`, async () => recorded.find((e) => e.detail?.name === name));
const alertOf = (name: string) => waitFor(`the Slack alert of ${name}`, async () => (await slackMessages(runtime)).find((m) => m.summary.includes(name)));

it('delivers a failed run to the Lambda target and the topic', async () => {
  const executionArn = await start('failed-run', { auction_id: '1999-01-01T0000Z' });

  const event = await eventOf('failed-run');
  const alert = await alertOf('failed-run');

  expect(event).toMatchObject({
    version: '0',
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: '000000000000',
    region: 'eu-west-1',
    resources: [executionArn],
    detail: {
      executionArn,
      stateMachineArn: runtime.endpoints.stateMachineArn,
      name: 'failed-run',
      status: 'FAILED',
      error: 'AuctionClosed',
      cause: 'auction 1999-01-01T0000Z is already closed',
      input: JSON.stringify({ auction_id: '1999-01-01T0000Z' }),
      output: null,
    },
  });
  expect(event.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  expect(alert.summary).toBe('run failed-run FAILED: AuctionClosed');
});

it('delivers an aborted run', async () => {
  const executionArn = await start('aborted-run', { auction_id: '2000-01-01T0000Z' });
  await waitFor('the run to wait', async () => {
    const { events } = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    return events?.some((e) => e.type === 'WaitStateEntered') || undefined;
  });

  await sfn.send(new StopExecutionCommand({ executionArn, error: 'Operator', cause: 'stopped by the test' }));
  const event = await eventOf('aborted-run');

  expect((await sfn.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('ABORTED');
  expect(event.detail).toMatchObject({ executionArn, status: 'ABORTED' });
  expect((await alertOf('aborted-run')).summary).toMatch(/^run aborted-run ABORTED/);
});

it('matches no rule for a run that succeeds', async () => {
  const executionArn = await start('succeeded-run', { auction_id: '2026-12-01T2100Z' });
  await waitFor('the run to succeed', async () => ((await sfn.send(new DescribeExecutionCommand({ executionArn }))).status === 'SUCCEEDED' ? true : undefined));
  // The failed and aborted runs' events arrived within this file; give a wrong delivery the same time.
  await waitFor('the run alert', async () => (await slackMessages(runtime)).find((m) => m.summary.includes('auction 2026-12-01T2100Z')));

  expect(recorded.filter((e) => e.detail?.name === 'succeeded-run')).toEqual([]);
});
