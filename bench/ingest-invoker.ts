/**
 * A process that invokes bundled handlers for bench/ingest-handlers.ts: bundled itself and started with
 * plain `node` (no TypeScript loader), with post-orders' environment from the template. It loads its
 * handlers once (warm) and then runs what the parent asks, one request at a time, timing each
 * invocation. Messages and results go over the IPC channel; stdout takes the functions' logs.
 */
import { BatchWriteItemCommand, DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';

export type Variant = 'minimal' | 'post-orders' | 'raw' | 'what-if';
/** The variants that are a bundled handler (the rest is SDK calls made here). */
export type HandlerVariant = Exclude<Variant, 'raw'>;

/** First message: what to load. */
export interface LoadMessage {
  readonly type: 'load';
  /** index.js of each handler, bundled like AppFunction. */
  readonly bundles: Readonly<Record<HandlerVariant, string>>;
  readonly variants: readonly Variant[];
  readonly customers: readonly string[];
  readonly tableName: string;
  readonly idPrefix: string;
  /**
   * Trace as in AWS: Powertools Tracer and the X-Ray SDK enabled (they switch themselves off outside
   * Lambda), a sampled trace header per invocation, segments sent to this UDP address.
   */
  readonly xrayDaemon?: string;
}

/** Then any number of these: `requests` requests of `size` orders, one at a time. */
export interface RunMessage {
  readonly type: 'run';
  readonly variant: Variant;
  readonly size: number;
  readonly requests: number;
}

export interface RunResult {
  readonly orders: number;
  /** CPU time of this process (user + system) over the run. */
  readonly cpuMs: number;
  readonly elapsedMs: number;
  readonly latenciesMs: number[];
  readonly failures: number;
  readonly firstFailure?: string;
}

type Response = { statusCode: number; body: string };
/** Prepares one request (untimed) and returns the call that is timed. */
type Invoke = (body: string, customer: string) => () => Promise<Response>;

let counter = 0;

/** A body of `size` fresh orders; parameter_2 has a fraction so the exact-decimal path is exercised. */
function ordersOf(prefix: string, size: number): Array<{ record_id: string; parameter_1: string; parameter_2: number }> {
  const n = counter++;
  return Array.from({ length: size }, (_, i) => ({ record_id: `${prefix}-${n}-${i}`, parameter_1: 'abc', parameter_2: (i % 100) + 0.1 }));
}

/** The event API Gateway's proxy integration hands the function, as the local gateway builds it. */
function proxyEvent(body: string, customer: string): unknown {
  const requestId = `bench-${counter}-${Date.now()}`;
  return {
    resource: '/orders',
    path: '/orders',
    httpMethod: 'POST',
    headers: { 'Content-Type': 'application/json', 'x-api-key': 'bench' },
    multiValueHeaders: { 'Content-Type': ['application/json'], 'x-api-key': ['bench'] },
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: { requestId, stage: 'v1', httpMethod: 'POST', path: '/v1/orders', identity: { apiKeyId: customer, sourceIp: '127.0.0.1' } },
    body,
    isBase64Encoded: false,
  };
}

function lambdaContext(name: string): unknown {
  const deadline = Date.now() + 29_000;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:000000000000:function:${name}`,
    memoryLimitInMB: '512',
    awsRequestId: `bench-${counter}`,
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

/** What Lambda sets per invocation when active tracing samples it. */
function traceHeader(): string {
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join('');
  return `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${hex(24)};Parent=${hex(16)};Sampled=1`;
}

function handlerInvoke(file: string, name: string): Invoke {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { handler } = require(file) as { handler: (event: unknown, context: unknown) => Promise<Response> };
  return (body, customer) => {
    const event = proxyEvent(body, customer);
    if (load.xrayDaemon) process.env._X_AMZN_TRACE_ID = traceHeader();
    return () => handler(event, lambdaContext(name));
  };
}

/**
 * The ceiling: the same orders as BatchWriteItem calls of 25, all chunks at once, from items marshalled
 * before the clock starts. Only the SDK's and the emulator's work is timed.
 */
function rawInvoke(tableName: string): Invoke {
  const client = new DynamoDBClient({});
  const ttl = String(Math.floor(Date.now() / 1000) + 86_400);
  return (body, customer) => {
    const orders = JSON.parse(body) as Array<{ record_id: string; parameter_1: string; parameter_2: number }>;
    const chunks: WriteRequest[][] = [];
    for (let i = 0; i < orders.length; i += 25) {
      chunks.push(orders.slice(i, i + 25).map((o) => ({
        PutRequest: {
          Item: {
            customer: { S: customer },
            record_id: { S: o.record_id },
            parameter_1: { S: o.parameter_1 },
            parameter_2: { N: String(o.parameter_2) },
            ttl: { N: ttl },
          },
        },
      })));
    }
    return async () => {
      await Promise.all(chunks.map(async (chunk) => {
        let requests = chunk;
        while (requests.length > 0) {
          const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: requests } }));
          requests = out.UnprocessedItems?.[tableName] ?? [];
        }
      }));
      return { statusCode: 201, body: '' };
    };
  };
}

let invokers: Partial<Record<Variant, Invoke>> = {};
let load: LoadMessage;

async function run(message: RunMessage): Promise<RunResult> {
  const invoke = invokers[message.variant];
  if (!invoke) throw new Error(`${message.variant} is not loaded in this process`);
  const result = { orders: 0, cpuMs: 0, elapsedMs: 0, latenciesMs: [] as number[], failures: 0, firstFailure: undefined as string | undefined };
  for (let i = 0; i < message.requests; i++) {
    const customer = load.customers[counter % load.customers.length];
    const call = invoke(JSON.stringify(ordersOf(`${load.idPrefix}-${message.variant}-${message.size}`, message.size)), customer);
    const cpu = process.cpuUsage();
    const started = performance.now();
    let answer: Response;
    try {
      answer = await call();
    } catch (error) {
      answer = { statusCode: 0, body: String(error) };
    }
    const took = performance.now() - started;
    const used = process.cpuUsage(cpu);
    result.cpuMs += (used.user + used.system) / 1000;
    result.elapsedMs += took;
    result.latenciesMs.push(took);
    if (answer.statusCode === 201) result.orders += message.size;
    else {
      result.failures += 1;
      result.firstFailure ??= `${answer.statusCode} ${answer.body.slice(0, 300)}`;
    }
  }
  return result;
}

function handle(message: LoadMessage | RunMessage | { type: 'exit' }): Promise<unknown> {
  if (message.type === 'exit') process.exit(0);
  if (message.type === 'load') {
    load = message;
    if (message.xrayDaemon) {
      process.env.AWS_EXECUTION_ENV = 'AWS_Lambda_nodejs22.x';
      process.env.AWS_XRAY_DAEMON_ADDRESS = message.xrayDaemon;
      process.env._X_AMZN_TRACE_ID = traceHeader();
    }
    invokers = Object.fromEntries(message.variants.map((v) => [v, v === 'raw' ? rawInvoke(message.tableName) : handlerInvoke(message.bundles[v], v)]));
    return Promise.resolve({});
  }
  return run(message);
}

process.on('message', (message: LoadMessage | RunMessage | { type: 'exit' }) => {
  handle(message).then(
    (result) => process.send!({ ok: true, result }),
    (error: unknown) => process.send!({ ok: false, error: error instanceof Error ? error.stack : String(error) }),
  );
});
