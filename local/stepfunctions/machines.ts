import { randomUUID } from 'node:crypto';
import { resourcesOfType, StackAssembly } from '../core/assembly';
import { ACCOUNT, REGION, Resolver } from '../core/cfn-resolver';
import type { OnStop } from '../core/cleanups';
import { warn } from '../core/log';
import type { BusEvent } from '../events/rules';
import type { Caller, LocalIam } from '../iam/authorizer';
import type { ObjectStore } from './distributed-map';
import { Execution, LocalStateMachine, TaskHandler } from './state-machine';

export interface StartStateMachinesOptions {
  readonly iam: LocalIam;
  /** The task handlers of a machine running as `caller` (see taskHandlers). */
  taskHandlerFor(caller: Caller | undefined): (resource: string, stateName: string) => TaskHandler;
  /** S3 for Distributed Map, signed as `caller`. */
  objectStoreFor(caller: Caller | undefined): ObjectStore;
  onStatusChange(execution: Execution): void;
  readonly timeScale: number;
}

export interface LocalStateMachines {
  readonly machines: LocalStateMachine[];
  /** Each machine's definition as deployed (substitutions applied), by ARN, for DescribeStateMachine. */
  readonly definitions: Map<string, string>;
}

/** The template's state machines, each running its tasks as its role; running executions abort at stop. */
export function startStateMachines(stack: StackAssembly, resolver: Resolver, options: StartStateMachinesOptions, onStop: OnStop): LocalStateMachines {
  const machines: LocalStateMachine[] = [];
  const definitions = new Map<string, string>();
  for (const [id, res] of resourcesOfType(stack.template, 'AWS::StepFunctions::StateMachine')) {
    const p = res.Properties ?? {};
    if (p.StateMachineType === 'EXPRESS') warn(`State machine ${id} is EXPRESS; it runs locally with standard-workflow semantics`);
    const text = p.DefinitionString
      ? resolver.resolveString(p.DefinitionString, `State machine ${id} DefinitionString`)
      : JSON.stringify(resolver.resolve(p.Definition));
    const substitutions = resolver.resolve(p.DefinitionSubstitutions ?? {}) as Record<string, unknown>;
    const definitionText = text.replace(/\$\{([^}]+)\}/g, (whole, key: string) => (key in substitutions ? String(substitutions[key]) : whole));
    const arn = resolver.ref(id);
    definitions.set(arn, definitionText);
    const caller = options.iam.caller(id);
    machines.push(new LocalStateMachine(arn, resolver.physicalName(id), JSON.parse(definitionText), {
      taskHandler: options.taskHandlerFor(caller),
      timeScale: options.timeScale,
      onStatusChange: options.onStatusChange,
      objectStore: options.objectStoreFor(caller),
      roleArn: caller?.role.arn,
      authorizeChildExecutions: () => options.iam.check(caller, [{ action: 'states:StartExecution', resource: arn }], 'states')?.message,
    }));
  }
  onStop(() => {
    for (const m of machines) for (const e of m.executions.values()) if (e.status === 'RUNNING') e.abort();
  });
  return { machines, definitions };
}

/** The "Step Functions Execution Status Change" event Step Functions sends to EventBridge. */
export function statusChangeEvent(e: Execution): BusEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: ACCOUNT,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: REGION,
    resources: [e.executionArn],
    detail: {
      executionArn: e.executionArn,
      stateMachineArn: e.stateMachineArn,
      name: e.name,
      status: e.status,
      startDate: e.startDate.getTime(),
      stopDate: e.stopDate?.getTime() ?? null,
      input: e.input,
      output: e.output ?? null,
      inputDetails: { included: true },
      outputDetails: e.output === undefined ? null : { included: true },
      error: e.error ?? null,
      cause: e.cause ?? null,
    },
  };
}
