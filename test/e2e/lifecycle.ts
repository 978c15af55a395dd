// Helpers for the e2e tests of the order lifecycle: a running system with several customers, the customers'
// HTTP calls, auction runs through the Step Functions API, and readers for what a run leaves behind (the
// orders table, the results bucket, the simulated platform's bucket, Slack). Only the AWS SDK and HTTP.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AttributeValue, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Faults } from '../../local/core/faults';
import type { Endpoints } from '../../local/runtime';
import type { RunSummary } from '../../src/auctions/run';
import { sleep, slackMessages, startLocalRuntime, waitFor } from './harness';
import { E2E_ASSEMBLY, ROOT } from './paths';

/** The customers every system started here knows, beside `default` (LOCAL_API_KEY): name -> x-api-key. */
export const CUSTOMER_KEYS = { alpha: 'key-alpha-e2e', beta: 'key-beta-e2e' } as const;
export type Customer = 'default' | keyof typeof CUSTOMER_KEYS;

/** Gate closures are hourly (the schedule is `cron(0 * * * ? *)`). */
export const GATE_PERIOD_MS = 60 * 60 * 1000;

export interface System {
  readonly endpoints: Endpoints;
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly sfn: SFNClient;
  readonly sqs: SQSClient;
  /** Only for `inProcess` systems started with `faultInjection`. */
  readonly faults?: Faults;
  /** Replaces a function's extra environment for its next sandboxes; only for `inProcess` systems. */
  setFunctionEnv(key: string, vars: Record<string, string>): void;
  stop(): Promise<void>;
}

export interface SystemOptions {
  /** Extra environment per function (keys as in LOCAL_FUNCTION_ENV, e.g. `auction-platform`). */
  readonly functionEnv?: Record<string, Record<string, string>>;
  /** LOCAL_TIME_SCALE. @default 0 (no waiting) */
  readonly timeScale?: number;
  /** Run the runtime inside the test process (setFunctionEnv, fault injection) instead of as `npm start` does. */
  readonly inProcess?: boolean;
  readonly faultInjection?: boolean;
  /** LOCAL_TTL_SWEEP_SECONDS. */
  readonly ttlSweepSeconds?: number;
}

