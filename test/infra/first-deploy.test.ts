// Scenarios: over every stack of the synthesized app - no resource with a fixed physical name is plainly retained (a create that rolls back would leave it and the retry fail on "already exists"); named retained resources are RetainExceptOnCreate; a deletion-protected table is plainly retained with a generated name; Prod's table is deletion-protected, Dev's and Local's are not; fixed physical names are unique across the stacks of the account and within AWS's length limits; AWS::ApiGateway::Account is declared by one stack only, deployed by the pipeline before the stages that log API executions; the source action may use the connection under the ARN's own service prefix (codeconnections and codestar-connections); pipeline failures go to a topic of the pipeline stack that the Dev notifier subscribes to by name; the Slack secret starts with the UNSET marker the notifier recognizes; the Maps' concurrency in the template fits each stage's store-result budget and the stages of the account fit its Lambda concurrency; no function reserves concurrency; the checkers flag planted mistakes.
import { App } from 'aws-cdk-lib';
import type { CloudAssembly, CloudFormationStackArtifact } from 'aws-cdk-lib/cx-api';
import { SlackWebhookUnset } from '../../src/alerts/errors';
import { parseWebhookUrl, UNSET_WEBHOOK_SECRET } from '../../src/alerts/webhook-url';
import { ACCOUNT_LAMBDA_CONCURRENCY, PIPELINE_ALERTS_TOPIC, stages, validateAccountConcurrency, validateStageConfig } from '../../infra/config';
import { PipelineStack } from '../../infra/pipeline-stack';
import { renderDefinition, synthApp, TEST_SOURCE, type CfnResource, type Json } from './synth';

type Resources = Record<string, CfnResource>;

/** The property holding each type's physical name, where AWS makes it unique in the account and region. */
const NAME_PROPERTY: Record<string, string> = {
  'AWS::S3::Bucket': 'BucketName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::CloudWatch::Alarm': 'AlarmName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::KMS::Alias': 'AliasName',
  'AWS::CodePipeline::Pipeline': 'Name',
  'AWS::CodeBuild::Project': 'Name',
  'AWS::Events::Rule': 'Name',
};
/** AWS's longest names (S3 also needs 3..63 lowercase characters). */
const MAX_NAME_LENGTH: Record<string, number> = {
  'AWS::S3::Bucket': 63, 'AWS::Logs::LogGroup': 512, 'AWS::DynamoDB::Table': 255, 'AWS::SNS::Topic': 256, 'AWS::SQS::Queue': 80,
  'AWS::SecretsManager::Secret': 512, 'AWS::Lambda::Function': 64, 'AWS::StepFunctions::StateMachine': 80, 'AWS::CloudWatch::Alarm': 255,
  'AWS::IAM::Role': 64, 'AWS::KMS::Alias': 256, 'AWS::CodePipeline::Pipeline': 100, 'AWS::CodeBuild::Project': 150, 'AWS::Events::Rule': 64,
};

/** A physical name as it will be in the account (`${AWS::AccountId}` as 12 digits), or undefined when generated. */
function physicalName(resource: CfnResource): string | undefined {
  const property = NAME_PROPERTY[resource.Type];
  const value = property ? resource.Properties?.[property] : undefined;
  if (value === undefined) return undefined;
  const render = (v: Json): string => {
    if (typeof v === 'string') return v;
    const o = v as Record<string, Json>;
    if (o && 'Fn::Join' in o) {
      const [separator, parts] = o['Fn::Join'] as [string, Json[]];
      return parts.map(render).join(separator);
    }
    if (o && o.Ref === 'AWS::AccountId') return '123456789012';
    if (o && o.Ref === 'AWS::Region') return 'eu-west-1';
    return `<${JSON.stringify(v)}>`;
  };
  return render(value);
}

/** Named resources CloudFormation would leave behind when the create that made them rolls back. */
export function rollbackLeftovers(resources: Resources): string[] {
  return Object.entries(resources)
    .filter(([, r]) => physicalName(r) !== undefined && r.DeletionPolicy === 'Retain')
    .map(([id, r]) => `${id} (${r.Type} ${physicalName(r)})`);
}

/** Tables CloudFormation could not delete when their create rolls back, unless plainly retained and unnamed. */
export function protectedTableProblems(resources: Resources): string[] {
  return Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::DynamoDB::Table' && r.Properties?.DeletionProtectionEnabled === true)
    .filter(([, r]) => r.DeletionPolicy !== 'Retain' || physicalName(r) !== undefined)
    .map(([id, r]) => `${id}: DeletionPolicy ${r.DeletionPolicy ?? 'Delete'}, name ${physicalName(r) ?? 'generated'}`);
}

