// Scenarios: Step Functions semantics the local state machine adds to aws-local-stepfunctions: empty filter results, JsonToString escaping, Catch on a task error name with Lambda-style Cause, scaled waits, execution timeout, status-change callbacks; history: a task's Succeeded event carries the function's own result, Map iteration events all come before the Map state exits.
import { Execution, LocalStateMachine, TaskHandler } from '../../local/stepfunctions/state-machine';
import { setQuiet } from '../../local/core/log';

const ARN = 'arn:aws:states:eu-west-1:000000000000:stateMachine:contract';
const LAMBDA = 'arn:aws:lambda:eu-west-1:000000000000:function:contract-fn';

class NamedError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

function machine(definition: object, handler: TaskHandler = async (input) => input, timeScale = 0, changes: Execution[] = []) {
  return new LocalStateMachine(ARN, 'contract', definition as never, {
    taskHandler: () => handler,
    timeScale,
    onStatusChange: (e) => changes.push({ ...e }),
  });
}

async function runToEnd(m: LocalStateMachine, input: object): Promise<Execution> {
  const execution = m.start(JSON.stringify(input));
  await execution.done;
  return execution;
}

beforeAll(() => setQuiet(true));

it('returns [] for a filter that matches nothing, as AWS does', async () => {
  const m = machine({
    StartAt: 'Split',
    States: { Split: { Type: 'Pass', Parameters: { 'failed.$': "$.results[?(@.status == 'failed')]", 'n.$': "States.ArrayLength($.results[?(@.status == 'failed')])" }, End: true } },
  });

  const e = await runToEnd(m, { results: [{ status: 'accepted' }] });

  expect(e.status).toBe('SUCCEEDED');
  expect(JSON.parse(String(e.output))).toEqual({ failed: [], n: 0 });
});

it('keeps States.JsonToString output valid JSON when values contain quotes', async () => {
  const m = machine({ StartAt: 'J', States: { J: { Type: 'Pass', Parameters: { 'text.$': 'States.JsonToString($.v)' }, End: true } } });

  const e = await runToEnd(m, { v: { cause: '{"errorType":"OrderRejected"}' } });

  expect(JSON.parse(JSON.parse(String(e.output)).text)).toEqual({ cause: '{"errorType":"OrderRejected"}' });
});

it('catches a task error by name and passes the Lambda-style Cause', async () => {
  const handler: TaskHandler = async () => {
    throw new NamedError('OrderRejected', JSON.stringify({ errorType: 'OrderRejected', errorMessage: 'no' }));
  };
  const m = machine(
    {
      StartAt: 'Store',
      States: {
        Store: { Type: 'Task', Resource: LAMBDA, Catch: [{ ErrorEquals: ['OrderRejected'], ResultPath: '$.error', Next: 'Rejected' }], End: true },
        Rejected: { Type: 'Pass', End: true },
      },
    },
    handler,
  );

  const e = await runToEnd(m, {});

  expect(JSON.parse(String(e.output)).error.Error).toBe('OrderRejected');
  expect(JSON.parse(JSON.parse(String(e.output)).error.Cause)).toEqual({ errorType: 'OrderRejected', errorMessage: 'no' });
});

it('skips Wait states with LOCAL_TIME_SCALE=0', async () => {
  const m = machine({ StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 600, End: true } } });
  const started = Date.now();

  const e = await runToEnd(m, {});

  expect(e.status).toBe('SUCCEEDED');
  expect(Date.now() - started).toBeLessThan(2000);
});

it('times out at TimeoutSeconds and reports each status change', async () => {
  const changes: Execution[] = [];
  const m = machine({ TimeoutSeconds: 1, StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 30, End: true } } }, undefined, 1, changes);

  const e = await runToEnd(m, {});

  expect(e.status).toBe('TIMED_OUT');
  expect(e.error).toBe('States.Timeout');
  expect(changes.map((c) => c.status)).toEqual(['RUNNING', 'TIMED_OUT']);
});

describe('execution history', () => {
  const types = (e: Execution) => e.history.map((ev) => ev.type);
  const details = (e: Execution, type: string, key: string) =>
    e.history.filter((ev) => ev.type === type).map((ev) => JSON.parse(JSON.stringify((ev as Record<string, unknown>)[key])));

  it("records the function's own result in LambdaFunctionSucceeded and the state's output in TaskStateExited", async () => {
    const m = machine(
      {
        StartAt: 'Store',
        States: { Store: { Type: 'Task', Resource: LAMBDA, ResultSelector: { 'stored.$': '$.key' }, ResultPath: '$.result', End: true } },
      },
      async () => ({ key: 'k-1', extra: true }),
    );

    const e = await runToEnd(m, { order: 'o-1' });

    expect(details(e, 'LambdaFunctionSucceeded', 'lambdaFunctionSucceededEventDetails').map((d) => JSON.parse(d.output))).toEqual([{ key: 'k-1', extra: true }]);
    expect(details(e, 'TaskStateExited', 'stateExitedEventDetails').map((d) => JSON.parse(d.output))).toEqual([{ order: 'o-1', result: { stored: 'k-1' } }]);
    expect(types(e)).toEqual([
      'ExecutionStarted', 'TaskStateEntered', 'LambdaFunctionScheduled', 'LambdaFunctionStarted', 'LambdaFunctionSucceeded', 'TaskStateExited', 'ExecutionSucceeded',
    ]);
  });

  it("records every Map iteration's events before the Map state exits", async () => {
    const m = machine(
      {
        StartAt: 'Each',
        States: {
          Each: {
            Type: 'Map',
            MaxConcurrency: 2,
            ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'Store', States: { Store: { Type: 'Task', Resource: LAMBDA, End: true } } },
            End: true,
          },
        },
      },
      async (input) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return input;
      },
    );

    const e = await runToEnd(m, [1, 2, 3, 4]);

    const list = types(e);
    const exited = list.indexOf('MapStateExited');
    expect(list.filter((t) => t === 'MapIterationSucceeded')).toHaveLength(4);
    expect(list.filter((t) => t === 'LambdaFunctionSucceeded')).toHaveLength(4);
    expect(list.slice(exited + 1)).toEqual(['ExecutionSucceeded']);
    expect(list.lastIndexOf('MapIterationSucceeded')).toBeLessThan(list.indexOf('MapStateSucceeded'));
  });
});
