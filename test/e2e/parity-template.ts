// What the parity suite expects, read from the synthesized Local stage the e2e tests run (never from the runtime).
import { join } from 'node:path';
import { loadStack, resourcesOfType } from '../../local/core/assembly';
import { Resolver } from '../../local/core/cfn-resolver';
import { E2E_ASSEMBLY, ROOT } from './paths';

export interface ParityStack {
  readonly table: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- template properties
  readonly topicArn: string;
  readonly secretArn: string;
  readonly stateMachineRoleArn: string;
}

/** The template's orders table, alerts topic, first secret and the state machine's role ARN, resolved as AWS would. */
export function readStack(): ParityStack {
  const stack = loadStack(join(ROOT, E2E_ASSEMBLY), 'Local');
  const resolver = new Resolver(stack);
  const only = (type: string) => {
    const found = resourcesOfType(stack.template, type);
    if (found.length === 0) throw new Error(`the Local stage has no ${type}`);
    return found;
  };
  const [tableId, table] = only('AWS::DynamoDB::Table')[0];
  const [topicId] = only('AWS::SNS::Topic')[0];
  const [secretId] = only('AWS::SecretsManager::Secret')[0];
  const [, machine] = only('AWS::StepFunctions::StateMachine')[0];
  return {
    table: { ...(resolver.resolve(table.Properties) as Record<string, unknown>), logicalId: tableId },
    topicArn: resolver.ref(topicId),
    secretArn: resolver.ref(secretId),
    stateMachineRoleArn: String(resolver.resolve(machine.Properties?.RoleArn)),
  };
}
