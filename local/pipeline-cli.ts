/**
 * `npm run pipeline`: starts a results run now on the running local runtime (through its Step Functions
 * endpoint, with the AWS SDK), waits for it and prints a summary: counts, the S3 objects of the run and
 * whether an alert reached Slack. `--json` prints the run output only. Exit code 1 when the run failed.
 * Options: --input '<json>', --name <execution name>, --timeout <seconds> (default 3600).
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeExecutionCommand, DescribeExecutionCommandOutput, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { Endpoints } from './runtime';
import type { SlackMessage } from './emulators/slack-sink';
import { localClientConfig } from './aws-clients';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function readEndpoints(): Endpoints {
  const file = join(process.env.LOCAL_DATA_DIR || '.local', 'endpoints.json');
  if (!existsSync(file)) throw new Error(`${file} not found: start the local runtime first (npm start)`);
  return JSON.parse(readFileSync(file, 'utf8')) as Endpoints;
}

async function runKeys(endpoints: Endpoints, executionName: string): Promise<Array<{ bucket: string; key: string }>> {
  const s3 = new S3Client(localClientConfig(endpoints.s3));
  const found: Array<{ bucket: string; key: string }> = [];
  for (const bucket of endpoints.buckets) {
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
      for (const o of page.Contents ?? []) if (o.Key?.includes(executionName)) found.push({ bucket, key: o.Key });
      token = page.NextContinuationToken;
    } while (token);
  }
  return found;
}

async function alertsSince(endpoints: Endpoints, since: Date, expectOne: boolean): Promise<SlackMessage[]> {
  // SNS delivery to the notifier is asynchronous: give an expected alert a few seconds to arrive.
  const deadline = Date.now() + (expectOne ? 15_000 : 1_000);
  for (;;) {
    const all = (await (await fetch(`${endpoints.slackSink}/messages`)).json()) as SlackMessage[];
    const recent = all.filter((m) => new Date(m.receivedAt) >= since);
    if (recent.length > 0 || Date.now() > deadline) return recent;
    await sleep(250);
  }
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const endpoints = readEndpoints();
  const sfn = new SFNClient(localClientConfig(endpoints.stepfunctions));
  const name = arg('--name') ?? `manual-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${Math.random().toString(36).slice(2, 6)}`;
  const since = new Date(Date.now() - 1000);
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: endpoints.stateMachineArn, name, input: arg('--input') ?? '{}' }));
  if (!json) console.log(`Started ${name}`);

  const timeoutMs = Number(arg('--timeout') ?? 3600) * 1000;
  const started = Date.now();
  let lastState = '';
  let described: DescribeExecutionCommandOutput;
  for (;;) {
    described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (described.status !== 'RUNNING') break;
    if (Date.now() - started > timeoutMs) throw new Error(`Run ${name} still RUNNING after ${timeoutMs / 1000}s`);
    if (!json) {
      const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 20 }));
      const event = history.events?.find((e) => e.stateEnteredEventDetails);
      const entered = event?.stateEnteredEventDetails?.name ?? '';
      if (entered && entered !== lastState) {
        // A Wait means the platform had no results yet; say so, since the pause can be long at time scale 1.
        const note = event?.type === 'WaitStateEntered' ? ' results not ready yet, waiting (LOCAL_TIME_SCALE=0 on npm start skips waits)' : '';
        console.log(`  ... ${entered} (${Math.round((Date.now() - started) / 1000)}s)${note}`);
      }
      lastState = entered;
    }
    await sleep(300);
  }

  const output = described.output ? JSON.parse(described.output) : null;
  if (json) {
    console.log(JSON.stringify(output ?? { status: described.status, error: described.error, cause: described.cause }, null, 2));
    process.exitCode = described.status === 'SUCCEEDED' ? 0 : 1;
    return;
  }
  const seconds = ((described.stopDate!.getTime() - described.startDate!.getTime()) / 1000).toFixed(1);
  console.log(`\nRun ${name}: ${described.status} in ${seconds}s`);
  if (described.status !== 'SUCCEEDED') console.log(`  error: ${described.error ?? '-'}${described.cause ? ` (${described.cause})` : ''}`);
  const counts = output && typeof output === 'object' ? (output as Record<string, unknown>) : {};
  const numbers = ['total', 'stored', 'rejected', 'failed'].filter((k) => typeof counts[k] === 'number');
  if (numbers.length) console.log(`  ${numbers.map((k) => `${k} ${String(counts[k])}`).join(', ')}`);
  else if (output !== null) console.log(`  output: ${JSON.stringify(output)}`);

  const keys = await runKeys(endpoints, name);
  console.log(`  S3 objects of this run: ${keys.length}`);
  for (const { bucket, key } of keys.slice(0, 20)) console.log(`    s3://${bucket}/${key}`);
  if (keys.length > 20) console.log(`    ... and ${keys.length - 20} more`);

  const expectAlert = described.status !== 'SUCCEEDED' || Number(counts.rejected ?? 0) + Number(counts.failed ?? 0) > 0;
  const alerts = await alertsSince(endpoints, since, expectAlert);
  if (alerts.length === 0) console.log(`  Slack alert: none${expectAlert ? ' (one was expected: check the runtime console)' : ''}`);
  for (const a of alerts) console.log(`  Slack alert: ${a.summary.length > 300 ? `${a.summary.slice(0, 300)}...` : a.summary}`);
  process.exitCode = described.status === 'SUCCEEDED' ? 0 : 1;
}

main().catch((error: Error & { code?: string }) => {
  // endpoints.json outlives a runtime that was killed; say that rather than print a bare socket error.
  const refused = error.code === 'ECONNREFUSED' || /ECONNREFUSED/.test(error.message);
  const message = refused ? `the local runtime is not running (${error.message}); start it with npm start` : error.message;
  console.error(`npm run pipeline failed: ${message}`);
  process.exit(1);
});
