// Scenarios: warm sandboxes keep module state; process.env and globals never leak between functions; named errors surface as Lambda errorType; timeouts discard the sandbox; Lambda context and callback handlers; environment overrides reach new sandboxes.
import { join } from 'node:path';
import { FunctionSpec, LocalFunction } from '../../local/lambda/runner';
import { setQuiet } from '../../local/core/log';

const TASK_ROOT = join(__dirname, '..', 'fixtures', 'local', 'handlers');
const started: LocalFunction[] = [];

function localFunction(handler: string, overrides: Partial<FunctionSpec> = {}): LocalFunction {
  const spec: FunctionSpec = {
    logicalId: `Fixture${handler}`,
    name: `fixture-${handler}`,
    arn: `arn:aws:lambda:eu-west-1:000000000000:function:fixture-${handler}`,
    label: handler,
    taskRoot: TASK_ROOT,
    handler: `index.${handler}`,
    env: { AWS_REGION: 'eu-west-1' },
    timeoutSeconds: 5,
    memoryMb: 256,
    asyncRetries: 0,
    ...overrides,
  };
  const fn = new LocalFunction(spec, { maxConcurrency: 2, printLogs: false, timeScale: 0 });
  started.push(fn);
  return fn;
}

beforeAll(() => setQuiet(true));
afterAll(async () => {
  await Promise.all(started.map((f) => f.stop()));
});

describe('local Lambda sandboxes', () => {
  it('keeps module state in a warm sandbox, like a reused execution environment', async () => {
    const fn = localFunction('counter');

    const first = await fn.invoke({});
    const second = await fn.invoke({});

    expect(first).toEqual({ ok: true, payload: { invocations: 1, marker: null } });
    expect(second).toEqual({ ok: true, payload: { invocations: 2, marker: null } });
  });

  it('does not leak process.env or globals from one function to another', async () => {
    const polluter = localFunction('pollute');
    const inspector = localFunction('inspect');

    await polluter.invoke({});
    const seen = await inspector.invoke({});

    expect(seen).toEqual({ ok: true, payload: { envLeaked: null, globalLeaked: null } });
    expect(process.env.LEAKED).toBeUndefined();
  });

  it('reports a thrown error by its name, as Step Functions Retry/Catch expect', async () => {
    const result = await localFunction('rejected').invoke({ index: 3 });

    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatchObject({ errorType: 'OrderRejected', errorMessage: 'Order 3 was rejected' });
  });

  it('times out after the template timeout and cold-starts the next invocation', async () => {
    const fn = localFunction('slow', { timeoutSeconds: 0.3 });

    const result = await fn.invoke({});

    expect(!result.ok && result.error.errorType).toBe('Sandbox.Timedout');
  });

  it('passes a Lambda context and supports callback handlers', async () => {
    const ctx = await localFunction('context').invoke({ hello: 'world' });
    const cb = await localFunction('callback').invoke({});

    expect(ctx.ok && ctx.payload).toMatchObject({ functionName: 'fixture-context', region: 'eu-west-1', echo: { hello: 'world' } });
    expect(ctx.ok && (ctx.payload as { remainingMs: number }).remainingMs).toBeGreaterThan(0);
    expect(cb).toEqual({ ok: true, payload: { via: 'callback' } });
  });

  it('applies environment overrides to new sandboxes', async () => {
    const fn = localFunction('counter');
    await fn.invoke({});

    fn.setExtraEnv({ MARKER: 'override' });
    const after = await fn.invoke({});

    expect(after).toEqual({ ok: true, payload: { invocations: 1, marker: 'override' } });
  });
});
