import { App } from 'aws-cdk-lib';
import { AppStage } from './app-stage';
import { REGION, sourceFromContext, stages } from './config';
import { PipelineStack } from './pipeline-stack';

/**
 * Everything `cdk synth` builds, in one place so tests build exactly what the CLI lists: the Local stage,
 * and the pipeline (with its stages) when a connection is configured. Answers whether the pipeline is in.
 */
export function buildApp(app: App): boolean {
  // The Local stage is synthesized on its own, outside the pipeline: the local runtime runs exactly it.
  new AppStage(app, 'Local', { config: stages.Local, env: { region: REGION } });

  const source = sourceFromContext((key) => app.node.tryGetContext(key));
  if (!source) return false;
  new PipelineStack(app, 'Pipeline', {
    stackName: 'energy-auction-pipeline',
    // The account comes from the CLI's credentials at deploy time; none is written in code.
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: REGION },
    source,
  });
  return true;
}
