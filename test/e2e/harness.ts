import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer as createNetServer, Server as NetServer } from 'node:net';
import { join } from 'node:path';
import { AttributeValue, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, DescribeExecutionCommandOutput, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Endpoints } from '../../local/runtime';
import type { Faults } from '../../local/core/faults';
import type { SlackMessage } from '../../local/slack/sink';
import { loadStack, resourcesOfType } from '../../local/core/assembly';
import { E2E_ASSEMBLY, ROOT } from './paths';

export interface LocalRuntime {
  readonly endpoints: Endpoints;
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly sfn: SFNClient;
  /** Process id of the runtime child. */
  readonly pid?: number;
  /** Its LOCAL_DATA_DIR (endpoints.json); removed by stop(). */
  readonly dataDir: string;
  /** Everything the runtime printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` returns a value (not undefined) or the time is up. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** A start that failed or timed out; the child (pid) has been killed and has exited when this is thrown. */
export class RuntimeStartError extends Error {
  constructor(
    message: string,
    readonly pid: number | undefined,
    readonly output: string,
  ) {
    super(`${message}; its output:\n${output}`);
  }
}

export interface StartOptions {
  /** Cloud assembly to run, relative to the repository root. @default E2E_ASSEMBLY */
  readonly assembly?: string;
  /** How long the runtime may take to write endpoints.json. @default E2E_START_TIMEOUT_MS or 120 s */
  readonly timeoutMs?: number;
}

/** SIGTERM, then SIGKILL if the child has not exited after `graceMs`; resolves once it has exited. */
async function killChild(child: ChildProcess, exited: Promise<unknown>, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(killer);
}

/**
 * Starts `local/main.ts` as a child process, as `npm start` does: free ports, in memory, no waiting
 * (LOCAL_TIME_SCALE=0), with extra function environment through LOCAL_FUNCTION_ENV. Resolves when
 * endpoints.json is written (the runtime renames it into place whole). When the start fails or times
 * out, the child is killed and awaited before the error is thrown, so no runtime outlives a failed start.
 */
export async function startLocalRuntime(
  functionEnv: Record<string, Record<string, string>> = {},
  extraEnv: Record<string, string> = {},
  options: StartOptions = {},
): Promise<LocalRuntime> {
  const dataDir = mkdtempSync(join(tmpdir(), 'e2e-local-'));
  let output = '';
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts', '--in-memory', '--assembly', options.assembly ?? E2E_ASSEMBLY], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      LOCAL_DATA_DIR: dataDir,
      LOCAL_TIME_SCALE: '0',
      LOCAL_FUNCTION_ENV: JSON.stringify(functionEnv),
      LOCAL_LAMBDA_LOGS: '0',
      NO_COLOR: '1',
      SLACK_WEBHOOK_URL: '',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const file = join(dataDir, 'endpoints.json');
  const timeoutMs = options.timeoutMs ?? Number(process.env.E2E_START_TIMEOUT_MS || 120_000);
  let endpoints: Endpoints;
  try {
    // One loop watches both the file and the child, so nothing keeps polling after the child exited.
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (existsSync(file)) {
        endpoints = JSON.parse(readFileSync(file, 'utf8')) as Endpoints;
        break;
      }
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`local runtime exited (${child.exitCode ?? child.signalCode}) before it was ready`);
      if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for endpoints.json`);
      await sleep(100);
    }
  } catch (error) {
    await killChild(child, exited);
    rmSync(dataDir, { recursive: true, force: true });
    throw new RuntimeStartError((error as Error).message, child.pid, output);
  }
  const config = (endpoint: string) => ({ endpoint, region: endpoints.region, credentials: endpoints.credentials });
  const dynamodb = new DynamoDBClient(config(endpoints.dynamodb));
  const s3 = new S3Client(config(endpoints.s3));
  const sfn = new SFNClient(config(endpoints.stepfunctions));
  return {
    endpoints,
    dynamodb,
    s3,
    sfn,
    pid: child.pid,
    dataDir,
    output: () => output,
    stop: async () => {
      [dynamodb, s3, sfn].forEach((c) => c.destroy());
      await killChild(child, exited);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A base port whose next `count - 1` ports are free too, for tests that need a fixed PORT. */
export async function freePortRange(count: number): Promise<number> {
  const tryListen = (port: number) =>
    new Promise<NetServer | undefined>((resolve) => {
      const server = createNetServer();
      server.once('error', () => resolve(undefined));
      server.listen(port, '127.0.0.1', () => resolve(server));
    });
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const servers = await Promise.all(Array.from({ length: count }, (_, i) => tryListen(base + i)));
    await Promise.all(servers.map((s) => s && new Promise((r) => s.close(r))));
    if (servers.every(Boolean)) return base;
  }
  throw new Error(`no ${count} free consecutive ports found`);
}

export async function slackMessages(runtime: Pick<LocalRuntime, 'endpoints'>): Promise<SlackMessage[]> {
  const res = await fetch(`${runtime.endpoints.slackSink}/messages`);
  return (await res.json()) as SlackMessage[];
}

export function postOrders(runtime: Pick<LocalRuntime, 'endpoints'>, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${runtime.endpoints.api}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': runtime.endpoints.apiKey, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export interface FaultRuntime {
  readonly endpoints: Endpoints;
  readonly faults: Faults;
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly sfn: SFNClient;
  readonly sqs: SQSClient;
  setFunctionEnv(key: string, vars: Record<string, unknown>): void;
  stop(): Promise<void>;
}

/**
 * Starts the runtime in the test process with fault injection (free ports, in memory, no waiting), so a
 * test can stop DynamoDB, fail S3 puts or make Slack fail through `faults` while it drives the system.
 */
export async function startFaultRuntime(functionEnv: Record<string, Record<string, string>> = {}): Promise<FaultRuntime> {
  // Loaded here so the files that start the runtime as a child process do not load it into Jest.
  const { startRuntime } = await import('../../local/runtime');
  const dataDir = mkdtempSync(join(tmpdir(), 'e2e-faults-'));
  // startRuntime stops what it started when it throws; the data directory is this function's to remove.
  const runtime = await startRuntime({
    cdkOut: join(ROOT, E2E_ASSEMBLY),
    port: 0,
    inMemory: true,
    timeScale: 0,
    quiet: true,
    dataDir,
    functionEnv,
    faultInjection: true,
  }).catch((error: unknown) => {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  });
  const { endpoints } = runtime;
  const config = (endpoint: string) => ({ endpoint, region: endpoints.region, credentials: endpoints.credentials });
  const clients = {
    dynamodb: new DynamoDBClient(config(endpoints.dynamodb)),
    s3: new S3Client({ ...config(endpoints.s3), forcePathStyle: true }),
    sfn: new SFNClient(config(endpoints.stepfunctions)),
    sqs: new SQSClient(config(endpoints.sqs)),
  };
  const faults = runtime.faults;
  if (!faults) {
    Object.values(clients).forEach((c) => c.destroy());
    await runtime.stop();
    rmSync(dataDir, { recursive: true, force: true });
    throw new Error('the runtime did not enable fault injection');
  }
  return {
    endpoints,
    faults,
    ...clients,
    setFunctionEnv: runtime.setFunctionEnv,
    stop: async () => {
      Object.values(clients).forEach((c) => c.destroy());
      await runtime.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Starts a run with @aws-sdk/client-sfn and waits until it is no longer RUNNING. */
export async function runToEnd(sfn: SFNClient, stateMachineArn: string, name: string, timeoutMs = 120_000): Promise<DescribeExecutionCommandOutput> {
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: '{}' }));
  return waitFor(`run ${name}`, async () => {
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return d.status === 'RUNNING' ? undefined : d;
  }, timeoutMs);
}

/** Every record_id in a table (paginated scan). */
export async function scanIds(dynamodb: DynamoDBClient, tableName: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await dynamodb.send(new ScanCommand({ TableName: tableName, ProjectionExpression: 'record_id', ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) ids.add(String(item.record_id?.S));
    start = page.LastEvaluatedKey;
  } while (start);
  return ids;
}

/** The synthesized state machine definition the e2e runtime runs (references replaced by a placeholder). */
export function stateMachineDefinition(): Record<string, unknown> {
  const { template } = loadStack(join(ROOT, E2E_ASSEMBLY), 'Local');
  const [[, machine]] = resourcesOfType(template, 'AWS::StepFunctions::StateMachine');
  const definition = machine.Properties?.DefinitionString;
  if (typeof definition === 'string') return JSON.parse(definition);
  const [separator, parts] = (definition as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  // Function ARNs and the topic do not matter to the tests that read the definition; any string keeps the JSON valid.
  return JSON.parse(parts.map((part) => (typeof part === 'string' ? part : 'ref')).join(separator));
}

/** Every object in `node` (depth first) for which `match` holds: states, Retry entries, Choice rules. */
export function findInDefinition<T>(node: unknown, match: (value: Record<string, unknown>) => boolean): T[] {
  if (Array.isArray(node)) return node.flatMap((n) => findInDefinition<T>(n, match));
  if (!node || typeof node !== 'object') return [];
  const self = match(node as Record<string, unknown>) ? [node as T] : [];
  return [...self, ...Object.values(node).flatMap((n) => findInDefinition<T>(n, match))];
}
