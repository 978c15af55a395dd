import { randomUUID } from 'node:crypto';
import { ExecutionAbortedError, ExecutionTimeoutError, StateMachine } from './library';
import type { StateMachineDefinition } from './library';
import { ExecutionHistory } from './execution-history';
import type { HistoryEvent } from './execution-history';
import {
  DISTRIBUTED_ONLY_FIELDS,
  PAYLOAD_LIMIT,
  parseDistributedMap,
  runDistributedMap,
  StatesError,
  TerminalStatesError,
} from './distributed-map';
import type { ChildExecution, DistributedMapState, Json, MapRun, ObjectStore } from './distributed-map';
import { elapsed } from '../core/net';
import { log, warn } from '../core/log';

export type { HistoryEvent } from './execution-history';
export type { MapRun, ObjectStore } from './distributed-map';
export { PAYLOAD_LIMIT } from './distributed-map';

type State = Record<string, unknown> & { Type: string };
interface Definition {
  StartAt: string;
  States: Record<string, State>;
  TimeoutSeconds?: number;
  QueryLanguage?: string;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** AWS fails a standard execution whose history passes this many events. */
export const HISTORY_EVENT_LIMIT = 25_000;

/** What the local runtime measured about one execution (AWS has no API for it; DescribeExecution carries it as an extra field). */
export interface ExecutionStats {
  /** History events recorded so far, counted as AWS counts them (see local/README.md). */
  readonly historyEvents: number;
  /** States entered (billed transitions of a standard workflow). */
  readonly stateTransitions: number;
  /** Largest state input or output (and execution input/output), in bytes of its JSON text. */
  readonly maxPayloadBytes: number;
  readonly maxPayloadState?: string;
}

export interface Execution extends ChildExecution {
  readonly type: 'STANDARD' | 'EXPRESS';
  status: ExecutionStatus;
  output?: string;
  error?: string;
  cause?: string;
  stopDate?: Date;
  readonly history: HistoryEvent[];
  /** Set for the child executions of a Distributed Map. */
  readonly mapRunArn?: string;
  readonly stats: ExecutionStats;
}

/** A task state's local implementation: receives the effective input, returns the result. */
export type TaskHandler = (input: Json) => Promise<Json>;

export interface StateMachineDeps {
  /** Binds a task Resource to a local handler; throws (at start) when the resource is not supported. */
  taskHandler(resource: string, stateName: string): TaskHandler;
  /** LOCAL_TIME_SCALE: multiplies Wait and Retry delays; 0 skips them. */
  readonly timeScale: number;
  /** Called on every status change of a top-level execution, as EventBridge's "Step Functions Execution Status Change". */
  onStatusChange(execution: Execution): void;
  /** S3 for Distributed Map ItemReader and ResultWriter. */
  readonly objectStore?: ObjectStore;
  /** The execution role (the template's RoleArn), as `$$.Execution.RoleArn` and DescribeStateMachine show it. */
  readonly roleArn?: string;
  /**
   * IAM for a Distributed Map's child executions (states:StartExecution on the state machine itself):
   * AWS's AccessDenied message when the role may not start them, else undefined.
   */
  authorizeChildExecutions?(): string | undefined;
}

/** The library's run options plus the hooks local/stepfunctions/library.ts patches in. */
interface RunOptions {
  overrides: Record<string, unknown>;
  context: Record<string, unknown>;
  _onEvent(event: unknown): void;
  _onStateInput(stateName: string, value: unknown): void;
  _onStateOutput(stateName: string, value: unknown): void;
  _distributedMap(stateName: string, input: Json, context: Record<string, unknown>, abortSignal?: AbortSignal): Promise<Json>;
}

const UNSUPPORTED_FIELDS = ['Assign', 'Arguments', 'Output', 'Items', 'Credentials'];

/** Intrinsic functions implemented by aws-local-stepfunctions 3.x. */
const INTRINSICS = new Set([
  'States.Format', 'States.StringToJson', 'States.JsonToString', 'States.Array', 'States.ArrayPartition',
  'States.ArrayContains', 'States.ArrayRange', 'States.ArrayGetItem', 'States.ArrayLength', 'States.ArrayUnique',
  'States.Base64Encode', 'States.Base64Decode', 'States.Hash', 'States.JsonMerge', 'States.MathRandom',
  'States.MathAdd', 'States.StringSplit', 'States.UUID',
]);

/**
 * AWS tasks have no timeout unless TimeoutSeconds says so; the library defaults to 60 s. The largest
 * delay setTimeout takes (~24.8 days) stands in for "none".
 */
const NO_TASK_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

const isDistributed = (state: State) => (state.ItemProcessor as { ProcessorConfig?: { Mode?: string } } | undefined)?.ProcessorConfig?.Mode === 'DISTRIBUTED';

/** The states one library run executes: nested inline Map and Parallel states, not a Distributed Map's processor. */
function ownStates(def: Pick<Definition, 'States'>): Array<[string, State]> {
  const out: Array<[string, State]> = [];
  for (const [name, state] of Object.entries(def.States)) {
    out.push([name, state]);
    const nested = (state.ItemProcessor ?? state.Iterator) as Definition | undefined;
    if (nested && !isDistributed(state)) out.push(...ownStates(nested));
    for (const branch of (state.Branches as Definition[] | undefined) ?? []) out.push(...ownStates(branch));
  }
  return out;
}

function intrinsicsIn(value: unknown, found: Set<string>): void {
  if (typeof value === 'string') for (const m of value.matchAll(/(States\.[A-Za-z0-9]+)\(/g)) found.add(m[1]);
  else if (Array.isArray(value)) value.forEach((v) => intrinsicsIn(v, found));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => intrinsicsIn(v, found));
}

/** A copy for the library: tasks without TimeoutSeconds get "no timeout" instead of the library's 60 s. */
function forLibrary<T>(value: T): T {
  if (Array.isArray(value)) return value.map(forLibrary) as T;
  if (!value || typeof value !== 'object') return value;
  const out = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, forLibrary(v)])) as Record<string, unknown>;
  if (out.Type === 'Task' && out.TimeoutSeconds === undefined && out.TimeoutSecondsPath === undefined) out.TimeoutSeconds = NO_TASK_TIMEOUT_SECONDS;
  return out as T;
}

