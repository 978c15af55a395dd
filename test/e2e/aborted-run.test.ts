// Scenarios: a run stopped through the Step Functions API (StopExecution) ends ABORTED, and the execution-status rule alerts Slack about it.
import { DescribeExecutionCommand, GetExecutionHistoryCommand, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { LocalRuntime, slackMessages, startLocalRuntime, waitFor } from './harness';

let runtime: LocalRuntime;

beforeAll(async () => {
  // Real-time waits so the run is still polling when it is stopped.
  runtime = await startLocalRuntime({ 'fetch-results': { AUCTION_READY_PROBABILITY: '0', AUCTION_SEED: 'aborted' } }, { LOCAL_TIME_SCALE: '1' });
});

afterAll(async () => {
  await runtime?.stop();
});

it('aborts a waiting run and alerts once', async () => {
  const name = `e2e-aborted-${Date.now()}`;
  const { executionArn } = await runtime.sfn.send(
    new StartExecutionCommand({ stateMachineArn: runtime.endpoints.stateMachineArn, name, input: '{}' }),
  );
  await waitFor('the run to wait for results', async () => {
    const { events } = await runtime.sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    return events?.some((e) => e.type === 'WaitStateEntered') ? true : undefined;
  });

  await runtime.sfn.send(new StopExecutionCommand({ executionArn, error: 'Manual', cause: 'stopped by the e2e test' }));

  const run = await waitFor('the run to stop', async () => {
    const d = await runtime.sfn.send(new DescribeExecutionCommand({ executionArn }));
    return d.status === 'RUNNING' ? undefined : d;
  });
  expect(run.status).toBe('ABORTED');
  const alerts = await waitFor('the alert', async () => {
    const messages = (await slackMessages(runtime)).filter((m) => JSON.stringify(m.body).includes(name));
    return messages.length > 0 ? messages : undefined;
  });
  expect(JSON.stringify(alerts[0].body)).toContain('ABORTED');
});
