// Covers: pipeline type V2 and self-mutation, GitHub source through CodeConnections, the synth step's
// commands, the account settings before the stages, Dev with a smoke test, Prod behind a manual approval,
// failure alerts to the pipeline's own topic, no assets in the pipeline stack, context validation errors,
// and cdk-nag.
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

test('the smoke test reads the Dev API outputs and may only read API keys', () => {
  const projects = Object.values(template.findResources('AWS::CodeBuild::Project'));
  const smoke = projects.find((project) => JSON.stringify(project.Properties.Source.BuildSpec).includes('smoke-test.sh'));
  expect(smoke).toBeDefined();
  template.hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
      Action: 'apigateway:GET',
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':apigateway:eu-west-1::/apikeys/*']] },
    })]) },
  });
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
