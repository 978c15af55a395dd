#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { AppStage } from './app-stage';
import { REGION, sourceFromContext, stages } from './config';
import { PipelineStack } from './pipeline-stack';

const app = new App();

// The Local stage is synthesized on its own, outside the pipeline: the local runtime runs exactly it.
new AppStage(app, 'Local', { config: stages.Local, env: { region: REGION } });

const source = sourceFromContext((key) => app.node.tryGetContext(key));
if (source) {
  new PipelineStack(app, 'Pipeline', {
    stackName: 'energy-auction-pipeline',
    // The account comes from the CLI's credentials at deploy time; none is written in code.
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: REGION },
    source,
  });
} else {
  console.error('Pipeline stack skipped: set context "connectionArn" (cdk.json or -c connectionArn=...) to synthesize the deployment pipeline. See README "Deploy".');
}

// cdk-nag reports findings as error annotations; fail synth on any that is not suppressed with a reason,
// including those inside stages, which the CLI does not check on its own.
const findings = app.synth().stacksRecursively.flatMap((stack) =>
  stack.messages.filter((message) => message.level === 'error').map((message) => `${message.id}: ${String(message.entry.data).split('\n')[0]}`));
if (findings.length > 0) {
  console.error(`Synth failed with ${findings.length} unsuppressed finding(s):\n${findings.join('\n')}`);
  process.exit(1);
}
