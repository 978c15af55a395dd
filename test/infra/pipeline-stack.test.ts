// Covers: pipeline type V2 and self-mutation, GitHub source through CodeConnections, the synth step's
// commands, the account settings before the stages, Dev with a smoke test (its role's exact permissions over all
// its policies), Prod behind a manual approval, failure alerts to the pipeline's own topic, no assets in the
// pipeline stack, context validation errors, and cdk-nag.
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AssetManifestArtifact } from 'aws-cdk-lib/cx-api';
import { sourceFromContext } from '../../infra/config';
import { PipelineStack } from '../../infra/pipeline-stack';
import { nagFindings, synthPipelineStack, TEST_SOURCE } from './synth';

let stack: PipelineStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthPipelineStack());
});

type Stage = { Name: string; Actions: Array<{ Name: string; ActionTypeId: { Category: string; Provider: string }; Configuration?: Record<string, unknown> }> };
function stages(): Stage[] {
  const pipeline = Object.values(template.findResources('AWS::CodePipeline::Pipeline'))[0];
  return pipeline.Properties.Stages;
}

test('is a V2 pipeline that pulls the configured repo and branch through CodeConnections', () => {
  template.hasResourceProperties('AWS::CodePipeline::Pipeline', { PipelineType: 'V2', Name: 'energy-auction' });
  const source = stages()[0];
  expect(source.Name).toBe('Source');
  expect(source.Actions[0].ActionTypeId).toMatchObject({ Category: 'Source', Provider: 'CodeStarSourceConnection' });
  expect(source.Actions[0].Configuration).toMatchObject({
    ConnectionArn: TEST_SOURCE.connectionArn,
    FullRepositoryId: TEST_SOURCE.repo,
    BranchName: TEST_SOURCE.branch,
  });
});

test('runs synth, updates itself, deploys the account settings, then Dev with a smoke test and Prod after a manual approval', () => {
  const names = stages().map((stage) => stage.Name);
  expect(names).toEqual(['Source', 'Build', 'UpdatePipeline', 'Account', 'Assets', 'Dev', 'Prod']);
  const dev = stages().find((stage) => stage.Name === 'Dev')!;
  expect(dev.Actions.map((action) => action.Name)).toEqual(expect.arrayContaining(['SmokeTest']));
  const prod = stages().find((stage) => stage.Name === 'Prod')!;
  const approval = prod.Actions.find((action) => action.ActionTypeId.Category === 'Approval');
  expect(approval?.Name).toBe('PromoteToProd');
  expect(prod.Actions.filter((action) => action.ActionTypeId.Provider === 'CloudFormation').length).toBeGreaterThan(0);
});

test('the synth step runs the one build script (lint, typecheck, test, synth) with the source context, on Node 22', () => {
  const projects = template.findResources('AWS::CodeBuild::Project');
  const synth = Object.values(projects).find((project) => JSON.stringify(project.Properties.Source.BuildSpec).includes('scripts/build.sh'));
  const buildSpec = JSON.parse(synth!.Properties.Source.BuildSpec);
  expect(buildSpec.phases.install['runtime-versions']).toEqual({ nodejs: '22' });
  const commands: string[] = buildSpec.phases.build.commands;
  expect(commands).toEqual([
    'npm ci',
    `bash scripts/build.sh -c connectionArn=${TEST_SOURCE.connectionArn} -c repo=${TEST_SOURCE.repo} -c branch=${TEST_SOURCE.branch}`,
  ]);
});

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;
const asList = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** An ARN or resource as text: `${Id}` for a Ref, `${Id.Attr}` for a GetAtt, joins concatenated. */
function renderArn(value: unknown): string {
  if (typeof value === 'string') return value;
  const object = value as Record<string, unknown>;
  // The app targets the aws partition only (cdk.json); a feature flag decides whether CDK writes it as a Ref or a literal.
  if (object.Ref === 'AWS::Partition') return 'aws';
  if (typeof object.Ref === 'string') return `\${${object.Ref}}`;
  if (Array.isArray(object['Fn::GetAtt'])) return `\${${(object['Fn::GetAtt'] as string[]).join('.')}}`;
  if (Array.isArray(object['Fn::Join'])) {
    const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
    return parts.map(renderArn).join(separator);
  }
  throw new Error(`Cannot render ${JSON.stringify(value)}`);
}