const byteSize = (value: unknown) => Buffer.byteLength(JSON.stringify(value ?? null));

/** Where executions, Map Runs and child executions of one state machine are kept, for the SFN endpoint. */
export interface ExecutionRegistry {
  readonly executions: Map<string, Execution>;
  readonly children: Map<string, Execution>;
  readonly mapRuns: Map<string, MapRun>;
}

interface RunRequest {
  readonly executionArn: string;
  readonly name: string;
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
  readonly type: 'STANDARD' | 'EXPRESS';
  readonly inputText: string;
  readonly input: Json;
  readonly mapRunArn?: string;
  /** Top-level executions report status changes and log; children are summed up by their Map Run. */
  readonly topLevel: boolean;
}

/**
 * One definition the library runs: the state machine's, or a Distributed Map's ItemProcessor (its child
 * executions). Task handlers, scaled delays and nested Distributed Maps are bound once, at start.
 */
class Workflow {
  private readonly machine: InstanceType<typeof StateMachine>;
  private readonly handlers: Record<string, TaskHandler> = {};
  private readonly waitOverrides: Record<string, number> = {};
  private readonly retryOverrides: Record<string, number[]> = {};
  private readonly taskResources = new Map<string, string>();
  private readonly distributed = new Map<string, { spec: DistributedMapState; processor: Workflow }>();