/** Starts the synthesized Local stage with the customers of CUSTOMER_KEYS, in memory, on free ports. */
export async function startSystem(options: SystemOptions = {}): Promise<System> {
  const timeScale = options.timeScale ?? 0;
  if (!options.inProcess) {
    if (options.faultInjection) throw new Error('fault injection needs an inProcess system');
    const runtime = await startLocalRuntime(options.functionEnv ?? {}, {
      LOCAL_API_KEYS: Object.entries(CUSTOMER_KEYS).map(([name, key]) => `${name}=${key}`).join(','),
      LOCAL_TIME_SCALE: String(timeScale),
      ...(options.ttlSweepSeconds === undefined ? {} : { LOCAL_TTL_SWEEP_SECONDS: String(options.ttlSweepSeconds) }),
    });
    const sqs = new SQSClient(clientConfig(runtime.endpoints, runtime.endpoints.sqs));
    return {
      endpoints: runtime.endpoints,
      dynamodb: runtime.dynamodb,
      s3: runtime.s3,
      sfn: runtime.sfn,
      sqs,
      setFunctionEnv: () => {
        throw new Error('setFunctionEnv needs a system started with inProcess: true');
      },
      stop: async () => {
        sqs.destroy();
        await runtime.stop();
      },
    };
  }
  // Loaded here so that files running the runtime as a child process do not load it into Jest.
  const { startRuntime } = await import('../../local/runtime');
  const dataDir = mkdtempSync(join(tmpdir(), 'e2e-lifecycle-'));
  const runtime = await startRuntime({
    cdkOut: join(ROOT, E2E_ASSEMBLY),
    port: 0,
    inMemory: true,
    timeScale,
    quiet: true,
    functionLogs: false,
    dataDir,
    apiKeys: { ...CUSTOMER_KEYS },
    functionEnv: options.functionEnv,
    faultInjection: options.faultInjection,
    ttlSweepSeconds: options.ttlSweepSeconds,
  }).catch((error: unknown) => {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  });
  const { endpoints } = runtime;
  const clients = {
    dynamodb: new DynamoDBClient(clientConfig(endpoints, endpoints.dynamodb)),
    s3: new S3Client({ ...clientConfig(endpoints, endpoints.s3), forcePathStyle: true }),
    sfn: new SFNClient(clientConfig(endpoints, endpoints.stepfunctions)),
    sqs: new SQSClient(clientConfig(endpoints, endpoints.sqs)),
  };
  return {
    endpoints,
    ...clients,
    faults: runtime.faults,
    setFunctionEnv: (key, vars) => runtime.setFunctionEnv(key, vars),
    stop: async () => {
      Object.values(clients).forEach((c) => c.destroy());
      await runtime.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function clientConfig(endpoints: Endpoints, endpoint: string) {
  return { endpoint, region: endpoints.region, credentials: endpoints.credentials };
}

/** A fresh id for one test's orders and runs: readable, unique, and safe in execution names. */
export function uniqueId(label: string): string {
  return `${label}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

// ---------------------------------------------------------------------------------------------------------
// The orders API, as customers call it

/** An order as sent; parameter_2 is the exact JSON number text (`"2.1"`, `"12345678901234567890.5"`). */
export interface OrderInput {
  readonly record_id: string;
  readonly parameter_1: string;
  readonly parameter_2: string;
}

/** The request body with parameter_2 written as the given number text, digit for digit. */
export function ordersBody(orders: readonly OrderInput[]): string {
  return `[${orders
    .map((o) => `{"record_id":${JSON.stringify(o.record_id)},"parameter_1":${JSON.stringify(o.parameter_1)},"parameter_2":${o.parameter_2}}`)
    .join(',')}]`;
}

/** Orders `<prefix>-0000`, `<prefix>-0001`, ... with decimal parameter_2 values. */
export function makeOrders(prefix: string, count: number, start = 0): OrderInput[] {
  return Array.from({ length: count }, (_, i) => ({
    record_id: `${prefix}-${String(start + i).padStart(4, '0')}`,
    parameter_1: `p1-${start + i}`,
    parameter_2: `${start + i}.25`,
  }));
}

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly text: string;
  /** The parsed body, or undefined when it is not JSON. */
  readonly json: unknown;
}

export function keyOf(system: Pick<System, 'endpoints'>, customer: Customer): string {
  const key = system.endpoints.apiKeys[customer];
  if (!key) throw new Error(`the system has no customer ${customer}`);
  return key;
}

async function answerOf(res: Response): Promise<Answer> {
  const text = await res.text();
  const headers: Record<string, string> = {};
  res.headers.forEach((value, name) => (headers[name] = value));
  return { status: res.status, headers, text, json: parseJson(text) };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** POST /orders as the customer; the body is the orders (exact number text) or a raw string. */
export async function postOrders(system: Pick<System, 'endpoints'>, customer: Customer, orders: readonly OrderInput[] | string): Promise<Answer> {
  const res = await fetch(`${system.endpoints.api}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': keyOf(system, customer) },
    body: typeof orders === 'string' ? orders : ordersBody(orders),
  });
  return answerOf(res);
}

/**
 * POSTs until the API acknowledges with 201, repeating a 503 (the API says the request is safe to repeat)
 * or a gateway 504 (a client cannot know whether it was stored, and repeating a `received` order replaces
 * it with itself). Answers how many attempts it took; fails on anything else or after `maxAttempts`.
 */
export async function postUntilAccepted(system: Pick<System, 'endpoints'>, customer: Customer, orders: readonly OrderInput[], maxAttempts = 4): Promise<number> {
  const seen: string[] = [];
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const answer = await postOrders(system, customer, orders);
    if (answer.status === 201) {
      if ((answer.json as { accepted?: number }).accepted !== orders.length) throw new Error(`201 with ${answer.text} for ${orders.length} orders`);
      return attempt;
    }
    seen.push(`${answer.status} ${answer.text.slice(0, 200)}`);
    if (answer.status !== 503 && answer.status !== 504) break;
    await sleep(500 * attempt);
  }
  throw new Error(`POST /orders of ${orders.length} orders for ${customer} was not accepted: ${seen.join('; ')}`);
}

/** GET /orders/{record_id} as the customer, the id URL-encoded. */
export async function getOrder(system: Pick<System, 'endpoints'>, customer: Customer, recordId: string): Promise<Answer> {
  const res = await fetch(`${system.endpoints.api}/orders/${encodeURIComponent(recordId)}`, { headers: { 'x-api-key': keyOf(system, customer) } });
  return answerOf(res);
}

