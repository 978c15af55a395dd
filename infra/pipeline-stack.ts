import { Aspects, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { AwsSolutionsChecks, NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { AccountStage } from './account-stage';
import { AppStage } from './app-stage';
import { PIPELINE_ALERTS_TOPIC, REGION, SourceConfig, stages, validateAccountConcurrency } from './config';

export interface PipelineStackProps extends StackProps {
  readonly source: SourceConfig;
}

/**
 * Self-mutating CDK pipeline (SPEC 2.6): GitHub through CodeConnections -> synth (lint, typecheck, tests,
 * cdk synth) -> the account's settings -> Dev with a smoke test against its API -> manual approval -> Prod.
 * The stack holds no assets of its own. Failures go to its own alerts topic, which exists before any
 * stage does; the Dev stage's notifier relays that topic to Slack.
 */
export class PipelineStack extends Stack {
  public readonly pipeline: pipelines.CodePipeline;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { repo, branch, connectionArn } = props.source;
    // Dev and Prod share this account (and their gate closures): their store-result budgets add up.
    validateAccountConcurrency([stages.Dev, stages.Prod]);
    const node22 = codebuild.BuildSpec.fromObject({ phases: { install: { 'runtime-versions': { nodejs: '22' } } } });
    const buildEnvironment: codebuild.BuildEnvironment = { buildImage: codebuild.LinuxBuildImage.STANDARD_7_0 };

    const source = pipelines.CodePipelineSource.connection(repo, branch, {
      connectionArn,
      triggerOnPush: true,
    });

    this.pipeline = new pipelines.CodePipeline(this, 'Pipeline', {
      pipelineName: 'energy-auction',
      pipelineType: codepipeline.PipelineType.V2,
      selfMutation: true,
      crossAccountKeys: false,
      codeBuildDefaults: { buildEnvironment, partialBuildSpec: node22 },
      synth: new pipelines.CodeBuildStep('Synth', {
        input: source,
        commands: [
          'npm ci',
          // The project's one build (lint, typecheck, test, synth), as CI runs it. The source settings are
          // passed on to synth so the synthesized pipeline matches the running one.
          `bash scripts/build.sh -c connectionArn=${connectionArn} -c repo=${repo} -c branch=${branch}`,
        ],
        primaryOutputDirectory: 'cdk.out',
      }),
    });

    const env = { account: props.env?.account, region: REGION };
    // Account-wide settings first: the stages' API stages need the account's API Gateway logging role.
    this.pipeline.addStage(new AccountStage(this, 'Account', { env }));
    const dev = new AppStage(this, 'Dev', { config: stages.Dev, env, relayTopicName: PIPELINE_ALERTS_TOPIC });
    this.pipeline.addStage(dev, {
      post: [new pipelines.CodeBuildStep('SmokeTest', {
        input: source,
        envFromCfnOutputs: { API_URL: dev.apiUrl, API_KEY_ID: dev.apiKeyId },
        rolePolicyStatements: [new iam.PolicyStatement({
          actions: ['apigateway:GET'],
          resources: [`arn:${this.partition}:apigateway:${REGION}::/apikeys/*`],
        })],
        commands: ['bash scripts/smoke-test.sh'],
      })],
    });
    const prod = new AppStage(this, 'Prod', { config: stages.Prod, env });
    this.pipeline.addStage(prod, { pre: [new pipelines.ManualApprovalStep('PromoteToProd', { comment: 'Dev is deployed and its smoke test passed. Promote to Prod?' })] });

    this.pipeline.buildPipeline();
    this.allowConnectionUse(connectionArn);

    // The pipeline's own topic: its failures have somewhere to go before (and whether or not) a stage exists.
    const key = new kms.Key(this, 'AlertsKey', {
      description: 'Encrypts the deployment pipeline\'s alerts',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    key.addToResourcePolicy(new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('events.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
    }));
    const alertsTopic = new sns.Topic(this, 'Alerts', {
      topicName: PIPELINE_ALERTS_TOPIC,
      displayName: 'Energy auction deployment alerts',
      masterKey: key,
      enforceSSL: true,
    });
    new events.Rule(this, 'PipelineFailed', {
      description: 'Alerts Slack when the deployment pipeline fails',
      eventPattern: {
        source: ['aws.codepipeline'],
        detailType: ['CodePipeline Pipeline Execution State Change'],
        detail: { state: ['FAILED'], pipeline: [this.pipeline.pipeline.pipelineName] },
      },
      targets: [new targets.SnsTopic(alertsTopic)],
    });

    Aspects.of(this).add(new AwsSolutionsChecks({ verbose: true }));
    NagSuppressions.addStackSuppressions(this, [
      { id: 'AwsSolutions-IAM5', reason: 'CDK Pipelines grants its CodeBuild projects and actions access to artifact objects (bucket/*), their own log streams and the bootstrap roles (cdk-*); these are generated by the construct and scoped to this pipeline.' },
      { id: 'AwsSolutions-S1', reason: 'The artifact bucket holds short-lived build artifacts; CloudTrail covers access auditing.' },
      { id: 'AwsSolutions-CB4', reason: 'CodeBuild encrypts its output with the artifact bucket encryption (S3-managed); no customer key is needed for build artifacts.' },
      { id: 'AwsSolutions-KMS5', reason: 'No cross-account keys are created (crossAccountKeys: false).' },
    ]);
  }

  /**
   * CDK grants the source action `codestar-connections:UseConnection`, but AWS matches a policy's service
   * prefix against the resource's: a connection created since the rename (`arn:aws:codeconnections:...`)
   * needs `codeconnections:UseConnection`.
   */
  private allowConnectionUse(connectionArn: string): void {
    const service = connectionArn.split(':')[2];
    if (service === 'codestar-connections') return;
    const sourceRoles = this.pipeline.pipeline.node.findAll()
      .filter((construct): construct is iam.Role => construct instanceof iam.Role && construct.node.path.includes('/Source/'));
    if (sourceRoles.length === 0) throw new Error('No source action role found in the pipeline to grant the connection to');
    for (const role of sourceRoles) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [`${service}:UseConnection`], resources: [connectionArn] }));
    }
  }
}
