// Scenarios: a state payload of exactly 256 KiB passes and one byte more fails the execution with States.DataLimitExceeded, which Retry and Catch (States.ALL) do not handle, for a task result and for a Pass state's Parameters; 500 results with 128-character ids (fewer than the 1000 fetch-results keeps inline) are too many bytes to keep inline and go through S3 and the Distributed Map, every state payload below 256 KiB; a run of as many results as fetch-results keeps inline (RESULTS_INLINE_LIMIT, lowered to 2 here) takes the inline Map and one more takes the Distributed Map, both storing every result; an accepted order whose parameter_2 is beyond 2^53 (a known finding) ends accepted.
import { setQuiet } from '../../local/core/log';
import { LocalStateMachine, PAYLOAD_LIMIT, type Execution } from '../../local/stepfunctions/state-machine';
import {
  historyOf,
  localStatistics,
  makeOrders,
  orderOf,
  type OrderInput,
  postUntilAccepted,
  runAuction,
  startSystem,
  type System,
  uniqueId,
} from './lifecycle';

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

describe('the run at and around the inline limit', () => {
  let system: System;
  const mapOf = async (executionArn: string) => {
    const types = new Set((await historyOf(system, executionArn, false)).map((e) => e.type));
    return types.has('MapRunStarted') ? 'distributed' : types.has('MapIterationStarted') ? 'inline' : 'none';
  };

  beforeAll(async () => {
    system = await startSystem({ inProcess: true });
  });

  afterAll(async () => {
    await system?.stop();
  });

  it('hands 500 results with 128-character ids over through S3 (too many bytes inline), every state payload below 256 KiB', async () => {
    // Runs first, with the template's RESULTS_INLINE_LIMIT (1000). All rejected: the cheapest results to store, and each carries the platform's reason.
    system.setFunctionEnv('auction-platform', { PLATFORM_REJECTED_SHARE: '1' });
    const prefix = uniqueId('long-ids');
    const orders = makeOrders(prefix, 500).map((o) => ({ ...o, record_id: `${o.record_id}-`.padEnd(128, 'x') }));
    await postUntilAccepted(system, 'default', orders);

    const run = await runAuction(system, { close: 'now' }, 'long-ids', 300_000);

    expect(run.summary).toMatchObject({ total: 500, accepted: 0, rejected: 500, failed: 0 });
    expect(await mapOf(run.executionArn)).toBe('distributed');
    expect((await localStatistics(system, run.executionArn)).maxStatePayloadBytes).toBeLessThan(PAYLOAD_LIMIT);
  });

  it.each([
    [2, 'inline'],
    [3, 'distributed'],
  ])('stores %i results through the %s Map when 2 may travel inline', async (count, path) => {
    system.setFunctionEnv('fetch-results', { RESULTS_INLINE_LIMIT: '2' });
    system.setFunctionEnv('auction-platform', { PLATFORM_REJECTED_SHARE: '0' });
    const orders = makeOrders(uniqueId(`inline-${count}`), count);
    await postUntilAccepted(system, 'default', orders);

    const run = await runAuction(system, { close: 'now' }, `limit-${count}`);

    expect(run.summary).toMatchObject({ total: count, accepted: count, rejected: 0, failed: 0 });
    expect(await mapOf(run.executionArn)).toBe(path);
    for (const order of orders) expect((await orderOf(system, 'default', order.record_id)).status).toBe('accepted');
  });

  // Known finding: the platform answers cleared_volume as a JSON number (parameter_2 as a float); beyond 2^53
  // store-result cannot write it to the order (the document client refuses unsafe integers), calls that
  // OrderStoreUnavailable, retries it, and the order ends failed with NoResult although its result was stored.
  it.failing('accepts an order whose parameter_2 is beyond 2^53', async () => {
    system.setFunctionEnv('auction-platform', { PLATFORM_REJECTED_SHARE: '0' });
    const order: OrderInput = { record_id: uniqueId('huge'), parameter_1: 'huge', parameter_2: '9007199254740993' };
    await postUntilAccepted(system, 'default', [order]);

    const run = await runAuction(system, { close: 'now' }, 'huge');

    expect(run.summary).toMatchObject({ total: 1, accepted: 1, failed: 0 });
    expect((await orderOf(system, 'default', order.record_id)).status).toBe('accepted');
  });
});
