import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AppStage } from '../../infra/app-stage';
import { REGION, stages } from '../../infra/config';
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

/** The Local stage's one stack, as the local runtime and `cdk synth` see it. */
export function synthAuctionStack(): { stack: Stack; template: Template } {
  const app = new App({ context: NO_BUNDLING });
  const stage = new AppStage(app, 'Local', { config: stages.Local, env: { region: REGION } });
  const stack = stage.node.findChild('Auction') as Stack;
  return { stack, template: Template.fromStack(stack) };
}

export function synthPipelineStack(): { stack: PipelineStack; template: Template } {
  const app = new App({ context: NO_BUNDLING });
  const stack = new PipelineStack(app, 'Pipeline', { env: { region: REGION }, source: TEST_SOURCE });
  return { stack, template: Template.fromStack(stack) };
}

/** cdk-nag findings left after suppressions, as "path: message" lines (empty when clean). */
export function nagFindings(stack: Stack): string[] {
  const annotations = Annotations.fromStack(stack);
  return [
    ...annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*')),
    ...annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*')),
  ].map((finding) => `${finding.id}: ${String(finding.entry.data).split('\n')[0]}`);
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

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