let assembly: CloudAssembly;
let stacks: CloudFormationStackArtifact[];
const stackAt = (path: string) => stacks.find((s) => s.hierarchicalId === path)!;
const resourcesAt = (path: string) => stackAt(path).template.Resources as Resources;
const ofType = (resources: Resources, type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

beforeAll(() => {
  assembly = synthApp();
  stacks = assembly.stacksRecursively;
});

describe('a create that rolls back can be retried', () => {
  test.each(['Local/Auction', 'Pipeline', 'Pipeline/Account/Settings', 'Pipeline/Dev/Auction', 'Pipeline/Prod/Auction'])('%s: no named resource is plainly retained', (path) => {
    expect(rollbackLeftovers(resourcesAt(path))).toEqual([]);
  });

  test('the named stateful resources are kept on delete and update, but not when their create rolls back', () => {
    const resources = resourcesAt('Pipeline/Prod/Auction');
    const named = ofType(resources, 'AWS::Logs::LogGroup').filter(([, r]) => physicalName(r) !== undefined);
    expect(named.length).toBeGreaterThanOrEqual(9);
    for (const [, group] of [...named, ...ofType(resources, 'AWS::S3::Bucket').filter(([, r]) => physicalName(r)?.includes('order-results'))]) {
      expect({ DeletionPolicy: group.DeletionPolicy, UpdateReplacePolicy: group.UpdateReplacePolicy }).toEqual({ DeletionPolicy: 'RetainExceptOnCreate', UpdateReplacePolicy: 'Retain' });
    }
  });

  test.each([['Local/Auction', false], ['Pipeline/Dev/Auction', false], ['Pipeline/Prod/Auction', true]])('%s: table deletion protection %s', (path, expected) => {
    const [[, table]] = ofType(resourcesAt(path), 'AWS::DynamoDB::Table');
    expect(table.Properties?.DeletionProtectionEnabled ?? false).toBe(expected);
    expect(protectedTableProblems(resourcesAt(path))).toEqual([]);
  });

  test('the checkers flag a named bucket that is plainly retained and a protected table with a name', () => {
    const resources: Resources = {
      Named: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'x-order-results' }, DeletionPolicy: 'Retain' },
      Unnamed: { Type: 'AWS::S3::Bucket', Properties: {}, DeletionPolicy: 'Retain' },
      Protected: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: 'orders', DeletionProtectionEnabled: true }, DeletionPolicy: 'RetainExceptOnCreate' },
    };
    expect(rollbackLeftovers(resources)).toEqual(['Named (AWS::S3::Bucket x-order-results)']);
    expect(protectedTableProblems(resources)).toEqual(['Protected: DeletionPolicy RetainExceptOnCreate, name orders']);
  });

  test('a protected table needs a plainly retained table: the stage config says so at synth', () => {
    expect(() => validateStageConfig({ ...stages.Prod, tableRemovalPolicy: stages.Dev.tableRemovalPolicy })).toThrow(/tableDeletionProtection needs tableRemovalPolicy RETAIN/);
  });
});

test('fixed physical names are unique in the account and within AWS length limits', () => {
  const seen = new Map<string, string>();
  const problems: string[] = [];
  for (const stack of stacks) {
    for (const [id, resource] of Object.entries(stack.template.Resources as Resources)) {
      const name = physicalName(resource);
      if (name === undefined) continue;
      const key = `${resource.Type} ${name}`;
      if (seen.has(key)) problems.push(`${key} in ${seen.get(key)} and ${stack.hierarchicalId}/${id}`);
      seen.set(key, `${stack.hierarchicalId}/${id}`);
      if (name.length > MAX_NAME_LENGTH[resource.Type]) problems.push(`${key} is longer than ${MAX_NAME_LENGTH[resource.Type]}`);
      if (resource.Type === 'AWS::S3::Bucket' && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name)) problems.push(`${key} is not a valid bucket name`);
    }
  }
  expect(seen.size).toBeGreaterThan(50);
  expect(problems).toEqual([]);
});

