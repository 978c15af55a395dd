/**
 * `npm run pipeline`: starts an auction run now on the running local runtime (through its Step Functions
 * endpoint, with the AWS SDK), waits for it and prints what happened: the auction, each outcome count,
 * where the accepted results are and whether an alert reached Slack. Exit code 1 when the run failed.
 *   npm run pipeline                               close the open auction now: input {"close": "now"}
 *   npm run pipeline -- --auction 2026-12-01T2100Z run that auction: input {"auction_id": "..."}
 *   --json                                         print only the run's summary (its output) as JSON
 * Also --input '<json>' (any input), --name <execution name>, --timeout <seconds> (default 3600).
 * Executions are named run-<auction id>-<random> (run-now-<random> when closing the open auction).
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeExecutionCommand, DescribeExecutionCommandOutput, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { Endpoints } from './runtime';
import type { SlackMessage } from './slack/sink';
import { localClientConfig } from './core/aws-clients';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  if (i < 0) return undefined;
  const value = process.argv[i + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`${name} needs a value`);
  return value;
}

function readEndpoints(): Endpoints {
  const file = join(process.env.LOCAL_DATA_DIR || '.local', 'endpoints.json');
  if (!existsSync(file)) throw new Error(`${file} not found: start the local runtime first (npm start)`);
  return JSON.parse(readFileSync(file, 'utf8')) as Endpoints;
}

/** Step Functions execution names: 1-80 of letters, digits, `-` and `_`. */
function executionName(auctionId: string | undefined): string {
  const random = randomBytes(4).toString('hex').slice(0, 6);
  const auction = (auctionId ?? 'now').replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 80 - 'run--'.length - random.length);
  return `run-${auction}-${random}`;
}

/** The accepted results of an auction: `results/auction=<id>/` in whichever bucket holds them. */
async function acceptedResults(endpoints: Endpoints, auctionId: string): Promise<{ location: string; count: number }> {
  const s3 = new S3Client({ ...localClientConfig(endpoints.s3), forcePathStyle: true });
  const prefix = `results/auction=${auctionId}/`;
  try {
    for (const bucket of [endpoints.bucketName, ...endpoints.buckets.filter((b) => b !== endpoints.bucketName)]) {
      let count = 0;
      let token: string | undefined;
      do {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        count += page.KeyCount ?? page.Contents?.length ?? 0;
        token = page.NextContinuationToken;
      } while (token);
      if (count > 0) return { location: `s3://${bucket}/${prefix}`, count };
    }
    return { location: `s3://${endpoints.bucketName}/${prefix}`, count: 0 };
  } finally {
    s3.destroy();
  }
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
  const auction = arg('--auction');
  const input = arg('--input') ?? JSON.stringify(auction ? { auction_id: auction } : { close: 'now' });
  const endpoints = readEndpoints();
  const sfn = new SFNClient(localClientConfig(endpoints.stepfunctions));
  const name = arg('--name') ?? executionName(auction);
  const since = new Date(Date.now() - 1000);
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: endpoints.stateMachineArn, name, input }));
  if (!json) console.log(`Started ${name} (${auction ? `auction ${auction}` : arg('--input') ? `input ${input}` : 'closing the open auction now'})`);

  const timeoutMs = Number(arg('--timeout') ?? 3600) * 1000;
  const started = Date.now();
  let lastState = '';
  let waited = 0;
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
        // Say why a Wait pauses, since the pause can be long at time scale 1. The first Wait of a run
        // lets POSTs in flight at the gate finish; later ones mean the platform had no results yet.
        const why = event?.type !== 'WaitStateEntered' ? undefined : waited++ === 0 ? 'letting POSTs in flight at the gate finish' : 'results not ready yet';
        const note = why ? ` ${why}, waiting (LOCAL_TIME_SCALE=0 on npm start skips waits)` : '';
        console.log(`  ... ${entered} (${Math.round((Date.now() - started) / 1000)}s)${note}`);
      }
      lastState = entered;
    }
    await sleep(300);
  }
  sfn.destroy();

  const succeeded = described.status === 'SUCCEEDED';
  const output = described.output ? JSON.parse(described.output) : null;
  if (json) {
    console.log(JSON.stringify(succeeded ? output : { execution_name: name, status: described.status, error: described.error, cause: described.cause }, null, 2));
    process.exitCode = succeeded ? 0 : 1;
    return;
  }
  const seconds = ((described.stopDate!.getTime() - described.startDate!.getTime()) / 1000).toFixed(1);
  console.log(`\nRun ${name}: ${described.status} in ${seconds}s`);
  if (!succeeded) {
    console.log(`  error: ${described.error ?? '-'}`);
    console.log(`  cause: ${described.cause ?? '-'}`);
  }
  const summary = output && typeof output === 'object' ? (output as Record<string, unknown>) : {};
  const auctionId = typeof summary.auction_id === 'string' ? summary.auction_id : auction;
  if (auctionId) console.log(`  auction: ${auctionId}`);
  const counts = ['total', 'accepted', 'rejected', 'failed'].filter((k) => typeof summary[k] === 'number');
  if (counts.length) console.log(`  ${counts.map((k) => `${k} ${String(summary[k])}`).join(', ')}`);
  else if (output !== null) console.log(`  output: ${JSON.stringify(output)}`);
  if (succeeded && auctionId) {
    const results = await acceptedResults(endpoints, auctionId);
    console.log(`  accepted results: ${results.location} (${results.count} object${results.count === 1 ? '' : 's'})`);
  }

  const expectAlert = !succeeded || Number(summary.rejected ?? 0) + Number(summary.failed ?? 0) > 0;
  const alerts = await alertsSince(endpoints, since, expectAlert);
  if (alerts.length === 0) console.log(`  Slack alert: none${expectAlert ? ' (one was expected: check the runtime console)' : ''}`);
  for (const a of alerts) console.log(`  Slack alert: ${a.summary.length > 300 ? `${a.summary.slice(0, 300)}...` : a.summary}`);
  process.exitCode = succeeded ? 0 : 1;
}

main().catch((error: Error & { code?: string }) => {
  // endpoints.json outlives a runtime that was killed; say that rather than print a bare socket error.
  const refused = error.code === 'ECONNREFUSED' || /ECONNREFUSED/.test(error.message);
  const message = refused ? `the local runtime is not running (${error.message}); start it with npm start` : error.message;
  console.error(`npm run pipeline failed: ${message}`);
  process.exit(1);
});
