import './polyfills';
import { randomUUID } from 'node:crypto';
import { ExecutionAbortedError, ExecutionTimeoutError, StateMachine } from './sfn-library';
import type { StateMachineDefinition } from './sfn-library';
import { elapsed } from './net';
import { log, warn } from './log';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type State = Record<string, unknown> & { Type: string };
interface Definition {
  StartAt: string;
  States: Record<string, State>;
  TimeoutSeconds?: number;
  QueryLanguage?: string;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: Date;
  type: string;
  [details: string]: unknown;
}

export interface Execution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  status: ExecutionStatus;
  readonly input: string;
  output?: string;
  error?: string;
  cause?: string;
  readonly startDate: Date;
  stopDate?: Date;
  readonly history: HistoryEvent[];
  /** Settles when the execution has stopped, whatever its status. */
  readonly done: Promise<void>;
  abort(): void;
}

/** A task state's local implementation: receives the effective input, returns the result. */
export type TaskHandler = (input: Json) => Promise<Json>;

export interface StateMachineDeps {
  /** Binds a task Resource to a local handler; throws (at start) when the resource is not supported. */
  taskHandler(resource: string, stateName: string): TaskHandler;
  /** LOCAL_TIME_SCALE: multiplies Wait and Retry delays; 0 skips them. */
  readonly timeScale: number;
  /** Called on every status change, as EventBridge's "Step Functions Execution Status Change". */
  onStatusChange(execution: Execution): void;
}

/** Payload limit of Step Functions (256 KiB per state input/output), enforced so oversize data fails locally too. */
const PAYLOAD_LIMIT = 256 * 1024;

class StatesError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

const UNSUPPORTED_FIELDS = [
  'Assign', 'Arguments', 'Output', 'Items', 'ItemReader', 'ItemBatcher', 'ResultWriter', 'Label', 'Credentials',
  'ToleratedFailurePercentage', 'ToleratedFailurePercentagePath', 'ToleratedFailureCount', 'ToleratedFailureCountPath',
];

/** Intrinsic functions implemented by aws-local-stepfunctions 3.x. */
const INTRINSICS = new Set([
  'States.Format', 'States.StringToJson', 'States.JsonToString', 'States.Array', 'States.ArrayPartition',
  'States.ArrayContains', 'States.ArrayRange', 'States.ArrayGetItem', 'States.ArrayLength', 'States.ArrayUnique',
  'States.Base64Encode', 'States.Base64Decode', 'States.Hash', 'States.JsonMerge', 'States.MathRandom',
  'States.MathAdd', 'States.StringSplit', 'States.UUID',
]);

/** Every state of the definition, nested Map and Parallel states included. */
function allStates(def: Pick<Definition, 'States'>): Array<[string, State]> {
  const out: Array<[string, State]> = [];
  for (const [name, state] of Object.entries(def.States)) {
    out.push([name, state]);
    const nested = (state.ItemProcessor ?? state.Iterator) as Definition | undefined;
    if (nested) out.push(...allStates(nested));
    for (const branch of (state.Branches as Definition[] | undefined) ?? []) out.push(...allStates(branch));
  }
  return out;
}

function intrinsicsIn(value: unknown, found: Set<string>): void {
  if (typeof value === 'string') for (const m of value.matchAll(/(States\.[A-Za-z0-9]+)\(/g)) found.add(m[1]);
  else if (Array.isArray(value)) value.forEach((v) => intrinsicsIn(v, found));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => intrinsicsIn(v, found));
}

/**
 * Runs the template's state machine with aws-local-stepfunctions: tasks bound to local handlers,
 * Wait and Retry delays scaled, executions recorded with Step Functions-like history for the SFN endpoint.
 */
export class LocalStateMachine {
  readonly executions = new Map<string, Execution>();
  private readonly machine: InstanceType<typeof StateMachine>;
  private readonly handlers: Record<string, TaskHandler> = {};
  private readonly waitOverrides: Record<string, number> = {};
  private readonly retryOverrides: Record<string, number[]> = {};