  constructor(
    definition: Definition,
    private readonly deps: StateMachineDeps,
    private readonly registry: ExecutionRegistry,
    problems: string[],
    validate: boolean,
  ) {
    const intrinsics = new Set<string>();
    for (const [stateName, state] of ownStates(definition)) {
      const distributed = state.Type === 'Map' && isDistributed(state);
      for (const field of UNSUPPORTED_FIELDS) if (field in state) problems.push(`state "${stateName}": field ${field}`);
      if (!distributed) for (const field of DISTRIBUTED_ONLY_FIELDS) if (field in state) problems.push(`state "${stateName}": field ${field} outside a distributed Map`);
      if (state.QueryLanguage && state.QueryLanguage !== 'JSONPath') problems.push(`state "${stateName}": QueryLanguage ${String(state.QueryLanguage)}`);
      intrinsicsIn(distributed ? { ...state, ItemProcessor: undefined } : state, intrinsics);
      if (state.Type === 'Task') {
        this.taskResources.set(stateName, String(state.Resource));
        try {
          this.handlers[stateName] = deps.taskHandler(String(state.Resource), stateName);
        } catch (error) {
          problems.push(`state "${stateName}": ${(error as Error).message}`);
        }
      }
      if (distributed) {
        const spec = parseDistributedMap(stateName, state, problems);
        if ((spec.reader || spec.writer) && !deps.objectStore) problems.push(`state "${stateName}": ItemReader/ResultWriter need an S3 endpoint`);
        this.distributed.set(stateName, { spec, processor: new Workflow(state.ItemProcessor as Definition, deps, registry, problems, false) });
      }
      this.scaleDelays(stateName, state, deps.timeScale);
    }
    for (const fn of intrinsics) if (!INTRINSICS.has(fn)) problems.push(`intrinsic function ${fn}`);
    // asl-validator's path check rejects valid Step Functions filters such as `[?(@.status != 'stored')]`,
    // so paths are checked by evaluating them; the rest of the definition is still validated (once, at the top).
    this.machine = new StateMachine(forLibrary(definition) as unknown as StateMachineDefinition, {
      validationOptions: validate ? { checkArn: true, checkPaths: false } : { noValidate: true },
    });
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

  run(req: RunRequest): Execution {
    const startDate = new Date();
    const history = new ExecutionHistory({
      includeData: req.type === 'STANDARD',
      taskResources: this.taskResources,
      distributedMaps: new Set(this.distributed.keys()),
      roleArn: this.deps.roleArn ?? `${req.stateMachineArn}-role`,
    });
    let maxPayloadBytes = 0;
    let maxPayloadState: string | undefined;
    // Every state input and output passes through here (patched into the library): measured, and over
    // 256 KiB the execution fails with States.DataLimitExceeded, which no Retry or Catch handles.
    const measure = (stateName: string, what: string, value: unknown): void => {
      const bytes = byteSize(value);
      if (bytes > maxPayloadBytes) {
        maxPayloadBytes = bytes;
        maxPayloadState = stateName;
      }
      if (bytes > PAYLOAD_LIMIT) {
        throw new TerminalStatesError('States.DataLimitExceeded', `The state/task '${stateName}' ${what} has a size of ${bytes} bytes, exceeding the maximum number of bytes service limit (${PAYLOAD_LIMIT}).`);
      }
    };

    let abortRun: () => void = () => undefined;
    const execution: Execution = {
      executionArn: req.executionArn,
      stateMachineArn: req.stateMachineArn,
      name: req.name,
      type: req.type,
      status: 'RUNNING',
      input: req.inputText,
      startDate,
      mapRunArn: req.mapRunArn,
      history: history.events,
      get stats() {
        return { historyEvents: history.count, stateTransitions: history.stateTransitions, maxPayloadBytes, maxPayloadState };
      },
      abort: () => abortRun(),
      done: Promise.resolve(),
    };
    (req.topLevel ? this.registry.executions : this.registry.children).set(req.executionArn, execution);

    const handlers = Object.fromEntries(Object.entries(this.handlers).map(([stateName, handler]) => [stateName, async (input: Json) => {
      const result = await handler(input);
      measure(stateName, 'returned a result that', result);
      return result;
    }]));
    const context = {
      Execution: { Id: req.executionArn, Name: req.name, RoleArn: this.deps.roleArn ?? `${req.stateMachineArn}-role`, StartTime: startDate.toISOString(), RedriveCount: 0 },
      StateMachine: { Id: req.stateMachineArn, Name: req.stateMachineName },
    };
    const options: RunOptions = {
      overrides: { taskResourceLocalHandlers: handlers, waitTimeOverrides: this.waitOverrides, retryIntervalOverrides: this.retryOverrides },
      context,
      _onEvent: (event) => history.onLibraryEvent(event as never),
      _onStateInput: (stateName, value) => measure(stateName, 'input', value),
      _onStateOutput: (stateName, value) => measure(stateName, 'output', value),
      _distributedMap: (stateName, input, mapContext, abortSignal) => {
        const { spec, processor } = this.distributed.get(stateName) as { spec: DistributedMapState; processor: Workflow };
        const denied = this.deps.authorizeChildExecutions?.();
        if (denied) return Promise.reject(new StatesError('States.Runtime', denied));
        return runDistributedMap({
          spec,
          input,
          context: mapContext,
          abortSignal,
          parent: execution,
          history,
          store: this.deps.objectStore,
          registerMapRun: (mapRun) => this.registry.mapRuns.set(mapRun.mapRunArn, mapRun),
          startChild: (childInput, child) => processor.run({
            ...child,
            type: spec.executionType,
            inputText: JSON.stringify(childInput),
            input: childInput,
            topLevel: false,
          }),
        });
      },
    };

    let result: Promise<unknown>;
    try {
      measure('(execution input)', 'input', req.input);
      const run = this.machine.run(req.input as never, options as never);
      abortRun = run.abort;
      result = run.result;
    } catch (error) {
      // An oversize child input: the child fails before its first state, as in AWS.
      history.onLibraryEvent({ type: 'ExecutionStarted', timestamp: Date.now(), input: req.input });
      history.onLibraryEvent({ type: 'ExecutionFailed', timestamp: Date.now(), Error: (error as Error).name, Cause: (error as Error).message });
      result = Promise.reject(error);
    }

    if (req.topLevel) {
      log('run', `${req.name} started`);
      this.deps.onStatusChange(execution);
    }
    let historyWarned = false;
    const done = result.then(
      (output) => {
        execution.output = JSON.stringify(output);
        measure('(execution output)', 'output', output);
        execution.status = 'SUCCEEDED';
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
    ).catch((error: Error) => {
      // The execution output itself was over the limit.
      execution.status = 'FAILED';
      execution.output = undefined;
      execution.error = error.name;
      execution.cause = error.message;
    }).then(async () => {
      // Nested Map iterations forward their last events a few microtasks after the result settles.
      await new Promise((r) => setImmediate(r));
      history.finish();
      execution.stopDate = new Date();
      if (req.type === 'STANDARD' && history.count > HISTORY_EVENT_LIMIT && !historyWarned) {
        historyWarned = true;
        warn(`${req.name}: ${history.count} history events; in AWS a standard execution fails after ${HISTORY_EVENT_LIMIT}`);
      }
      if (req.topLevel) {
        const detail = execution.status === 'SUCCEEDED' ? short(execution.output) : `${execution.error ?? ''} ${short(execution.cause)}`;
        log('run', `${req.name} ${execution.status} in ${elapsed(startDate.getTime())} ${detail}`);
        this.deps.onStatusChange(execution);
      }
    });
    (execution as { done: Promise<void> }).done = done;
    return execution;
  }
}

/**
 * Runs the template's state machine with aws-local-stepfunctions: tasks bound to local handlers,
 * Wait and Retry delays scaled, Distributed Maps run as Map Runs of child executions
 * (local/stepfunctions/distributed-map.ts), executions recorded with Step Functions-like history for the SFN endpoint.
 */
export class LocalStateMachine implements ExecutionRegistry {
  readonly executions = new Map<string, Execution>();
  readonly children = new Map<string, Execution>();
  readonly mapRuns = new Map<string, MapRun>();
  private readonly workflow: Workflow;
  readonly roleArn?: string;

  constructor(
    readonly arn: string,
    readonly name: string,
    definition: Definition,
    deps: StateMachineDeps,
  ) {
    this.roleArn = deps.roleArn;
    const problems: string[] = [];
    if (definition.QueryLanguage && definition.QueryLanguage !== 'JSONPath') problems.push(`QueryLanguage ${definition.QueryLanguage}`);
    let workflow: Workflow | undefined;
    try {
      workflow = new Workflow(definition, deps, this, problems, true);
    } catch (error) {
      if (!problems.length) throw new Error(`State machine ${name}: ${(error as Error).message}`);
    }
    if (problems.length || !workflow) {
      throw new Error(`State machine ${name} uses features the local runtime does not support:\n  - ${problems.join('\n  - ')}`);
    }
    this.workflow = workflow;
  }

  /** Any execution of this state machine, child executions of its Map Runs included. */
  find(executionArn: string): Execution | undefined {
    return this.executions.get(executionArn) ?? this.children.get(executionArn);
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
    if (Buffer.byteLength(input) > PAYLOAD_LIMIT) {
      throw Object.assign(new Error(`Invalid State Machine Execution Input: larger than ${PAYLOAD_LIMIT} bytes`), { code: 'InvalidExecutionInput' });
    }
    return this.workflow.run({
      executionArn,
      name,
      stateMachineArn: this.arn,
      stateMachineName: this.name,
      type: 'STANDARD',
      inputText: input,
      input: parsed,
      topLevel: true,
    });
  }
}

function short(text: string | undefined): string {
  if (!text) return '';
  return text.length > 300 ? `${text.slice(0, 300)}...` : text;
}
