import { AwsJsonError, AwsJsonService } from '../core/aws-json-server';
import type { Execution, LocalStateMachine, MapRun } from './state-machine';

/** AWS JSON protocol encodes timestamps as epoch seconds. */
const epoch = (d: Date | undefined) => (d ? d.getTime() / 1000 : undefined);

function page<T>(items: T[], input: Record<string, unknown>, fallback: number): { items: T[]; nextToken?: string } {
  const start = input.nextToken ? Number(input.nextToken) : 0;
  const size = Number(input.maxResults) > 0 ? Number(input.maxResults) : fallback;
  const end = start + size;
  return { items: items.slice(start, end), nextToken: end < items.length ? String(end) : undefined };
}

/** What StartExecution refuses in a name (API reference): whitespace, brackets, wildcards, specials, controls. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what AWS refuses.
const INVALID_NAME_CHARACTER = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/u;

/** The SDK's 400 for a field outside its model's constraints, worded as AWS words it. */
function constraint(field: string, value: unknown, rule: string): AwsJsonError {
  return new AwsJsonError('ValidationException', `1 validation error detected: Value ${value === undefined ? 'null' : `'${String(value)}'`} at '${field}' failed to satisfy constraint: ${rule}`);
}

function validStateMachineArn(arn: unknown): string {
  if (arn === undefined || arn === null) throw constraint('stateMachineArn', undefined, 'Member must not be null');
  if (typeof arn !== 'string' || !/^arn:aws[\w-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+$/.test(arn)) {
    throw new AwsJsonError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${String(arn)}'`);
  }
  return arn;
}

/** An execution's or Map Run's ARN, checked for its form as AWS does before looking it up (InvalidArn). */
function validArn(arn: unknown, field: string, kind: 'execution' | 'mapRun'): string {
  if (arn === undefined || arn === null) throw constraint(field, undefined, 'Member must not be null');
  // Child executions of a Distributed Map have `execution:<machine>/<label>:<id>` (STANDARD) or `express:...` ARNs.
  const form = kind === 'execution' ? /^arn:aws[\w-]*:states:[a-z0-9-]+:\d{12}:(execution|express):[^:]+(:[^:]+)+$/ : /^arn:aws[\w-]*:states:[a-z0-9-]+:\d{12}:mapRun:[^:]+\/[^:]+:[^:]+$/;
  if (typeof arn !== 'string' || !form.test(arn)) throw new AwsJsonError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${String(arn)}'`);
  return arn;
}

/** maxResults is 0..1000 in every List call (0 means the service's default page). */
function validMaxResults(value: unknown): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 1000) {
    throw constraint('maxResults', value, 'Member must have value less than or equal to 1000');
  }
}

const STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'];

function validExecutionName(name: unknown): string {
  const text = String(name);
  if (text.length < 1 || text.length > 80) throw constraint('name', text, `Member must have length ${text.length < 1 ? 'greater than or equal to 1' : 'less than or equal to 80'}`);
  if (INVALID_NAME_CHARACTER.test(text)) throw new AwsJsonError('InvalidName', `Invalid Name: '${text}'`);
  return text;
}

/**
 * The Step Functions API subset used to start and inspect runs (StartExecution, DescribeExecution,
 * ListExecutions, GetExecutionHistory, StopExecution, ListStateMachines, DescribeStateMachine, ListMapRuns,
 * DescribeMapRun), so the AWS SDK and CLI work against the local state machines through AWS_ENDPOINT_URL_SFN.
 */
