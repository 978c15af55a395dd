// Scenarios: an auction platform that never has results is asked a bounded number of times (the definition's limit), then the run ends FAILED with ResultsNotReady, and the execution-status rule alerts Slack once about it.
import { DescribeExecutionCommand, GetExecutionHistoryCommand, HistoryEvent, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { findInDefinition, LocalRuntime, slackMessages, startLocalRuntime, stateMachineDefinition, waitFor } from './harness';

let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startLocalRuntime({ 'fetch-results': { AUCTION_READY_PROBABILITY: '0', AUCTION_SEED: 'never' } });
});

afterAll(async () => {
  await runtime?.stop();
});

it('fails with ResultsNotReady and alerts through the failed-execution rule', async () => {
  const name = `e2e-never-ready-${Date.now()}`;

  const { executionArn } = await runtime.sfn.send(
    new StartExecutionCommand({ stateMachineArn: runtime.endpoints.stateMachineArn, name, input: '{}' }),
  );
  const run = await waitFor('the run to stop', async () => {
    const d = await runtime.sfn.send(new DescribeExecutionCommand({ executionArn }));
    return d.status === 'RUNNING' ? undefined : d;
  }, 120_000);

  expect(run.status).toBe('FAILED');
  expect(run.error).toBe('ResultsNotReady');
  const [limit] = findInDefinition<{ NumericGreaterThanEquals: number }>(stateMachineDefinition(), (v) => v.Next === 'ResultsNotReady' && 'NumericGreaterThanEquals' in v);
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await runtime.sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  const polls = events.filter((e) => e.type === 'TaskStateEntered' && e.stateEnteredEventDetails?.name === 'FetchResults');
  expect(polls).toHaveLength(limit.NumericGreaterThanEquals);
  const alerts = await waitFor('the alert', async () => {
    const messages = (await slackMessages(runtime)).filter((m) => JSON.stringify(m.body).includes(name));
    return messages.length > 0 ? messages : undefined;
  });
  await new Promise((r) => setTimeout(r, 1000));
  expect((await slackMessages(runtime)).filter((m) => JSON.stringify(m.body).includes(name))).toHaveLength(1);
  expect(JSON.stringify(alerts[0].body)).toContain('ResultsNotReady');
});
