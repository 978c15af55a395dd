// Scenarios: a state payload of exactly 256 KiB passes and one byte more fails the execution with States.DataLimitExceeded, which Retry and Catch (States.ALL) do not handle, for a task result and for a Pass state's Parameters; the pipeline with a big inline answer (ORDERS_INLINE_LIMIT raised) fails with States.DataLimitExceeded at FetchResults; 1 order and exactly ORDERS_INLINE_LIMIT (1000) orders take the inline Map, 1001 orders the Distributed Map, and all three succeed; the failed run is alerted.
import { GetExecutionHistoryCommand, HistoryEvent } from '@aws-sdk/client-sfn';
import { setQuiet } from '../../local/log';
import { LocalStateMachine, PAYLOAD_LIMIT, type Execution } from '../../local/state-machine';
import { FaultRuntime, runToEnd, slackMessages, startFaultRuntime, waitFor } from './harness';

const FN = 'arn:aws:lambda:eu-west-1:000000000000:function:limits';

/** A task returning `{"s": "x...x"}` of exactly `bytes` bytes, with Retry and Catch on States.ALL. */
function taskMachine(): LocalStateMachine {
  return new LocalStateMachine('arn:aws:states:eu-west-1:000000000000:stateMachine:limits-task', 'limits-task', {
    StartAt: 'Make',
    States: {
      Make: {
        Type: 'Task',
        Resource: FN,
        Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 2, IntervalSeconds: 1 }],
        Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught', ResultPath: '$.error' }],
        End: true,
      },
      Caught: { Type: 'Pass', End: true },
    },
  }, {
    timeScale: 0,
    onStatusChange: () => undefined,
    taskHandler: () => async (input) => ({ s: 'x'.repeat((input as { bytes: number }).bytes - '{"s":""}'.length) }),
  });
}

/** A Pass state that doubles its input. */
function passMachine(): LocalStateMachine {
  return new LocalStateMachine('arn:aws:states:eu-west-1:000000000000:stateMachine:limits-pass', 'limits-pass', {
    StartAt: 'Double',
    States: { Double: { Type: 'Pass', Parameters: { 'a.$': '$.a', 'b.$': '$.a' }, End: true } },
  }, { timeScale: 0, onStatusChange: () => undefined, taskHandler: () => async () => null });
}

async function run(sm: LocalStateMachine, input: Record<string, unknown>): Promise<Execution> {
  const execution = sm.start(JSON.stringify(input));
  await execution.done;
  return execution;
}

describe('the 256 KiB payload limit', () => {
  beforeAll(() => setQuiet(true));

  it('passes a task result of exactly 262,144 bytes', async () => {
    const execution = await run(taskMachine(), { bytes: PAYLOAD_LIMIT });

    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.stats.maxPayloadBytes).toBe(PAYLOAD_LIMIT);
    expect(Buffer.byteLength(String(execution.output))).toBe(PAYLOAD_LIMIT);
  });

  it('fails the execution on one byte more, past Retry and Catch on States.ALL', async () => {
    const execution = await run(taskMachine(), { bytes: PAYLOAD_LIMIT + 1 });

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('States.DataLimitExceeded');
    expect(execution.cause).toContain("'Make'");
    const types = execution.history.map((e) => e.type);
    expect(types).not.toContain('PassStateEntered');
    expect(types.filter((t) => t === 'LambdaFunctionScheduled')).toHaveLength(1);
    expect(types[types.length - 1]).toBe('ExecutionFailed');
  });

  it('fails the execution when a Pass state\'s Parameters take its payload past the limit', async () => {
    const execution = await run(passMachine(), { a: 'y'.repeat(PAYLOAD_LIMIT / 2) });

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('States.DataLimitExceeded');
    expect(execution.cause).toContain("'Double'");
  });
});

describe('the pipeline at and around the inline limit', () => {
  let runtime: FaultRuntime;
  const auction = (orders: number, extra: Record<string, string> = {}) => ({
    AUCTION_READY_PROBABILITY: '1',
    AUCTION_ORDER_COUNT: String(orders),
    AUCTION_REJECTED_SHARE: '0',
    AUCTION_MALFORMED_PROBABILITY: '0',
    AUCTION_SEED: 'e2e-limits',
    ...extra,
  });
  const types = async (executionArn: string): Promise<string[]> => {
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await runtime.sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, includeExecutionData: false }));
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return events.map((e) => String(e.type));
  };

  beforeAll(async () => {
    runtime = await startFaultRuntime();
  });

  afterAll(async () => {
    await runtime?.stop();
  });

  it.each([
    [1, 'inline'],
    [1000, 'inline'],
    [1001, 'distributed'],
  ])('stores %i order(s) through the %s Map', async (orders, path) => {
    runtime.setFunctionEnv('fetch-results', auction(orders));
    const name = `e2e-limits-${orders}-${Date.now()}`;

    const run = await runToEnd(runtime.sfn, runtime.endpoints.stateMachineArn, name);

    expect(run.status).toBe('SUCCEEDED');
    expect(JSON.parse(String(run.output))).toEqual({ executionName: name, total: orders, stored: orders, rejected: 0, failed: 0 });
    const seen = await types(String(run.executionArn));
    expect(seen.includes('MapRunStarted')).toBe(path === 'distributed');
    expect(seen.includes('MapIterationStarted')).toBe(path === 'inline');
  });

  it('fails with States.DataLimitExceeded when a large answer is kept inline', async () => {
    runtime.setFunctionEnv('fetch-results', auction(10_000, { ORDERS_INLINE_LIMIT: '100000' }));
    const name = `e2e-limits-inline-${Date.now()}`;

    const run = await runToEnd(runtime.sfn, runtime.endpoints.stateMachineArn, name);

    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('States.DataLimitExceeded');
    expect(run.cause).toContain("'FetchResults'");
    // The failed-execution rule alerts as for any failed run (awaited, so the runtime does not stop mid-delivery).
    const alert = await waitFor('the failed-run alert', async () => (await slackMessages(runtime)).find((m) => JSON.stringify(m.body).includes(name)));
    expect(JSON.stringify(alert.body)).toContain('States.DataLimitExceeded');
  });
});
