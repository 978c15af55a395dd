/**
 * Step Functions history events from aws-local-stepfunctions' event log, named and counted as AWS
 * records them (see local/README.md, "History events"). The library reports states; AWS also records
 * each task attempt (Scheduled, Started, Succeeded/Failed) and the Map bookkeeping, so those are derived.
 */

export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: Date;
  type: string;
  [details: string]: unknown;
}

/** A state's input or output, serialized only when the history is read (most never are). */
export class LazyJson {
  constructor(readonly value: unknown) {}

  toJSON(): string {
    return JSON.stringify(this.value ?? null);
  }
}

interface LibraryEvent {
  type: string;
  timestamp: number;
  index?: number;
  state?: { name: string; type: string; input?: unknown; output?: unknown };
  parentState?: { name: string };
  input?: unknown;
  output?: unknown;
  Error?: string;
  Cause?: unknown;
}

export interface HistoryOptions {
  /** Keep state input and output in the events (false for EXPRESS children: AWS keeps no history for them). */
  readonly includeData: boolean;
  /** Task state name -> its Resource, for the task event names (LambdaFunction* for a function ARN). */
  readonly taskResources: ReadonlyMap<string, string>;
  /** Map states that run as Distributed Maps: MapRun* events instead of per-iteration ones. */
  readonly distributedMaps: ReadonlySet<string>;
  readonly roleArn: string;
}

const LAMBDA_ARN = /^arn:aws:lambda:/;

export class ExecutionHistory {
  readonly events: HistoryEvent[] = [];
  /** The execution's final event, held back until nested runs have forwarded their last events. */
  private terminal?: LibraryEvent;
  /** Task/Map states (per Map iteration) whose current attempt failed or was caught. */
  private readonly failed = new Set<string>();
  private readonly caught = new Set<string>();
  /** Task states (per Map iteration) whose current attempt returned a result. */
  private readonly returned = new Set<string>();

  /** States entered: what AWS bills a standard workflow for (state transitions). */
  stateTransitions = 0;

  constructor(private readonly options: HistoryOptions) {}

  get count(): number {
    return this.events.length + (this.terminal ? 1 : 0);
  }

  add(type: string, details: Record<string, unknown> = {}, timestamp = Date.now()): void {
    const id = this.events.length + 1;
    this.events.push({ id, previousEventId: id - 1, timestamp: new Date(timestamp), type, ...details });
  }

  private data(value: unknown): LazyJson | undefined {
    return this.options.includeData ? new LazyJson(value) : undefined;
  }

  /** Appends the held-back terminal event; called once the execution has settled. */
  finish(): void {
    const e = this.terminal;
    this.terminal = undefined;
    if (!e) return;
    switch (e.type) {
      case 'ExecutionSucceeded':
        this.add('ExecutionSucceeded', { executionSucceededEventDetails: { output: this.data(e.output) } }, e.timestamp);
        break;
      case 'ExecutionFailed':
        this.add('ExecutionFailed', { executionFailedEventDetails: { error: e.Error, cause: String(e.Cause ?? '') } }, e.timestamp);
        break;
      case 'ExecutionAborted':
        this.add('ExecutionAborted', { executionAbortedEventDetails: {} }, e.timestamp);
        break;
      case 'ExecutionTimeout':
        this.add('ExecutionTimedOut', { executionTimedOutEventDetails: { error: 'States.Timeout' } }, e.timestamp);
        break;
      default:
        break;
    }
  }

  private scheduled(name: string, ts: number): void {
    const resource = this.options.taskResources.get(name) ?? '';
    if (LAMBDA_ARN.test(resource)) {
      this.add('LambdaFunctionScheduled', { lambdaFunctionScheduledEventDetails: { resource } }, ts);
      this.add('LambdaFunctionStarted', {}, ts);
    } else {
      const [, , , , , resourceType = '', ...rest] = resource.split(':');
      this.add('TaskScheduled', { taskScheduledEventDetails: { resourceType, resource: rest.join(':') } }, ts);
      this.add('TaskStarted', { taskStartedEventDetails: { resourceType, resource: rest.join(':') } }, ts);
    }
  }