describe('account-wide settings are owned once', () => {
  const deployed = () => stacks.filter((s) => s.hierarchicalId.startsWith('Pipeline'));

  test('AWS::ApiGateway::Account is declared by the account settings stack only', () => {
    const owners = deployed().filter((s) => ofType(s.template.Resources, 'AWS::ApiGateway::Account').length > 0).map((s) => s.hierarchicalId);
    expect(owners).toEqual(['Pipeline/Account/Settings']);
    expect(ofType(resourcesAt('Local/Auction'), 'AWS::ApiGateway::Account')).toEqual([]);
    const [[, account]] = ofType(resourcesAt('Pipeline/Account/Settings'), 'AWS::ApiGateway::Account');
    const roleId = (account.Properties!.CloudWatchRoleArn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
    expect(resourcesAt('Pipeline/Account/Settings')[roleId]).toMatchObject({ Type: 'AWS::IAM::Role', DeletionPolicy: 'Retain' });
  });

  test('the pipeline deploys the account settings before every stage whose API stage writes execution logs', () => {
    const [[, pipeline]] = ofType(resourcesAt('Pipeline'), 'AWS::CodePipeline::Pipeline');
    const order = (pipeline.Properties!.Stages as Array<{ Name: string }>).map((stage) => stage.Name);
    const logging = deployed().filter((s) => ofType(s.template.Resources, 'AWS::ApiGateway::Stage')
      .some(([, stage]) => JSON.stringify(stage.Properties?.MethodSettings ?? []).includes('LoggingLevel')));
    expect(logging.map((s) => s.hierarchicalId)).toEqual(['Pipeline/Dev/Auction', 'Pipeline/Prod/Auction']);
    for (const stack of logging) {
      expect(order.indexOf('Account')).toBeGreaterThanOrEqual(0);
      expect(order.indexOf('Account')).toBeLessThan(order.indexOf(stack.hierarchicalId.split('/')[1]));
    }
  });
});

describe('the source action may use the connection', () => {
  /** Roles that are granted something on a connection but not `<the ARN's service>:UseConnection` on it. */
  function connectionGrantProblems(resources: Resources): string[] {
    const granted = new Map<string, Set<string>>();
    for (const [, policy] of ofType(resources, 'AWS::IAM::Policy')) {
      const roles = ([] as Json[]).concat(policy.Properties!.Roles ?? []).map((r) => JSON.stringify(r));
      for (const statement of (policy.Properties!.PolicyDocument as { Statement: Array<{ Action: Json; Resource: Json }> }).Statement) {
        for (const arn of ([] as Json[]).concat(statement.Resource).filter((r): r is string => typeof r === 'string' && /:connection\//.test(r))) {
          for (const role of roles) {
            const key = `${role} on ${arn}`;
            granted.set(key, new Set([...(granted.get(key) ?? []), ...([] as Json[]).concat(statement.Action).map(String)]));
          }
        }
      }
    }
    return [...granted].filter(([key, actions]) => !actions.has(`${key.split(' on ')[1].split(':')[2]}:UseConnection`))
      .map(([key, actions]) => `${key}: only ${[...actions].join(', ')}`);
  }

  test.each([
    ['codeconnections', TEST_SOURCE.connectionArn],
    ['codestar-connections', TEST_SOURCE.connectionArn.replace(':codeconnections:', ':codestar-connections:')],
  ])('a %s connection ARN is used under its own prefix', (service, connectionArn) => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new PipelineStack(app, 'Pipeline', { env: { region: 'eu-west-1' }, source: { ...TEST_SOURCE, connectionArn } });
    const resources = app.synth().getStackArtifact(stack.artifactId).template.Resources as Resources;
    expect(JSON.stringify(resources)).toContain(`"${service}:UseConnection"`);
    expect(connectionGrantProblems(resources)).toEqual([]);
  });

  test('the synthesized pipeline passes, and the checker flags a role with the other prefix only', () => {
    expect(connectionGrantProblems(resourcesAt('Pipeline'))).toEqual([]);
    const planted: Resources = {
      P: { Type: 'AWS::IAM::Policy', Properties: { Roles: [{ Ref: 'SourceRole' }], PolicyDocument: { Statement: [{ Action: 'codestar-connections:UseConnection', Resource: TEST_SOURCE.connectionArn }] } } },
    };
    expect(connectionGrantProblems(planted)).toEqual([`{"Ref":"SourceRole"} on ${TEST_SOURCE.connectionArn}: only codestar-connections:UseConnection`]);
  });
});

describe('pipeline failures reach Slack without depending on a stage', () => {
  test('the failure rule targets the pipeline stack\'s own encrypted topic', () => {
    const resources = resourcesAt('Pipeline');
    const [[topicId, topic]] = ofType(resources, 'AWS::SNS::Topic');
    expect(topic.Properties).toMatchObject({ TopicName: PIPELINE_ALERTS_TOPIC, KmsMasterKeyId: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } });
    const [[, rule]] = ofType(resources, 'AWS::Events::Rule');
    expect(rule.Properties).toMatchObject({ EventPattern: { source: ['aws.codepipeline'], detail: { state: ['FAILED'] } } });
    expect((rule.Properties!.Targets as Array<{ Arn: Json }>).map((t) => t.Arn)).toEqual([{ Ref: topicId }]);
  });

  test('the Dev notifier subscribes to that topic by name, with the dead-letter queue, and may be invoked by it', () => {
    const resources = resourcesAt('Pipeline/Dev/Auction');
    const topicArn = { 'Fn::Join': ['', ['arn:aws:sns:eu-west-1:', { Ref: 'AWS::AccountId' }, `:${PIPELINE_ALERTS_TOPIC}`]] };
    const subscriptions = ofType(resources, 'AWS::SNS::Subscription').filter(([, s]) => JSON.stringify(s.Properties!.TopicArn).includes(PIPELINE_ALERTS_TOPIC));
    expect(subscriptions).toHaveLength(1);
    const [, subscription] = subscriptions[0];
    expect(subscription.Properties!.TopicArn).toEqual(topicArn);
    const notifierId = (subscription.Properties!.Endpoint as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
    expect(resources[notifierId].Properties).toMatchObject({ FunctionName: 'energy-auction-dev-slack-notifier' });
    expect(subscription.Properties).toMatchObject({ Protocol: 'lambda', RedrivePolicy: { deadLetterTargetArn: expect.anything() } });
    expect(ofType(resources, 'AWS::Lambda::Permission').some(([, p]) => JSON.stringify(p.Properties!.SourceArn) === JSON.stringify(topicArn))).toBe(true);
    // Only Dev relays it, so a pipeline failure is one Slack message.
    for (const path of ['Pipeline/Prod/Auction', 'Local/Auction']) {
      expect(JSON.stringify(resourcesAt(path))).not.toContain(PIPELINE_ALERTS_TOPIC);
    }
  });
});

test.each(['Local/Auction', 'Pipeline/Dev/Auction', 'Pipeline/Prod/Auction'])('%s: the Slack secret starts as the UNSET marker the notifier recognizes', (path) => {
  const [[, secret]] = ofType(resourcesAt(path), 'AWS::SecretsManager::Secret').filter(([, s]) => String(s.Properties?.Name).endsWith('/slack-webhook'));
  expect(secret.Properties).toMatchObject({ SecretString: UNSET_WEBHOOK_SECRET });
  expect(secret.Properties!.GenerateSecretString).toBeUndefined();
  expect(() => parseWebhookUrl(String(secret.Properties!.SecretString))).toThrow(SlackWebhookUnset);
});

describe('store-result concurrency fits the account', () => {
  /** MaxConcurrency of every Map in the definition, outermost first. */
  function mapConcurrencies(states: Record<string, Record<string, Json>>): number[][] {
    const chains: number[][] = [];
    for (const state of Object.values(states)) {
      if (state.Type !== 'Map') continue;
      const own = Number(state.MaxConcurrency ?? 0);
      const inner = mapConcurrencies(((state.ItemProcessor ?? state.Iterator) as { States: Record<string, Record<string, Json>> }).States);
      chains.push(...(inner.length ? inner.map((chain) => [own, ...chain]) : [[own]]));
    }
    return chains;
  }

  test.each([['Local/Auction', 'Local'], ['Pipeline/Dev/Auction', 'Dev'], ['Pipeline/Prod/Auction', 'Prod']] as const)('%s: the nested Maps never ask for more store-result invocations than the budget', (path, stage) => {
    const [[, machine]] = ofType(resourcesAt(path), 'AWS::StepFunctions::StateMachine');
    const definition = renderDefinition(machine.Properties!.DefinitionString) as { States: Record<string, Record<string, Json>> };
    const chains = mapConcurrencies(definition.States);
    expect(chains.length).toBeGreaterThanOrEqual(2);
    for (const chain of chains) {
      expect(chain).not.toContain(0); // 0 means unbounded
      expect(chain.reduce((a, b) => a * b, 1)).toBeLessThanOrEqual(stages[stage].results.storeConcurrencyBudget);
    }
  });

  test('the stages of the account leave half its Lambda concurrency to the API and the other functions', () => {
    expect(stages.Dev.results.storeConcurrencyBudget + stages.Prod.results.storeConcurrencyBudget).toBeLessThanOrEqual(ACCOUNT_LAMBDA_CONCURRENCY / 2);
    expect(() => validateAccountConcurrency([stages.Dev, { ...stages.Prod, results: { ...stages.Prod.results, storeConcurrencyBudget: 40 } }]))
      .toThrow('The stages of one account may run Dev 20 + Prod 40 = 60 store-result invocations at once, more than half of the 100 concurrent Lambda executions');
    expect(() => validateStageConfig({ ...stages.Dev, results: { ...stages.Dev.results, batchConcurrency: 3 } }))
      .toThrow('results.mapConcurrency x results.batchConcurrency (30) must not exceed results.storeConcurrencyBudget (20)');
  });

  test('no function reserves concurrency (a new account cannot, with fewer than 100 unreserved executions left)', () => {
    for (const stack of stacks) {
      for (const [id, fn] of ofType(stack.template.Resources, 'AWS::Lambda::Function')) {
        expect([id, fn.Properties?.ReservedConcurrentExecutions]).toEqual([id, undefined]);
      }
    }
  });
});
