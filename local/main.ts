/**
 * `npm start`: synthesizes (or reuses) the cloud assembly and runs the Local stage on this machine.
 * Options: --in-memory, --no-synth, --assembly <cdk.out dir>, --stage <name>.
 * Environment: PORT (3000), LOCAL_API_KEY, LOCAL_API_KEYS (name=key,...), LOCAL_TIME_SCALE (1), LOCAL_DATA_DIR (.local), SLACK_WEBHOOK_URL,
 * LOCAL_FUNCTION_ENV (JSON: {"<service name|function name|logical id prefix|*>": {"VAR": "value"}}),
 * LOCAL_LAMBDA_LOGS=0 to hide the functions' own log lines, LOCAL_QUIET=1 for no request lines,
 * LOCAL_TTL_SWEEP_SECONDS (60) between DynamoDB TTL sweeps, LOCAL_LAMBDA_CONCURRENCY (4) sandboxes per function,
 * LOCAL_IAM (enforce|warn|off, default enforce): check every call of a function or state machine against its role.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { resolve } from 'node:path';
import { ensureAssembly } from './core/synth';
import { startRuntime } from './runtime';
import { parseApiKeys } from './api-gateway/api-keys';
import { parseIamMode } from './iam/authorizer';
import { log } from './core/log';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function numberEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return n;
}

function functionEnv(): Record<string, Record<string, unknown>> {
  const raw = process.env.LOCAL_FUNCTION_ENV;
  if (!raw) return {};
  try {
    return JSON.parse(raw);
  } catch {
    throw new Error('LOCAL_FUNCTION_ENV must be JSON like {"fetch-results": {"AUCTION_SEED": "1"}}');
  }
}

async function main(): Promise<void> {
  const root = process.cwd();
  const assembly = arg('--assembly');
  const cdkOut = resolve(assembly ?? 'cdk.out');
  const stage = arg('--stage') ?? 'Local';
  if (!assembly && !process.argv.includes('--no-synth')) ensureAssembly(root, cdkOut, (m) => log('runtime', m), stage);
  const runtime = await startRuntime({
    cdkOut,
    stage,
    port: numberEnv('PORT', 3000),
    dataDir: process.env.LOCAL_DATA_DIR || '.local',
    inMemory: process.argv.includes('--in-memory'),
    apiKey: process.env.LOCAL_API_KEY || undefined,
    apiKeys: parseApiKeys(process.env.LOCAL_API_KEYS),
    timeScale: numberEnv('LOCAL_TIME_SCALE', 1),
    slackWebhookUrl: process.env.SLACK_WEBHOOK_URL || undefined,
    functionEnv: functionEnv(),
    functionLogs: process.env.LOCAL_LAMBDA_LOGS !== '0',
    quiet: process.env.LOCAL_QUIET === '1',
    ttlSweepSeconds: numberEnv('LOCAL_TTL_SWEEP_SECONDS', 60),
    lambdaConcurrency: numberEnv('LOCAL_LAMBDA_CONCURRENCY', 4) || 1,
    iam: parseIamMode(process.env.LOCAL_IAM),
  });
  const e = runtime.endpoints;
  const dataDir = process.env.LOCAL_DATA_DIR || '.local';
  const apiName = (url: string) => Object.entries(e.apis).find(([, u]) => u === url)?.[0] ?? '';
  const width = Math.max(0, ...Object.keys(e.apiKeys).map((n) => n.length));
  const apiLines = [
    `  API            ${e.api}   ${apiName(e.api)} (also under /${e.apiStage})`,
    ...Object.entries(e.apis).filter(([, url]) => url !== e.api).map(([name, url]) => `  API            ${url}   ${name}`),
    '  Customers      (x-api-key; LOCAL_API_KEY is default, LOCAL_API_KEYS adds more)',
    ...Object.entries(e.apiKeys).map(([name, key]) => `    ${name.padEnd(width)}  ${key}`),
    ...Object.entries(e.templateApiKeys).map(([name, k]) => `  Template key   ${name}: ${k.value}   (${k.apis.join(', ') || 'no API'})`),
  ];
  console.log(`
Local runtime ready (${process.argv.includes('--in-memory') ? 'in memory' : `data in ${dataDir}/`})
${apiLines.join('\n')}
  DynamoDB       ${e.dynamodb}   table ${e.tableName}
  S3             ${e.s3}   bucket ${e.bucketName}
  Step Functions ${e.stepfunctions}   ${e.stateMachineArn}
  Secrets        ${e.secretsmanager}
  SQS            ${e.sqs}   ${Object.keys(e.queueUrls).join(', ') || '(no queues)'}
  Slack sink     ${e.slackSink}/messages
  Endpoints file ${dataDir}/endpoints.json

Try:
  curl -s -X POST ${e.api}/orders -H 'x-api-key: ${e.apiKey}' -H 'content-type: application/json' \\
    -d '[{"record_id":"unique_id_1","parameter_1":"abc","parameter_2":4}]'
  npm run pipeline
  export AWS_ACCESS_KEY_ID=${e.credentials.accessKeyId} AWS_SECRET_ACCESS_KEY=${e.credentials.secretAccessKey} AWS_DEFAULT_REGION=${e.region}   # any credentials work
  aws --endpoint-url ${e.dynamodb} dynamodb scan --table-name ${e.tableName}
  aws --endpoint-url ${e.s3} s3 ls s3://${e.bucketName}/ --recursive
  aws --endpoint-url ${e.stepfunctions} stepfunctions list-executions --state-machine-arn ${e.stateMachineArn}
Ctrl-C stops.
`);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log('runtime', `${signal}: stopping`);
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    runtime.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: Error) => {
  console.error(`\nnpm start failed: ${error.message}`);
  process.exit(1);
});