/**
 * Everything a role may do, over all its policies (inline, AWS::IAM::Policy and customer managed policies that
 * name it, managed policy ARNs), as sorted `[DENY ]action on resource[ if condition]` lines: one extra grant in any
 * statement of any policy shows.
 */
function rolePermissions(resources: Resources, roleId: string): string[] {
  const role = resources[roleId];
  if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${roleId} is not a role of the template`);
  const documents = asList(role.Properties?.Policies).map((inline) => (inline as { PolicyDocument: unknown }).PolicyDocument);
  const lines = asList(role.Properties?.ManagedPolicyArns).map((arn) => `managed ${renderArn(arn)}`);
  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::IAM::Policy' && resource.Type !== 'AWS::IAM::ManagedPolicy') continue;
    const attached = asList(resource.Properties?.Roles).some((ref) => (ref as { Ref?: string }).Ref === roleId)
      || asList(role.Properties?.ManagedPolicyArns).some((arn) => (arn as { Ref?: string }).Ref === id);
    if (attached) documents.push(resource.Properties!.PolicyDocument);
  }
  for (const statement of documents.flatMap((document) => asList((document as { Statement?: unknown }).Statement)) as Array<Record<string, unknown>>) {
    const effect = statement.Effect === 'Allow' ? '' : `${String(statement.Effect).toUpperCase()} `;
    const actions = statement.NotAction !== undefined ? asList(statement.NotAction).map((a) => `NOT ${renderArn(a)}`) : asList(statement.Action).map(renderArn);
    const targets = statement.NotResource !== undefined ? asList(statement.NotResource).map((r) => `NOT ${renderArn(r)}`) : asList(statement.Resource).map(renderArn);
    const condition = statement.Condition === undefined ? '' : ` if ${JSON.stringify(statement.Condition)}`;
    lines.push(...actions.flatMap((action) => targets.map((target) => `${effect}${action} on ${target}${condition}`)));
  }
  return [...new Set(lines)].sort();
}

/** The smoke test's CodeBuild project and the role it runs as. */
function smokeTestProject(resources: Resources): { projectId: string; roleId: string } {
  const found = Object.entries(resources).filter(([, resource]) => resource.Type === 'AWS::CodeBuild::Project'
    && JSON.stringify((resource.Properties!.Source as { BuildSpec?: unknown }).BuildSpec).includes('smoke-test.sh'));
  expect(found).toHaveLength(1);
  const [[projectId, project]] = found;
  return { projectId, roleId: (project.Properties!.ServiceRole as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0] };
}

test('the smoke test reads the Dev API outputs and may only read API keys (besides its own logs, reports and source)', () => {
  const resources = template.toJSON().Resources as Resources;
  const { projectId, roleId } = smokeTestProject(resources);
  const [artifactsBucket] = Object.keys(template.findResources('AWS::S3::Bucket'));
  const project = `\${${projectId}}`;
  const logGroup = `arn:aws:logs:eu-west-1:\${AWS::AccountId}:log-group:/aws/codebuild/${project}`;
  const bucket = `\${${artifactsBucket}.Arn}`;

  const smokeAction = stages().find((stage) => stage.Name === 'Dev')!.Actions.find((action) => action.Name === 'SmokeTest')!;
  expect(JSON.parse(String(smokeAction.Configuration!.EnvironmentVariables)).map((variable: { name: string }) => variable.name)).toEqual(['API_URL', 'API_KEY_ID']);
  // Exactly these, across all its policies: CodeBuild's own log group and report groups, the source artifact, and
  // GET on API keys (the key's id is a Dev output, unknown to this stack).
  expect(rolePermissions(resources, roleId)).toEqual([
    'apigateway:GET on arn:aws:apigateway:eu-west-1::/apikeys/*',
    ...['codebuild:BatchPutCodeCoverages', 'codebuild:BatchPutTestCases', 'codebuild:CreateReport', 'codebuild:CreateReportGroup', 'codebuild:UpdateReport']
      .map((action) => `${action} on arn:aws:codebuild:eu-west-1:\${AWS::AccountId}:report-group/${project}-*`),
    ...['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'].flatMap((action) => [`${action} on ${logGroup}`, `${action} on ${logGroup}:*`]),
    ...['s3:GetBucket*', 's3:GetObject*', 's3:List*'].flatMap((action) => [`${action} on ${bucket}`, `${action} on ${bucket}/*`]),
  ].sort());
});

test('the smoke-test role check sees a grant added in a second policy or a widened statement', () => {
  const resources = JSON.parse(JSON.stringify(template.toJSON().Resources)) as Resources;
  const { roleId } = smokeTestProject(resources);
  const before = rolePermissions(resources, roleId);
  resources.Planted = { Type: 'AWS::IAM::Policy', Properties: { Roles: [{ Ref: roleId }], PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'ssm:GetParameter', Resource: '*' }] } } };
  const policy = Object.values(resources).find((resource) => resource.Type === 'AWS::IAM::Policy'
    && asList(resource.Properties!.Roles).some((ref) => (ref as { Ref?: string }).Ref === roleId) && resource !== resources.Planted)!;
  const statements = (policy.Properties!.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement;
  const apiKeys = statements.find((statement) => statement.Action === 'apigateway:GET')!;
  apiKeys.Action = ['apigateway:GET', 'apigateway:DELETE'];

  expect(rolePermissions(resources, roleId).filter((line) => !before.includes(line))).toEqual([
    'apigateway:DELETE on arn:aws:apigateway:eu-west-1::/apikeys/*',
    'ssm:GetParameter on *',
  ]);
});

test('pipeline failures go to the pipeline stack\'s own encrypted topic, which EventBridge may publish to', () => {
  const topicId = Object.keys(template.findResources('AWS::SNS::Topic', { Properties: { TopicName: 'energy-auction-pipeline-alerts' } }))[0];
  expect(topicId).toBeDefined();
  template.hasResourceProperties('AWS::Events::Rule', {
    EventPattern: {
      source: ['aws.codepipeline'],
      'detail-type': ['CodePipeline Pipeline Execution State Change'],
      detail: { state: ['FAILED'], pipeline: [Match.anyValue()] },
    },
    Targets: [Match.objectLike({ Arn: { Ref: topicId } })],
  });
  template.hasResourceProperties('AWS::SNS::TopicPolicy', {
    Topics: [{ Ref: topicId }],
    PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sns:Publish' })]) },
  });
});

test('the pipeline stack itself holds no assets and no account id', () => {
  const assembly = (stack.node.root as App).synth();
  const manifest = assembly.artifacts.find((artifact): artifact is AssetManifestArtifact =>
    artifact instanceof AssetManifestArtifact && artifact.id === `${stack.artifactId}.assets`);
  const files = Object.values(manifest!.contents.files ?? {}).map((file) => file.source.path);
  expect(files).toEqual([stack.templateFile]);
  expect(Object.keys(manifest!.contents.dockerImages ?? {})).toEqual([]);
  expect(Object.keys(template.findResources('AWS::Lambda::Function'))).toEqual([]);
  const json = JSON.stringify(template.toJSON());
  // Standalone 12-digit numbers only: asset hashes contain digit runs too.
  const accountsInTemplate = json.match(/(?<![\w-])\d{12}(?![\w-])/g)?.filter((id) => !TEST_SOURCE.connectionArn.includes(id)) ?? [];
  expect(accountsInTemplate).toEqual([]);
});

test('cdk-nag AwsSolutions leaves no unsuppressed finding in the pipeline or its stages', () => {
  expect(nagFindings(stack)).toEqual([]);
});

describe('source context', () => {
  const context = (values: Record<string, unknown>) => (key: string) => values[key];

  test('is optional: no connection means no pipeline', () => {
    expect(sourceFromContext(context({ repo: 'a/b', branch: 'master' }))).toBeUndefined();
  });

  test('is read whole when given', () => {
    expect(sourceFromContext(context(TEST_SOURCE))).toEqual(TEST_SOURCE);
  });

  test.each([
    [{ ...TEST_SOURCE, connectionArn: 'not-an-arn' }, /"connectionArn" must be a CodeConnections ARN/],
    [{ ...TEST_SOURCE, repo: 'no-owner' }, /"repo" must be "owner\/name"/],
    [{ ...TEST_SOURCE, branch: '' }, /"branch" must be a branch name/],
  ])('explains what is wrong: %j', (values, message) => {
    expect(() => sourceFromContext(context(values))).toThrow(message);
  });
});