  private taskEnded(name: string, ok: boolean, e: LibraryEvent): void {
    const lambda = LAMBDA_ARN.test(this.options.taskResources.get(name) ?? '');
    const ts = e.timestamp;
    if (ok) {
      if (lambda) this.add('LambdaFunctionSucceeded', { lambdaFunctionSucceededEventDetails: { output: this.data(e.state?.output) } }, ts);
      else this.add('TaskSucceeded', { taskSucceededEventDetails: { output: this.data(e.state?.output) } }, ts);
    } else {
      const details = { error: e.Error, cause: String(e.Cause ?? '') };
      if (lambda) this.add('LambdaFunctionFailed', { lambdaFunctionFailedEventDetails: details }, ts);
      else this.add('TaskFailed', { taskFailedEventDetails: details }, ts);
    }
  }

  /** Receives every event of the execution's root logger, in dispatch order. */
  onLibraryEvent(e: LibraryEvent): void {
    const ts = Number(e.timestamp);
    const state = e.state;
    const key = state ? `${e.index ?? ''}/${state.name}` : '';
    switch (e.type) {
      case 'ExecutionStarted':
        this.add('ExecutionStarted', { executionStartedEventDetails: { input: this.data(e.input), roleArn: this.options.roleArn } }, ts);
        break;
      case 'ExecutionSucceeded':
      case 'ExecutionFailed':
      case 'ExecutionAborted':
      case 'ExecutionTimeout':
        this.terminal ??= e;
        break;
      case 'StateEntered':
        if (!state) break;
        this.stateTransitions++;
        this.add(`${state.type}StateEntered`, { stateEnteredEventDetails: { name: state.name, input: this.data(state.input) } }, ts);
        if (state.type === 'Task') this.scheduled(state.name, ts);
        else if (state.type === 'Map' && !this.options.distributedMaps.has(state.name)) this.add('MapStateStarted', { mapStateStartedEventDetails: {} }, ts);
        else if (state.type === 'Parallel') this.add('ParallelStateStarted', {}, ts);
        break;
      case 'TaskResult':
        // The task's own result, before ResultSelector/ResultPath/OutputPath (a patch of the library reports it).
        if (!state) break;
        this.returned.add(key);
        this.taskEnded(state.name, true, e);
        break;
      case 'StateFailed':
        if (!state) break;
        this.failed.add(key);
        // A task that returned and then failed in its paths (ResultSelector, ResultPath) already has its Succeeded event.
        if (state.type === 'Task' && !this.returned.delete(key)) this.taskEnded(state.name, false, e);
        else if (state.type === 'Map') this.add('MapStateFailed', {}, ts);
        else if (state.type === 'Parallel') this.add('ParallelStateFailed', {}, ts);
        break;
      case 'StateRetried':
        if (!state) break;
        this.failed.delete(key);
        this.returned.delete(key);
        if (state.type === 'Task') this.scheduled(state.name, ts);
        else if (state.type === 'Map' && !this.options.distributedMaps.has(state.name)) this.add('MapStateStarted', { mapStateStartedEventDetails: {} }, ts);
        break;
      case 'StateCaught':
        this.caught.add(key);
        break;
      case 'StateExited': {
        if (!state) break;
        // A caught failure goes straight to the Catch's Next state: AWS records no exit for it.
        if (this.caught.delete(key)) {
          this.failed.delete(key);
          break;
        }
        if (state.type === 'Task') this.returned.delete(key);
        else if (state.type === 'Map' && !this.options.distributedMaps.has(state.name)) this.add('MapStateSucceeded', {}, ts);
        else if (state.type === 'Parallel') this.add('ParallelStateSucceeded', {}, ts);
        this.add(`${state.type}StateExited`, { stateExitedEventDetails: { name: state.name, output: this.data(state.output) } }, ts);
        break;
      }
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed': {
        const detailsKey = `${e.type[0].toLowerCase()}${e.type.slice(1)}EventDetails`;
        this.add(e.type, { [detailsKey]: { name: e.parentState?.name, index: e.index } }, ts);
        break;
      }
      default:
        // ParallelBranch* events have no counterpart in AWS history.
        break;
    }
  }
}
