// Scenarios: fetch-results answering malformed output (AUCTION_MALFORMED_PROBABILITY=1) -> each run fails with InvalidAuctionResults without storing anything, and the failed-execution rule sends one alert per run. (Never ready -> ResultsNotReady after bounded attempts and an alert is covered by failed-run.test.ts.)
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { LocalRuntime, runToEnd, slackMessages, startLocalRuntime, waitFor } from './harness';

// One run per malformed shape: with this seed and these run names the platform answers each of its three shapes once.
const RUNS = 3;
let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startLocalRuntime({ 'fetch-results': { AUCTION_MALFORMED_PROBABILITY: '1', AUCTION_READY_PROBABILITY: '1', AUCTION_SEED: 'faults-malformed-2' } });
});

afterAll(async () => {
  await runtime?.stop();
});

/** What fetch-results answered in a run, from the execution history (FetchResults puts it at $.auction). */
async function fetchAnswer(executionArn: string): Promise<unknown> {
  const { events = [] } = await runtime.sfn.send(new GetExecutionHistoryCommand({ executionArn }));
  const exited = events.find((e) => e.type === 'TaskStateExited' && e.stateExitedEventDetails?.name === 'FetchResults');
  return JSON.parse(String(exited?.stateExitedEventDetails?.output)).auction;
}

it('fails every run with InvalidAuctionResults and alerts once per run', async () => {
  // Fixed names (the runtime is fresh and in memory): the seeded answer depends on the execution name, so the shapes are the same every time.
  const names = Array.from({ length: RUNS }, (_, i) => `faults-malformed-${i}`);

  const runs = await Promise.all(names.map((name) => runToEnd(runtime.sfn, runtime.endpoints.stateMachineArn, name)));

  for (const run of runs) {
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('InvalidAuctionResults');
  }
  const answers = await Promise.all(runs.map((run) => fetchAnswer(run.executionArn!)));
  expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(3); // every malformed shape the simulated platform has
  const alerts = await waitFor('one alert per run', async () => {
    const messages = await slackMessages(runtime);
    const perRun = names.map((name) => messages.filter((m) => JSON.stringify(m.body).includes(name)));
    return perRun.every((m) => m.length > 0) ? perRun : undefined;
  });
  for (const forRun of alerts) {
    expect(forRun).toHaveLength(1);
    expect(JSON.stringify(forRun[0].body)).toContain('InvalidAuctionResults');
  }
  const listed = await runtime.s3.send(new ListObjectsV2Command({ Bucket: runtime.endpoints.bucketName }));
  expect((listed.Contents ?? []).filter((o) => names.some((name) => String(o.Key).includes(`run=${name}/`)))).toEqual([]);
});