/** The order as the API shows it to its customer; fails unless the answer is 200. */
export async function orderOf(system: Pick<System, 'endpoints'>, customer: Customer, recordId: string): Promise<ApiOrder> {
  const answer = await getOrder(system, customer, recordId);
  if (answer.status !== 200) throw new Error(`GET /orders/${recordId} as ${customer}: ${answer.status} ${answer.text}`);
  return answer.json as ApiOrder;
}

/** The 200 body of GET /orders/{record_id}. */
export interface ApiOrder {
  readonly record_id: string;
  readonly parameter_1: string;
  readonly parameter_2: number;
  readonly status: 'received' | 'submitted' | 'accepted' | 'rejected' | 'failed';
  readonly auction_id: string;
  readonly received_at: string;
  readonly expires_at: string;
  readonly submitted_at?: string;
  readonly result?: Record<string, unknown> & { order_id: string; status: string };
  readonly result_key?: string;
  readonly reason?: string;
}

/**
 * A GET whose path goes on the wire exactly as written: fetch would resolve `%2e%2e` and `..` segments
 * and re-encode the path before sending it, which is not what an attacker's client does.
 */
export function rawGet(system: Pick<System, 'endpoints'>, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const url = new URL(system.endpoints.api);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method: 'GET', path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const flat: Record<string, string> = {};
        for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) flat[name] = String(value);
        resolve({ status: res.statusCode ?? 0, headers: flat, text, json: parseJson(text) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The error shape of every API answer (SPEC 2.1), optionally with a given code. */
export function errorShape(code?: string) {
  return {
    error: {
      code: code ?? expect.stringMatching(/^[A-Z][A-Z_]*$/),
      message: expect.any(String),
      details: expect.arrayContaining([]),
    },
  };
}

/** `"parameter_2":<text>` exactly as it appears in a JSON document (the API's or a stored result's). */
export function rawParameter2(json: string): string | undefined {
  return /"parameter_2":(-?[0-9.eE+-]+)/.exec(json)?.[1];
}

// ---------------------------------------------------------------------------------------------------------
// Auctions and runs

/** The auction id of a gate closure: `2026-12-01T2100Z`. */
export function auctionIdOf(gate: Date): string {
  const iso = gate.toISOString();
  return `${iso.slice(0, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}Z`;
}

/** The first hourly gate closure strictly after `time`: the auction an order received then belongs to. */
export function auctionAfter(time: Date): string {
  return auctionIdOf(new Date((Math.floor(time.getTime() / GATE_PERIOD_MS) + 1) * GATE_PERIOD_MS));
}

/** The auction `offset` hours after the given one. */
export function shiftAuction(auctionId: string, offset: number): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})(\d{2})Z$/.exec(auctionId);
  if (!m) throw new Error(`not an auction id: ${auctionId}`);
  const gate = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  return auctionIdOf(new Date(gate + offset * GATE_PERIOD_MS));
}

export interface Run {
  readonly name: string;
  readonly executionArn: string;
  readonly description: DescribeExecutionCommandOutput;
  readonly status: string;
  readonly error?: string;
  readonly cause?: string;
  /** The run's output: its summary (for a succeeded run). */
  readonly summary?: RunSummary;
}

/** Starts a run with the Step Functions API. `{"close": "now"}` closes the open auction now. */
export async function startRun(system: Pick<System, 'sfn' | 'endpoints'>, input: Record<string, unknown> = { close: 'now' }, label = 'run'): Promise<{ name: string; executionArn: string }> {
  const name = uniqueId(label).slice(0, 80);
  const { executionArn } = await system.sfn.send(
    new StartExecutionCommand({ stateMachineArn: system.endpoints.stateMachineArn, name, input: JSON.stringify(input) }),
  );
  return { name, executionArn: String(executionArn) };
}

/** Waits until the execution is no longer RUNNING. */
export async function waitForRun(system: Pick<System, 'sfn'>, execution: { name: string; executionArn: string }, timeoutMs = 120_000): Promise<Run> {
  const description = await waitFor(`run ${execution.name}`, async () => {
    const d = await system.sfn.send(new DescribeExecutionCommand({ executionArn: execution.executionArn }));
    return d.status === 'RUNNING' ? undefined : d;
  }, timeoutMs);
  const output = description.output === undefined ? undefined : (JSON.parse(description.output) as RunSummary);
  return {
    ...execution,
    description,
    status: String(description.status),
    error: description.error,
    cause: description.cause,
    summary: description.status === 'SUCCEEDED' ? output : undefined,
  };
}

