#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { buildApp } from './build-app';

const app = new App();
if (!buildApp(app)) {
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
