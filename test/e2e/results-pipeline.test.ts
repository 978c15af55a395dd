// Scenarios: a seeded run started with @aws-sdk/client-sfn stores accepted results at their run keys and sends exactly one alert listing the rejected orders; the SFN endpoint lists the run, returns its history and rejects unknown executions.
import { DescribeExecutionCommand, DescribeExecutionCommandOutput, ExecutionDoesNotExist, GetExecutionHistoryCommand, ListExecutionsCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { LocalRuntime, slackMessages, startLocalRuntime, waitFor } from './harness';

const ORDER_COUNT = 12;
let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startLocalRuntime({
    'fetch-results': {
      AUCTION_READY_PROBABILITY: '1',
      AUCTION_ORDER_COUNT: String(ORDER_COUNT),
      AUCTION_REJECTED_SHARE: '0.25',
      AUCTION_MALFORMED_PROBABILITY: '0',
      AUCTION_SEED: 'e2e-seed',
    },
  });
});

afterAll(async () => {
  await runtime?.stop();
});

async function runToEnd(name: string): Promise<DescribeExecutionCommandOutput> {
  const { executionArn } = await runtime.sfn.send(
    new StartExecutionCommand({ stateMachineArn: runtime.endpoints.stateMachineArn, name, input: '{}' }),
  );
  return waitFor(`run ${name}`, async () => {
    const d = await runtime.sfn.send(new DescribeExecutionCommand({ executionArn }));
    return d.status === 'RUNNING' ? undefined : d;
  }, 120_000);
}

describe('results pipeline on the local runtime', () => {
  const name = `e2e-seeded-${Date.now()}`;
  let run: DescribeExecutionCommandOutput;

  beforeAll(async () => {
    run = await runToEnd(name);
  });

  it('succeeds with a summary that accounts for every order', () => {
    expect(run.status).toBe('SUCCEEDED');
    const summary = JSON.parse(String(run.output));
    expect(summary.total).toBe(ORDER_COUNT);
    expect(summary.stored + summary.rejected + summary.failed).toBe(ORDER_COUNT);
    expect(summary.failed).toBe(0);
    expect(summary.rejected).toBeGreaterThan(0);
    expect(summary.stored).toBeGreaterThan(0);
  });

  it('stores each accepted result as JSON under the run prefix, one object per stored order', async () => {
    const summary = JSON.parse(String(run.output));
    const listed = await runtime.s3.send(new ListObjectsV2Command({ Bucket: runtime.endpoints.bucketName }));
    const keys = (listed.Contents ?? []).map((o) => String(o.Key)).filter((k) => k.includes(`run=${name}/`));

    expect(keys).toHaveLength(summary.stored);
    const object = await runtime.s3.send(new GetObjectCommand({ Bucket: runtime.endpoints.bucketName, Key: keys[0] }));
    const body = JSON.parse(await object.Body!.transformToString());
    expect(JSON.stringify(body)).toContain('accepted');
  });

  it('sends exactly one Slack alert for the run, listing every rejected order', async () => {
    const listed = await runtime.s3.send(new ListObjectsV2Command({ Bucket: runtime.endpoints.bucketName }));
    const storedIndexes = new Set(
      (listed.Contents ?? []).map((o) => String(o.Key)).filter((k) => k.includes(`run=${name}/`)).map((k) => Number(/order-(\d+)\.json$/.exec(k)?.[1])),
    );
    const rejectedIndexes = [...Array(ORDER_COUNT).keys()].filter((i) => !storedIndexes.has(i));

    const alerts = await waitFor('the alert', async () => {
      const messages = (await slackMessages(runtime)).filter((m) => JSON.stringify(m.body).includes(name));
      return messages.length > 0 ? messages : undefined;
    });
    await new Promise((r) => setTimeout(r, 1000)); // a second alert would arrive by now

    const all = (await slackMessages(runtime)).filter((m) => JSON.stringify(m.body).includes(name));
    expect(all).toHaveLength(1);
    const text = JSON.stringify(alerts[0].body);
    for (const i of rejectedIndexes) expect(text).toMatch(new RegExp(`#${i}\\b`));
  });

  it('lists the run and returns its history through the Step Functions API', async () => {
    const { executions } = await runtime.sfn.send(new ListExecutionsCommand({ stateMachineArn: runtime.endpoints.stateMachineArn }));
    expect(executions?.map((e) => e.name)).toContain(name);

    const { events } = await runtime.sfn.send(new GetExecutionHistoryCommand({ executionArn: run.executionArn }));
    const types = events?.map((e) => e.type) ?? [];
    expect(types[0]).toBe('ExecutionStarted');
    expect(types).toContain('MapIterationStarted');
    expect(types[types.length - 1]).toBe('ExecutionSucceeded');
    expect(run.startDate).toBeInstanceOf(Date);
    expect(run.stopDate!.getTime()).toBeGreaterThanOrEqual(run.startDate!.getTime());
  });

  it('answers ExecutionDoesNotExist for an unknown execution', async () => {
    const unknown = run.executionArn!.replace(name, 'no-such-run');

    await expect(runtime.sfn.send(new DescribeExecutionCommand({ executionArn: unknown }))).rejects.toBeInstanceOf(ExecutionDoesNotExist);
  });
});