  constructor(
    readonly arn: string,
    readonly name: string,
    definition: Definition,
    private readonly deps: StateMachineDeps,
  ) {
    const problems: string[] = [];
    if (definition.QueryLanguage && definition.QueryLanguage !== 'JSONPath') problems.push(`QueryLanguage ${definition.QueryLanguage}`);
    const intrinsics = new Set<string>();
    for (const [stateName, state] of allStates(definition)) {
      for (const field of UNSUPPORTED_FIELDS) if (field in state) problems.push(`state "${stateName}": field ${field}`);
      if (state.QueryLanguage && state.QueryLanguage !== 'JSONPath') problems.push(`state "${stateName}": QueryLanguage ${String(state.QueryLanguage)}`);
      const processor = state.ItemProcessor as { ProcessorConfig?: { Mode?: string } } | undefined;
      if (processor?.ProcessorConfig?.Mode === 'DISTRIBUTED') problems.push(`state "${stateName}": distributed Map`);
      intrinsicsIn(state, intrinsics);
      if (state.Type === 'Task') {
        try {
          this.handlers[stateName] = this.guard(deps.taskHandler(String(state.Resource), stateName), stateName);
        } catch (error) {
          problems.push(`state "${stateName}": ${(error as Error).message}`);
        }
      }
      this.scaleDelays(stateName, state, deps.timeScale);
    }
    for (const fn of intrinsics) if (!INTRINSICS.has(fn)) problems.push(`intrinsic function ${fn}`);
    if (problems.length) {
      throw new Error(`State machine ${name} uses features the local runtime does not support:\n  - ${problems.join('\n  - ')}`);
    }
    try {
      // asl-validator's path check rejects valid Step Functions filters such as `[?(@.status != 'stored')]`,
      // so paths are checked by evaluating them; the rest of the definition is still validated.
      this.machine = new StateMachine(definition as unknown as StateMachineDefinition, { validationOptions: { checkArn: true, checkPaths: false } });
    } catch (error) {
      throw new Error(`State machine ${name}: ${(error as Error).message}`);
    }
  }

  /** Wait and Retry delays follow LOCAL_TIME_SCALE through the library's per-state overrides. */
  private scaleDelays(stateName: string, state: State, scale: number): void {
    if (scale === 1) return;
    if (state.Type === 'Wait') {
      if (typeof state.Seconds === 'number') this.waitOverrides[stateName] = state.Seconds * 1000 * scale;
      else if (scale === 0) this.waitOverrides[stateName] = 0;
      else warn(`Wait state "${stateName}" takes its time from the input; it is not scaled by LOCAL_TIME_SCALE=${scale}`);
    }
    const retry = state.Retry as Array<{ IntervalSeconds?: number; BackoffRate?: number }> | undefined;
    if (retry?.length) {
      // The library takes one interval per retrier, so for scales other than 0 the backoff growth is lost.
      this.retryOverrides[stateName] = retry.map((r) => (r.IntervalSeconds ?? 1) * 1000 * scale);
      if (scale !== 0 && retry.some((r) => (r.BackoffRate ?? 2) !== 1)) {
        warn(`Retry of "${stateName}": with LOCAL_TIME_SCALE=${scale} each retry waits the scaled first interval (no backoff growth)`);
      }
    }
  }

  /** Enforces Step Functions' payload limit on what a task returns. */
  private guard(handler: TaskHandler, stateName: string): TaskHandler {
    return async (input) => {
      const result = await handler(input);
      const size = Buffer.byteLength(JSON.stringify(result ?? null));
      if (size > PAYLOAD_LIMIT) {
        throw new StatesError('States.DataLimitExceeded', `The state/task '${stateName}' returned a result with a size (${size} bytes) exceeding the maximum number of bytes service limit (${PAYLOAD_LIMIT}).`);
      }
      return result;
    };
  }