/** Starts a run and waits for its end. */
export async function runAuction(system: Pick<System, 'sfn' | 'endpoints'>, input: Record<string, unknown> = { close: 'now' }, label = 'run', timeoutMs = 120_000): Promise<Run> {
  return waitForRun(system, await startRun(system, input, label), timeoutMs);
}

/** Every history event of an execution (paginated). */
export async function historyOf(system: Pick<System, 'sfn'>, executionArn: string, includeExecutionData = true): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await system.sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000, includeExecutionData }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/** Names of the states the execution entered, in order. */
export async function statesEntered(system: Pick<System, 'sfn'>, executionArn: string): Promise<string[]> {
  return (await historyOf(system, executionArn, false)).flatMap((e) => (e.stateEnteredEventDetails?.name ? [e.stateEnteredEventDetails.name] : []));
}

/** What the runtime measured for an execution (DescribeExecution's extra `localStatistics`). */
export interface LocalStatistics {
  readonly historyEventCount: number;
  readonly stateTransitions: number;
  readonly maxStatePayloadBytes: number;
  readonly maxStatePayloadState?: string;
  readonly type: string;
}

/** DescribeExecution as raw AWS JSON: the SDK drops the runtime's `localStatistics` field. */
export async function localStatistics(system: Pick<System, 'endpoints'>, executionArn: string): Promise<LocalStatistics> {
  const res = await fetch(system.endpoints.stepfunctions, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AWSStepFunctions.DescribeExecution' },
    body: JSON.stringify({ executionArn }),
  });
  const body = (await res.json()) as { localStatistics?: LocalStatistics };
  if (!body.localStatistics) throw new Error(`no localStatistics for ${executionArn}: ${JSON.stringify(body).slice(0, 300)}`);
  return body.localStatistics;
}

// ---------------------------------------------------------------------------------------------------------
// Slack

export interface Alert {
  /** The Slack message's text line. */
  readonly text: string;
  /** The whole posted payload as JSON text. */
  readonly raw: string;
}

/**
 * The Slack messages that name the execution, once at least `atLeast` arrived and nothing more came
 * during `quietMs` (so "exactly one" is not decided before a second message could have arrived).
 */
export async function alertsFor(system: Pick<System, 'endpoints'>, executionName: string, atLeast = 1, quietMs = 1500, timeoutMs = 60_000): Promise<Alert[]> {
  const read = async () =>
    (await slackMessages(system))
      .map((m) => ({ text: String((m.body as { text?: unknown })?.text ?? m.summary), raw: JSON.stringify(m.body) }))
      .filter((m) => m.raw.includes(executionName));
  let seen = await waitFor(`${atLeast} Slack message(s) naming ${executionName}`, async () => {
    const found = await read();
    return found.length >= atLeast ? found : undefined;
  }, timeoutMs);
  for (;;) {
    await sleep(quietMs);
    const again = await read();
    if (again.length === seen.length) return again;
    seen = again;
  }
}

/** No Slack message names the execution, even after a moment. */
export async function noAlertFor(system: Pick<System, 'endpoints'>, executionName: string, quietMs = 1500): Promise<boolean> {
  await sleep(quietMs);
  return !(await slackMessages(system)).some((m) => JSON.stringify(m.body).includes(executionName));
}

/** The run's ONE failed-orders alert among the messages ("N rejected orders in auction ..."). */
export const isOrdersAlert = (alert: Alert) => / orders? in auction /.test(alert.text);
/** The execution-status rule's message ("Execution FAILED: <name>"). */
export const isStatusAlert = (alert: Alert) => /Execution (FAILED|TIMED_OUT|ABORTED): /.test(alert.text);

export interface ListedOrder {
  readonly record_id: string;
  readonly customer: string;
  readonly status: string;
  /** The rest of the line: parameters, reason, platform answer. */
  readonly line: string;
}

/** The orders an alert lists, one line each: `• *<record_id>* (<customer>) <status> — ...`. */
export function listedOrders(alert: Alert): ListedOrder[] {
  const body = JSON.parse(alert.raw) as { blocks?: Array<{ text?: { text?: string } }> };
  const text = (body.blocks ?? []).map((b) => b.text?.text ?? '').join('\n');
  return [...text.matchAll(/^• \*([^*\n]+)\* \(([^)\n]+)\) (\w+)(.*)$/gm)].map((m) => ({ record_id: m[1], customer: m[2], status: m[3], line: m[4] }));
}