export function sfnService(machines: LocalStateMachine[], definitions: Map<string, string>): AwsJsonService {
  // The state machines exist from the runtime's start on: their creation date.
  const created = new Date();
  const machine = (arn: unknown) => {
    validStateMachineArn(arn);
    const found = machines.find((m) => m.arn === arn);
    if (!found) throw new AwsJsonError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(arn)}'`);
    return found;
  };
  const execution = (arn: unknown): Execution => {
    validArn(arn, 'executionArn', 'execution');
    for (const m of machines) {
      const found = m.find(String(arn));
      if (found) return found;
    }
    throw new AwsJsonError('ExecutionDoesNotExist', `Execution Does Not Exist: '${String(arn)}'`);
  };
  const mapRun = (arn: unknown): MapRun => {
    validArn(arn, 'mapRunArn', 'mapRun');
    for (const m of machines) {
      const found = m.mapRuns.get(String(arn));
      if (found) return found;
    }
    throw new AwsJsonError('ResourceNotFound', `Map Run Does Not Exist: '${String(arn)}'`);
  };
  const summary = (e: Execution) => ({
    executionArn: e.executionArn,
    stateMachineArn: e.stateMachineArn,
    name: e.name,
    status: e.status,
    startDate: epoch(e.startDate),
    stopDate: epoch(e.stopDate),
    mapRunArn: e.mapRunArn,
  });
  return {
    targetPrefix: 'AWSStepFunctions',
    contentType: 'application/x-amz-json-1.0',
    operations: {
      StartExecution: (input) => {
        const m = machine(validStateMachineArn(input.stateMachineArn));
        const name = input.name === undefined ? undefined : validExecutionName(input.name);
        const inputText = typeof input.input === 'string' ? input.input : '{}';
        // Idempotent as in AWS: the same name and input as a running execution answers that execution.
        const existing = name === undefined ? undefined : m.executions.get(m.arn.replace(':stateMachine:', ':execution:') + `:${name}`);
        if (existing) {
          if (existing.status === 'RUNNING' && existing.input === inputText) return { executionArn: existing.executionArn, startDate: epoch(existing.startDate) };
          throw new AwsJsonError('ExecutionAlreadyExists', `Execution Already Exists: '${existing.executionArn}'`);
        }
        try {
          const e = m.start(inputText, name);
          return { executionArn: e.executionArn, startDate: epoch(e.startDate) };
        } catch (error) {
          const code = (error as { code?: string }).code;
          if (code) throw new AwsJsonError(code, (error as Error).message);
          throw error;
        }
      },
      DescribeExecution: (input) => {
        const e = execution(input.executionArn);
        return {
          ...summary(e),
          input: e.input,
          inputDetails: { included: true },
          output: e.output,
          outputDetails: e.output === undefined ? undefined : { included: true },
          error: e.error,
          cause: e.cause,
          redriveCount: 0,
          redriveStatus: 'NOT_REDRIVABLE',
          // Not an AWS field (SDKs drop it): what the runtime measured, for tests and benchmarks.
          localStatistics: {
            historyEventCount: e.stats.historyEvents,
            stateTransitions: e.stats.stateTransitions,
            maxStatePayloadBytes: e.stats.maxPayloadBytes,
            maxStatePayloadState: e.stats.maxPayloadState,
            type: e.type,
          },
        };
      },
      // With mapRunArn: the child executions of that Map Run (AWS lists only STANDARD ones; EXPRESS are listed here too).
      ListExecutions: (input) => {
        validMaxResults(input.maxResults);
        if (input.statusFilter !== undefined && !STATUSES.includes(String(input.statusFilter))) {
          throw constraint('statusFilter', input.statusFilter, `Member must satisfy enum value set: [${STATUSES.join(', ')}]`);
        }
        if (!input.stateMachineArn && !input.mapRunArn) throw new AwsJsonError('ValidationException', 'Must provide a StateMachine ARN or MapRun ARN');
        const source = input.mapRunArn ? mapRun(input.mapRunArn).executions as Execution[] : [...machine(input.stateMachineArn).executions.values()];
        const all = source
          .filter((e) => !input.statusFilter || e.status === input.statusFilter)
          .sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
        const { items, nextToken } = page(all, input, 100);
        return { executions: items.map(summary), nextToken };
      },
      ListMapRuns: (input) => {
        validMaxResults(input.maxResults);
        const e = execution(input.executionArn);
        const runs = machines.flatMap((m) => [...m.mapRuns.values()]).filter((r) => r.executionArn === e.executionArn);
        const { items, nextToken } = page(runs, input, 100);
        return {
          mapRuns: items.map((r) => ({
            executionArn: r.executionArn,
            mapRunArn: r.mapRunArn,
            stateMachineArn: r.executions[0]?.stateMachineArn ?? e.stateMachineArn,
            startDate: epoch(r.startDate),
            stopDate: epoch(r.stopDate),
          })),
          nextToken,
        };
      },
      DescribeMapRun: (input) => {
        const r = mapRun(input.mapRunArn);
        return {
          mapRunArn: r.mapRunArn,
          executionArn: r.executionArn,
          status: r.status,
          startDate: epoch(r.startDate),
          stopDate: epoch(r.stopDate),
          maxConcurrency: r.maxConcurrency,
          toleratedFailurePercentage: r.toleratedFailurePercentage,
          toleratedFailureCount: r.toleratedFailureCount,
          itemCounts: { ...r.itemCounts, failuresNotRedrivable: 0, pendingRedrive: 0 },
          executionCounts: { ...r.executionCounts, failuresNotRedrivable: 0, pendingRedrive: 0 },
          redriveCount: 0,
        };
      },
      GetExecutionHistory: (input) => {
        validMaxResults(input.maxResults);
        const e = execution(input.executionArn);
        const events = input.reverseOrder ? [...e.history].reverse() : e.history;
        const { items, nextToken } = page(events, input, 1000);
        const withData = input.includeExecutionData !== false;
        return {
          events: items.map((ev) => {
            const out: Record<string, unknown> = { ...ev, timestamp: epoch(ev.timestamp) };
            if (!withData) {
              for (const [k, v] of Object.entries(out)) {
                if (k.endsWith('EventDetails') && v && typeof v === 'object') {
                  const { input: _i, output: _o, ...rest } = v as Record<string, unknown>;
                  out[k] = rest;
                }
              }
            }
            return out;
          }),
          nextToken,
        };
      },
      StopExecution: (input) => {
        const e = execution(input.executionArn);
        if (e.status === 'RUNNING') {
          e.error = input.error ? String(input.error) : undefined;
          e.cause = input.cause ? String(input.cause) : undefined;
          e.abort();
        }
        return { stopDate: epoch(new Date()) };
      },
      ListStateMachines: () => ({
        stateMachines: machines.map((m) => ({ stateMachineArn: m.arn, name: m.name, type: 'STANDARD', creationDate: epoch(created) })),
      }),
      DescribeStateMachine: (input) => {
        const m = machine(input.stateMachineArn);
        return {
          stateMachineArn: m.arn,
          name: m.name,
          status: 'ACTIVE',
          definition: definitions.get(m.arn),
          roleArn: m.roleArn ?? `${m.arn}-role`,
          type: 'STANDARD',
          creationDate: epoch(created),
        };
      },
    },
  };
}