  start(input: string, requestedName?: string): Execution {
    const name = requestedName ?? randomUUID();
    const executionArn = this.arn.replace(':stateMachine:', ':execution:') + `:${name}`;
    if (this.executions.has(executionArn)) {
      throw Object.assign(new Error(`Execution Already Exists: '${executionArn}'`), { code: 'ExecutionAlreadyExists' });
    }
    let parsed: Json;
    try {
      parsed = JSON.parse(input) as Json;
    } catch {
      throw Object.assign(new Error('Invalid State Machine Execution Input: not valid JSON'), { code: 'InvalidExecutionInput' });
    }
    const startDate = new Date();
    const run = this.machine.run(parsed as never, {
      overrides: {
        taskResourceLocalHandlers: this.handlers as never,
        waitTimeOverrides: this.waitOverrides,
        retryIntervalOverrides: this.retryOverrides,
      },
      context: {
        Execution: { Id: executionArn, Name: name, RoleArn: `${this.arn}-role`, RedriveCount: 0 },
        StateMachine: { Id: this.arn, Name: this.name },
      },
    });
    const history: HistoryEvent[] = [];
    const execution: Execution = {
      executionArn,
      stateMachineArn: this.arn,
      name,
      status: 'RUNNING',
      input,
      startDate,
      history,
      abort: run.abort,
      done: Promise.resolve(),
    };
    this.executions.set(executionArn, execution);
    log('run', `${name} started`);
    this.deps.onStatusChange(execution);
    void this.record(run.eventLogs as unknown as AsyncGenerator<Record<string, unknown>>, history);
    const done = run.result.then(
      (output) => {
        execution.status = 'SUCCEEDED';
        execution.output = JSON.stringify(output);
      },
      (error: Error & { cause?: Error }) => {
        if (error instanceof ExecutionTimeoutError) {
          execution.status = 'TIMED_OUT';
          execution.error = 'States.Timeout';
        } else if (error instanceof ExecutionAbortedError) {
          execution.status = 'ABORTED';
        } else {
          execution.status = 'FAILED';
          const cause = error.cause ?? error;
          execution.error = cause.name;
          execution.cause = cause.message;
        }
      },
    ).then(() => {
      execution.stopDate = new Date();
      const detail = execution.status === 'SUCCEEDED' ? short(execution.output) : `${execution.error ?? ''} ${short(execution.cause)}`;
      log('run', `${name} ${execution.status} in ${elapsed(startDate.getTime())} ${detail}`);
      this.deps.onStatusChange(execution);
    });
    (execution as { done: Promise<void> }).done = done;
    return execution;
  }

  /** Turns the library's event log into Step Functions history events. */
  private async record(events: AsyncGenerator<Record<string, unknown>>, history: HistoryEvent[]): Promise<void> {
    const add = (type: string, details: Record<string, unknown>, timestamp: number) =>
      history.push({ id: history.length + 1, previousEventId: history.length, timestamp: new Date(timestamp), type, ...details });
    let oversizeReported = false;
    for await (const e of events) {
      const state = e.state as { name: string; type: string; input: Json; output?: Json } | undefined;
      const parent = e.parentState as { name: string } | undefined;
      const ts = Number(e.timestamp);
      switch (e.type) {
        case 'ExecutionStarted':
          add('ExecutionStarted', { executionStartedEventDetails: { input: JSON.stringify(e.input), roleArn: `${this.arn}-role` } }, ts);
          break;
        case 'ExecutionSucceeded':
          add('ExecutionSucceeded', { executionSucceededEventDetails: { output: JSON.stringify(e.output) } }, ts);
          break;
        case 'ExecutionFailed':
          add('ExecutionFailed', { executionFailedEventDetails: { error: e.Error, cause: String(e.Cause ?? '') } }, ts);
          break;
        case 'ExecutionAborted':
          add('ExecutionAborted', { executionAbortedEventDetails: {} }, ts);
          break;
        case 'ExecutionTimeout':
          add('ExecutionTimedOut', { executionTimedOutEventDetails: { error: 'States.Timeout' } }, ts);
          break;
        case 'StateEntered':
          add(`${state?.type}StateEntered`, { stateEnteredEventDetails: { name: state?.name, input: JSON.stringify(state?.input) } }, ts);
          break;
        case 'StateExited': {
          // The library does not limit state data; AWS fails the run when any state's output exceeds 256 KiB.
          const size = Buffer.byteLength(JSON.stringify(state?.output ?? null));
          if (size > PAYLOAD_LIMIT && !oversizeReported) {
            oversizeReported = true;
            warn(`state "${state?.name}" output is ${size} bytes: in AWS this run fails with States.DataLimitExceeded (limit ${PAYLOAD_LIMIT})`);
          }
          add(`${state?.type}StateExited`, { stateExitedEventDetails: { name: state?.name, output: JSON.stringify(state?.output) } }, ts);
          break;
        }
        case 'StateFailed':
          if (state?.type === 'Task') add('TaskFailed', { taskFailedEventDetails: { error: e.Error, cause: String(e.Cause ?? '') } }, ts);
          else if (state?.type === 'Map') add('MapStateFailed', {}, ts);
          break;
        case 'MapIterationStarted':
        case 'MapIterationSucceeded':
        case 'MapIterationFailed': {
          const key = `${String(e.type)[0].toLowerCase()}${String(e.type).slice(1)}EventDetails`;
          add(String(e.type), { [key]: { name: parent?.name, index: e.index } }, ts);
          break;
        }
        default:
          break;
      }
    }
  }
}

function short(text: string | undefined): string {
  if (!text) return '';
  return text.length > 300 ? `${text.slice(0, 300)}...` : text;
}