// ---------------------------------------------------------------------------------------------------------
// S3 and the orders table

/** Every key under the prefix, following continuation tokens; `pages` counts the ListObjectsV2 calls. */
export async function listKeys(system: Pick<System, 's3'>, bucket: string, prefix: string): Promise<{ keys: string[]; pages: number }> {
  const keys: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await system.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((o) => String(o.Key)));
    token = page.NextContinuationToken;
    pages++;
  } while (token);
  return { keys, pages };
}

export async function readText(system: Pick<System, 's3'>, bucket: string, key: string): Promise<string> {
  const object = await system.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return object.Body!.transformToString('utf-8');
}

/** `s3://bucket/key` -> the object's text. */
export async function readS3Url(system: Pick<System, 's3'>, url: string): Promise<string> {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  if (!m) throw new Error(`not an s3:// URL: ${url}`);
  return readText(system, m[1], m[2]);
}

/** The simulated auction platform's own bucket (it is not the results bucket). */
export function platformBucket(system: Pick<System, 'endpoints'>): string {
  const [bucket, ...others] = system.endpoints.buckets.filter((b) => b !== system.endpoints.bucketName);
  if (!bucket || others.length > 0) throw new Error(`cannot tell the platform's bucket among ${system.endpoints.buckets.join(', ')}`);
  return bucket;
}

export interface PlatformSubmission {
  readonly auction_id: string;
  readonly batch: string;
  readonly order_id: string;
  /** parameter_2 as the platform got it (exact text). */
  readonly parameter_2: string;
}

/** Every order the simulated platform was handed, batch by batch, read from its bucket. */
export async function platformSubmissions(system: Pick<System, 's3' | 'endpoints'>): Promise<PlatformSubmission[]> {
  const bucket = platformBucket(system);
  const { keys } = await listKeys(system, bucket, 'auctions/');
  const out: PlatformSubmission[] = [];
  for (const key of keys) {
    const m = /^auctions\/([^/]+)\/batches\/([^/]+)\.json$/.exec(key);
    if (!m) continue;
    const text = await readText(system, bucket, key);
    for (const order of (JSON.parse(text) as { orders: Array<{ order_id: string }> }).orders) {
      const raw = new RegExp(`"order_id":${escapeRegExp(JSON.stringify(order.order_id))},"parameter_1":(?:"(?:[^"\\\\]|\\\\.)*"),"parameter_2":(-?[0-9.eE+-]+)`).exec(text);
      out.push({ auction_id: m[1], batch: m[2], order_id: order.order_id, parameter_2: raw?.[1] ?? '?' });
    }
  }
  return out;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** How many first-page polls the simulated platform counted for an auction. */
export async function platformPolls(system: Pick<System, 's3' | 'endpoints'>, auctionId: string): Promise<number> {
  const text = await readText(system, platformBucket(system), `auctions/${auctionId}/polls.json`);
  return Number((JSON.parse(text) as { polls: number }).polls);
}

/** An order item as the table holds it: strings and number texts, other attributes left out. */
export interface TableOrder {
  readonly customer: string;
  readonly record_id: string;
  readonly status?: string;
  readonly auction_id?: string;
  readonly submitted_by?: string;
  readonly reason?: string;
  readonly result_key?: string;
  readonly parameter_2?: string;
}

/** Every order item of the table (paginated Scan); the auction and run control items are left out. */
export async function scanOrders(system: Pick<System, 'dynamodb' | 'endpoints'>): Promise<TableOrder[]> {
  const items: TableOrder[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await system.dynamodb.send(new ScanCommand({ TableName: system.endpoints.tableName, ExclusiveStartKey: start, ConsistentRead: true }));
    for (const item of page.Items ?? []) {
      const customer = String(item.customer?.S);
      if (customer.startsWith('#')) continue;
      const text = (name: string) => item[name]?.S ?? item[name]?.N;
      items.push({
        customer,
        record_id: String(item.record_id?.S),
        status: text('status'),
        auction_id: text('auction_id'),
        submitted_by: text('submitted_by'),
        reason: text('reason'),
        result_key: text('result_key'),
        parameter_2: text('parameter_2'),
      });
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Counts of a list of values, e.g. statuses: `{accepted: 2, rejected: 1}`. */
export function countBy<T>(items: readonly T[], key: (item: T) => string | undefined): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) {
    const k = String(key(item));
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}
