import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AppStage } from '../../infra/app-stage';
import { buildApp } from '../../infra/build-app';
import { REGION, StageConfig, StageName, stages } from '../../infra/config';
import { PipelineStack } from '../../infra/pipeline-stack';

/** Skips esbuild bundling: infra tests assert properties; the e2e suite runs the real bundles. */
const NO_BUNDLING = {
  'aws:cdk:bundling-stacks': [],
  // Same as cdk.json: without it CDK silently drops a Distributed Map's ResultWriterV2.
  '@aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2': true,
};

export const TEST_SOURCE = {
  repo: 'energy-trading/energy-auction-pipeline',
  branch: 'master',
  connectionArn: 'arn:aws:codeconnections:eu-west-1:111111111111:connection/00000000-0000-0000-0000-000000000000',
};

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** One resource of a synthesized template, as CloudFormation reads it. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, Json>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

/**
 * One stage's auction stack. The config defaults to the shipped one; tests pass a changed copy to see a
 * setting flow into the template (the stage validates it first, as `cdk synth` does).
 */
export function synthStage(stageName: StageName, config: StageConfig = stages[stageName]): { stack: Stack; template: Template } {
  const app = new App({ context: NO_BUNDLING });
  const stage = new AppStage(app, stageName, { config, env: { region: REGION } });
  const stack = stage.node.findChild('Auction') as Stack;
  return { stack, template: Template.fromStack(stack) };
}

/** The Local stage's one stack, as the local runtime and `cdk synth` see it. */
export function synthAuctionStack(): { stack: Stack; template: Template } {
  return synthStage('Local');
}

export function synthPipelineStack(): { stack: PipelineStack; template: Template } {
  const app = new App({ context: NO_BUNDLING });
  const stack = new PipelineStack(app, 'Pipeline', { env: { region: REGION }, source: TEST_SOURCE });
  return { stack, template: Template.fromStack(stack) };
}

/**
 * The whole app as `cdk synth -c connectionArn=...` builds it (cdk.json's context, the Local stage, the
 * pipeline and its stages), without bundling; `null` synthesizes it without a connection (Local only).
 * Its nested assemblies are what `cdk ls` lists.
 */
export function synthApp(connectionArn: string | null = TEST_SOURCE.connectionArn): CloudAssembly {
  const cdkJson = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const app = new App({ context: { ...cdkJson.context, ...NO_BUNDLING, ...(connectionArn === null ? {} : { connectionArn }) } });
  buildApp(app);
  return app.synth();
}

/** cdk-nag findings left after suppressions, as "path: message" lines (empty when clean). */
export function nagFindings(stack: Stack): string[] {
  const annotations = Annotations.fromStack(stack);
  return [
    ...annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*')),
    ...annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*')),
  ].map((finding) => `${finding.id}: ${String(finding.entry.data).split('\n')[0]}`);
}

/** Every resource of `type`, as [logicalId, resource]. */
export function resourcesOf(template: Template, type: string): Array<[string, CfnResource]> {
  const resources = template.toJSON().Resources as Record<string, CfnResource>;
  return Object.entries(resources).filter(([, resource]) => resource.Type === type);
}

/** The logical id of the one resource of `type` matching `properties` (objectLike); fails unless exactly one matches. */
export function logicalIdOf(template: Template, type: string, properties: Record<string, unknown> = {}): string {
  const ids = Object.keys(template.findResources(type, { Properties: Match.objectLike(properties) }));
  if (ids.length !== 1) throw new Error(`Expected one ${type} like ${JSON.stringify(properties)}, found ${ids.length}: ${ids.join(', ')}`);
  return ids[0];
}

/** The logical id of the function `<prefix>-<handler>`. */
export function functionIdOf(template: Template, prefix: string, handler: string): string {
  return logicalIdOf(template, 'AWS::Lambda::Function', { FunctionName: `${prefix}-${handler}` });
}

/**
 * Turns a DefinitionString (an Fn::Join of text and references) into the state machine JSON, with
 * each reference rendered as `<LogicalId>` so tests can read the definition as AWS will.
 */
export function renderDefinition(definitionString: Json): Record<string, unknown> {
  const render = (value: Json): string => {
    if (typeof value === 'string') return value;
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      if ('Fn::Join' in value) {
        const [separator, parts] = value['Fn::Join'] as [string, Json[]];
        return parts.map(render).join(separator);
      }
      if ('Fn::GetAtt' in value) return `<${(value['Fn::GetAtt'] as string[])[0]}>`;
      if ('Ref' in value) return `<${value.Ref as string}>`;
    }
    throw new Error(`Cannot render ${JSON.stringify(value)}`);
  };
  return JSON.parse(render(definitionString));
}

/** The state machine of a template, with its definition rendered. */
export function stateMachineDefinition(template: Template): AslDefinition {
  const machines = resourcesOf(template, 'AWS::StepFunctions::StateMachine');
  if (machines.length !== 1) throw new Error(`Expected one state machine, found ${machines.length}`);
  return renderDefinition(machines[0][1].Properties!.DefinitionString) as unknown as AslDefinition;
}

/** The parts of an ASL document the tests read. */
export interface AslDefinition {
  readonly StartAt: string;
  readonly TimeoutSeconds?: number;
  readonly States: Record<string, AslState>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a parsed ASL state, read field by field
export type AslState = Record<string, any>;
