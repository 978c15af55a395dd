// Scenarios: the Step Functions endpoint answers clients' mistakes as AWS does, never with a 500: a body that is not JSON -> 400 SerializationException; no stateMachineArn -> ValidationException; a malformed ARN -> InvalidArn; an unknown one -> StateMachineDoesNotExist; names over 80 characters -> ValidationException, names with whitespace, brackets, wildcards, specials or control characters -> InvalidName; StartExecution is idempotent for a running execution with the same name and input, ExecutionAlreadyExists for other input or a closed execution; malformed execution ARNs -> InvalidArn, maxResults over 1000, unknown status filters and a ListExecutions without an ARN -> ValidationException; DescribeStateMachine has a real creation date.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeExecutionCommand, DescribeStateMachineCommand, GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient, SFNServiceException, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { Runtime, startRuntime } from '../../local/runtime';
import { waitFor } from './harness';
import { ROOT } from './paths';

const FIXTURE = join(ROOT, 'test', 'fixtures', 'local', 'features');
const dataDir = mkdtempSync(join(tmpdir(), 'e2e-local-sfn-api-'));
let runtime: Runtime;
let sfn: SFNClient;

beforeAll(async () => {
  // Time scale 1, so the fixture's hour-long Wait keeps an execution running.
  runtime = await startRuntime({ cdkOut: FIXTURE, port: 0, inMemory: true, timeScale: 1, quiet: true, dataDir });
  const { endpoints } = runtime;
  sfn = new SFNClient({ endpoint: endpoints.stepfunctions, region: endpoints.region, credentials: endpoints.credentials, maxAttempts: 1 });
});

afterAll(async () => {
  sfn?.destroy();
  await runtime?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The error's name and HTTP status, as an SDK user sees them. */
async function refusal(input: Partial<ConstructorParameters<typeof StartExecutionCommand>[0]>): Promise<[string, number | undefined]> {
  try {
    await sfn.send(new StartExecutionCommand(input as ConstructorParameters<typeof StartExecutionCommand>[0]));
  } catch (error) {
    return [(error as SFNServiceException).name, (error as SFNServiceException).$metadata?.httpStatusCode];
  }
  throw new Error('the call was accepted');
}

const lingering = JSON.stringify({ auction_id: '2000-01-01T0000Z' });

it('answers a body that is not JSON with 400 SerializationException', async () => {
  const res = await fetch(runtime.endpoints.stepfunctions, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AWSStepFunctions.StartExecution' },
    body: '{"stateMachineArn": ',
  });

  expect(res.status).toBe(400);
  expect(await res.json()).toMatchObject({ __type: 'SerializationException' });
});

it('refuses a missing, malformed or unknown state machine ARN', async () => {
  const unknown = runtime.endpoints.stateMachineArn.replace(/[^:]+$/, 'NoSuchMachine');

  expect(await refusal({})).toEqual(['ValidationException', 400]);
  expect(await refusal({ stateMachineArn: 'not-an-arn' })).toEqual(['InvalidArn', 400]);
  expect(await refusal({ stateMachineArn: unknown })).toEqual(['StateMachineDoesNotExist', 400]);
});

it.each([
  ['81 characters', 'x'.repeat(81), 'ValidationException'],
  ['a space', 'my run', 'InvalidName'],
  ['a bracket', 'run[1]', 'InvalidName'],
  ['a wildcard', 'run*', 'InvalidName'],
  ['a colon', 'run:1', 'InvalidName'],
  ['a slash', 'a/b', 'InvalidName'],
  ['a control character', 'run\u0007', 'InvalidName'],
])('refuses an execution name with %s', async (_what, name, error) => {
  expect(await refusal({ stateMachineArn: runtime.endpoints.stateMachineArn, name, input: '{}' })).toEqual([error, 400]);
});

it('starts an execution again only while it runs with the same input', async () => {
  const stateMachineArn = runtime.endpoints.stateMachineArn;
  const first = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'idempotent-run', input: lingering }));

  const again = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'idempotent-run', input: lingering }));
  const otherInput = await refusal({ stateMachineArn, name: 'idempotent-run', input: '{"auction_id": "2000-01-01T0100Z"}' });
  await sfn.send(new StopExecutionCommand({ executionArn: first.executionArn }));
  await waitFor('the stop', async () => ((await sfn.send(new DescribeExecutionCommand({ executionArn: first.executionArn }))).status === 'ABORTED' || undefined));
  const closed = await refusal({ stateMachineArn, name: 'idempotent-run', input: lingering });

  expect(again).toMatchObject({ executionArn: first.executionArn, startDate: first.startDate });
  expect(otherInput).toEqual(['ExecutionAlreadyExists', 400]);
  expect(closed).toEqual(['ExecutionAlreadyExists', 400]);
});

/** The error's name and HTTP status of any call. */
async function refused(call: Promise<unknown>): Promise<[string, number | undefined]> {
  try {
    await call;
  } catch (error) {
    return [(error as SFNServiceException).name, (error as SFNServiceException).$metadata?.httpStatusCode];
  }
  throw new Error('the call was accepted');
}

it('checks execution ARNs, page sizes and filters before looking anything up', async () => {
  const stateMachineArn = runtime.endpoints.stateMachineArn;
  const unknownExecution = stateMachineArn.replace(':stateMachine:', ':execution:') + ':never-started';

  expect(await refused(sfn.send(new DescribeExecutionCommand({ executionArn: 'nope' })))).toEqual(['InvalidArn', 400]);
  expect(await refused(sfn.send(new DescribeExecutionCommand({ executionArn: stateMachineArn })))).toEqual(['InvalidArn', 400]);
  expect(await refused(sfn.send(new DescribeExecutionCommand({ executionArn: unknownExecution })))).toEqual(['ExecutionDoesNotExist', 400]);
  expect(await refused(sfn.send(new GetExecutionHistoryCommand({ executionArn: unknownExecution, maxResults: 1001 })))).toEqual(['ValidationException', 400]);
  expect(await refused(sfn.send(new ListExecutionsCommand({})))).toEqual(['ValidationException', 400]);
  expect(await refused(sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'DONE' as never })))).toEqual(['ValidationException', 400]);
});

it('describes the state machine with its creation date', async () => {
  const described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: runtime.endpoints.stateMachineArn }));

  expect(described.creationDate!.getTime()).toBeGreaterThan(Date.UTC(2020, 0, 1));
  expect(described.status).toBe('ACTIVE');
});
