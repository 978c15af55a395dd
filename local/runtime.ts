import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { executeApiUrls, LocalApis, startApis, templateApiKeys } from './api-gateway/apis';
import { loadStack, StackAssembly } from './core/assembly';
import { LOCAL_CREDENTIALS } from './core/aws-clients';
import { AwsJsonService, AwsQueryService, startAwsJsonServer } from './core/aws-json-server';
import { REGION, Resolver } from './core/cfn-resolver';
import { cleanupList, OnStop } from './core/cleanups';
import { createFaults, Faults } from './core/faults';
import { log, setQuiet, warn } from './core/log';
import { checkResourceTypes } from './core/resource-types';
import { readTables, startDynamoDb } from './dynamodb/tables';
import { Deliver, LocalEvents } from './events/rules';
import { Caller, IamMode, LocalIam } from './iam/authorizer';
import { awsJsonHooks, dynamodbHooks, eventTargetDenial, s3Hooks, snsDeliveryDenial } from './iam/hooks';
import { LocalFunctions, matchFunctionEnv, readFunctions, setFunctionEnv, startFunctions } from './lambda/functions';
import type { FunctionSpec, RunnerOptions } from './lambda/runner';
import { readBuckets, startS3Service } from './s3/buckets';
import { s3ObjectStore } from './s3/object-store';
import { findSecret, LocalSecret, readSecrets, secretsService } from './secrets/secrets-manager';
import { startSlackSink } from './slack/sink';
import { LocalSns } from './sns-sqs/sns';
import { snsQueryService } from './sns-sqs/sns-query';
import { LocalQueues, MessageAttribute, readQueues } from './sns-sqs/sqs';
import { sfnService } from './stepfunctions/endpoint';
import { LocalStateMachines, startStateMachines, statusChangeEvent } from './stepfunctions/machines';
import type { LocalStateMachine } from './stepfunctions/state-machine';
import { taskHandlers } from './stepfunctions/tasks';

export interface RuntimeOptions {
  /** Cloud assembly directory. @default 'cdk.out' */
  readonly cdkOut?: string;
  /** Stage whose nested assembly runs. @default 'Local' */
  readonly stage?: string;
  /**
   * Port of the API the `ApiUrl` output points at; DynamoDB, S3, AWS JSON services and the Slack sink take
   * the next four, further REST APIs PORT+5, PORT+6, ... 0 picks free ports for all. @default 3000
   */
  readonly port?: number;
  /** Where data and endpoints.json go. @default '.local' */
  readonly dataDir?: string;
  /** Keep DynamoDB and S3 data in memory (temporary) instead of under dataDir. @default false */
  readonly inMemory?: boolean;
  /** Key of the default customer for `x-api-key` (LOCAL_API_KEY). @default generated */
  readonly apiKey?: string;
  /** More customers, name to key (LOCAL_API_KEYS); checked strictly at start. @default {} */
  readonly apiKeys?: Record<string, string>;
  /** Multiplies Wait, Retry, async-retry and schedule delays; 0 skips waits and turns schedules off. @default 1 */
  readonly timeScale?: number;
  /** A real Slack webhook; the Slack secret then resolves to it instead of the local sink. */
  readonly slackWebhookUrl?: string;
  /** Extra environment per function, see matchFunctionEnv. */
  readonly functionEnv?: Record<string, Record<string, unknown>>;
  /** No console lines (warnings still print). @default false */
  readonly quiet?: boolean;
  /** Print the functions' own log output. @default true unless quiet */
  readonly functionLogs?: boolean;
  /** Sandboxes per function. @default 4 */
  readonly lambdaConcurrency?: number;
  /** Seconds between TTL sweeps. @default 60 */
  readonly ttlSweepSeconds?: number;
  /** Tests only: put an S3 fault proxy in front of s3rver and return `faults`. @default false */
  readonly faultInjection?: boolean;
  /**
   * LOCAL_IAM: `enforce` checks every call of a function or state machine against its role's policies and
   * answers AccessDenied as AWS does; `warn` only logs what AWS would deny; `off` checks nothing. @default 'enforce'
   */
  readonly iam?: IamMode;
}

export interface Endpoints {
  /** The API the stack's `ApiUrl` output points at (else the first). */
  api: string;
  /** The API also answers under `/<apiStage>/...`, like its AWS invoke URL. */
  apiStage: string;
  /** Every REST API by its Name (else logical id), each on its own port; `api` is among them. */
  apis: Record<string, string>;
  /** The default customer's key (LOCAL_API_KEY). */
  apiKey: string;
  /** Every customer of the generated keys by name (`default` plus LOCAL_API_KEYS). */
  apiKeys: Record<string, string>;
  /** Keys of the template that have their own Value, by Name: the value, identity.apiKeyId and the APIs (names) taking it. */
  templateApiKeys: Record<string, { value: string; apiKeyId: string; apis: string[] }>;
  dynamodb: string;
  s3: string;
  stepfunctions: string;
  secretsmanager: string;
  sqs: string;
  /** SNS Publish (AWS Query protocol), as functions reach it through AWS_ENDPOINT_URL_SNS. */
  sns: string;
  /** Queue URLs by queue name (the dead-letter queues), for @aws-sdk/client-sqs at the `sqs` endpoint. */
  queueUrls: Record<string, string>;
  slackSink: string;
  stateMachineArn: string;
  tableName: string;
  bucketName: string;
  tables: string[];
  buckets: string[];
  stateMachineArns: string[];
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

export interface Runtime {
  readonly endpoints: Endpoints;
  /** Replaces a function's extra environment (same keys as functionEnv); its warm sandboxes are retired. */
  setFunctionEnv(key: string, vars: Record<string, unknown>): void;
  /** Fault injection, only when started with `faultInjection: true`. */
  readonly faults?: Faults;
  stop(): Promise<void>;
}

/** What every service start needs: the options, the stack and its resolver, IAM and the ports. */
interface Context {
  readonly options: RuntimeOptions;
  readonly dataDir: string;
  readonly timeScale: number;
  readonly stack: StackAssembly;
  readonly resolver: Resolver;
  readonly iam: LocalIam;
  portFor(offset: number): number;
  /** Where an emulator keeps its data: under dataDir, or in memory (undefined). */
  storeIn(name: string): string | undefined;
}

function prepare(options: RuntimeOptions): Context {
  setQuiet(options.quiet ?? false);
  const dataDir = resolve(options.dataDir ?? '.local');
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale >= 0)) throw new Error(`LOCAL_TIME_SCALE must be a number >= 0, got ${timeScale}`);
  const basePort = options.port ?? 3000;
  mkdirSync(dataDir, { recursive: true });

  const stack = loadStack(resolve(options.cdkOut ?? 'cdk.out'), options.stage ?? 'Local');
  checkResourceTypes(stack.template);
  const resolver = new Resolver(stack);
  const iam = new LocalIam(stack, resolver, options.iam ?? 'enforce');
  iam.describe();
  return {
    options,
    dataDir,
    timeScale,
    stack,
    resolver,
    iam,
    portFor: (offset) => (basePort === 0 ? 0 : basePort + offset),
    storeIn: (name) => (options.inMemory ? undefined : join(dataDir, name)),
  };
}

type Emulators = Awaited<ReturnType<typeof startEmulators>>;

/** The emulators come first: functions get their endpoints in the environment. */
async function startEmulators(ctx: Context, onStop: OnStop) {
  const { stack, resolver, iam, portFor } = ctx;
  const slack = await startSlackSink(portFor(4));
  onStop(() => slack.close());
  const tables = readTables(stack.template, resolver);
  const tableOf = (tableName: string) => tables.find((t) => t.input.TableName === tableName);
  const dynamo = await startDynamoDb(
    { port: portFor(1), directory: ctx.storeIn('dynamodb'), tables, hooks: dynamodbHooks(iam, tableOf), ttlSweepSeconds: ctx.options.ttlSweepSeconds ?? 60 },
    onStop,
  );

  const bucketSettings = readBuckets(stack.template, resolver);
  const buckets = [...bucketSettings.keys()];
  const hooks = s3Hooks(iam, (name) => bucketSettings.get(name));
  const s3 = await startS3Service({ port: portFor(2), directory: ctx.storeIn('s3'), buckets, hooks, faultInjection: ctx.options.faultInjection ?? false }, onStop);

  // One server answers the AWS JSON and Query services; SNS and the secrets are read later from the
  // template, so their handlers (and the IAM check resolving a SecretId) go through these lists.
  const awsServices: AwsJsonService[] = [];
  const queryServices: Record<string, AwsQueryService> = {};
  const knownSecrets: LocalSecret[] = [];
  const awsJson = await startAwsJsonServer(portFor(3), awsServices, queryServices, awsJsonHooks(iam, (id) => findSecret(knownSecrets, id)?.arn));
  onStop(() => new Promise((r) => awsJson.server.close(() => r())));
  const queues = new LocalQueues(readQueues(stack, resolver), awsJson.endpoint, ctx.storeIn('sqs'));
  awsServices.push(queues.service());
  onStop(() => queues.close());
  return { slack, dynamo, tables, s3, buckets, awsJson, awsServices, queryServices, knownSecrets, queues };
}

interface Compute {
  readonly secrets: LocalSecret[];
  readonly apis: LocalApis;
  readonly specs: FunctionSpec[];
  readonly lambda: LocalFunctions;
  readonly sns: LocalSns;
}

/** Secrets, the APIs, the functions and the topics, with dead letters routed to queues or topics. */
async function startCompute(ctx: Context, em: Emulators, onStop: OnStop): Promise<Compute> {
  const { stack, resolver, iam, options } = ctx;
  // The webhook secret resolves to the sink (or a real Slack URL).
  const secrets = readSecrets(stack.template, resolver, options.slackWebhookUrl ?? em.slack.url);
  em.knownSecrets.push(...secrets);
  em.awsServices.push(secretsService(secrets));

  const apis = await startApis(stack, resolver, { apiKey: options.apiKey, apiKeys: options.apiKeys, secrets, portFor: ctx.portFor }, onStop);
  const aws = em.awsJson.endpoint;
  const endpointsForFunctions = { dynamodb: em.dynamo.endpoint, s3: em.s3.endpoint, secretsmanager: aws, stepfunctions: aws, sns: aws, executeApi: executeApiUrls(apis) };
  const specs = readFunctions(stack, resolver, endpointsForFunctions, join(ctx.dataDir, 'inline'), secrets, (id) => iam.caller(id)?.credentials);
  const extraEnv = matchFunctionEnv(specs, options.functionEnv ?? {});
  const runnerOptions: RunnerOptions = {
    maxConcurrency: options.lambdaConcurrency ?? 4,
    printLogs: options.functionLogs ?? !options.quiet,
    timeScale: ctx.timeScale,
    deadLetter: (targetArn, letter) => deadLetter(targetArn, letter.body, letter.attributes),
  };
  const lambda = startFunctions(specs, runnerOptions, extraEnv, onStop);

  const sns = new LocalSns(stack, resolver, lambda.byArn, (queueArn, body) => deadLetter(queueArn, body), (fnArn, topicArn) => snsDeliveryDenial(iam, fnArn, topicArn));
  em.queryServices.sns = snsQueryService(sns);
  const deadLetter = deadLetterRoute(em.queues, sns);
  for (const target of [...lambda.functions.flatMap((f) => (f.spec.deadLetterArn ? [f.spec.deadLetterArn] : [])), ...sns.deadLetterTargets]) {
    if (!em.queues.find(target) && !sns.has(target)) throw new Error(`Dead-letter target ${target} is neither an SQS queue nor an SNS topic of the template`);
  }
  return { secrets, apis, specs, lambda, sns };
}

/** Dead letters go to a queue (or a topic) of the template; a target that is neither fails the start. */
function deadLetterRoute(queues: LocalQueues, sns: LocalSns) {
  return (targetArn: string, body: string, attributes?: Record<string, MessageAttribute>): string => {
    const queue = queues.find(targetArn);
    if (queue) return `${queue.name} (message ${queues.send(queue.arn, body, attributes).MessageId})`;
    if (sns.has(targetArn)) return `topic ${targetArn.split(':').pop()} (message ${sns.publish({ TopicArn: targetArn, Message: body }, 'dead letter').MessageId})`;
    throw new Error(`dead-letter target ${targetArn} is neither a queue nor a topic of the template`);
  };
}

/** The state machines and the EventBridge rules; rules deliver to machines, topics and functions. */
function startWorkflows(ctx: Context, em: Emulators, compute: Compute, onStop: OnStop): LocalStateMachines {
  const { stack, resolver, iam } = ctx;
  const { lambda, sns } = compute;
  // Distributed Map ItemReader/ResultWriter go through the same S3 endpoint as the functions (and its fault
  // proxy), signed as the state machine's role.
  const objectStoreFor = (caller: Caller | undefined) => {
    const store = s3ObjectStore(em.s3.endpoint, caller?.credentials);
    onStop(() => store.close());
    return store;
  };
  // Rules are read before the state machines: execution status changes go to them; deliveries happen later.
  let machines: LocalStateMachine[] = [];
  const events = new LocalEvents(stack, resolver, eventDelivery(iam, () => machines, compute));
  const stepfunctions = startStateMachines(
    stack,
    resolver,
    { iam, taskHandlerFor: (caller) => taskHandlers({ iam, lambda, sns }, caller), objectStoreFor, onStatusChange: (e) => events.put(statusChangeEvent(e)), timeScale: ctx.timeScale },
    onStop,
  );
  machines = stepfunctions.machines;
  em.awsServices.push(sfnService(stepfunctions.machines, stepfunctions.definitions));

  for (const arn of events.targetArns) {
    if (!machines.some((m) => m.arn === arn) && !sns.has(arn) && !lambda.byArn(arn)) {
      throw new Error(`EventBridge target ${arn} is not supported locally (state machines, topics and functions are)`);
    }
  }
  events.start(ctx.timeScale);
  onStop(() => events.stop());
  for (const server of compute.apis.servers) server.bind(lambda.byArn);
  return stepfunctions;
}

/** How a rule reaches its target, after the IAM check EventBridge makes (role or resource policy). */
function eventDelivery(iam: LocalIam, machines: () => LocalStateMachine[], { sns, lambda }: Compute): Deliver {
  return (targetArn, payload, source, via) => {
    const machine = machines().find((m) => m.arn === targetArn);
    const fn = machine || sns.has(targetArn) ? undefined : lambda.byArn(targetArn);
    // EventBridge counts a failed invocation and retries; locally the denial is logged and the event dropped.
    const denied = eventTargetDenial(iam, machine ? 'state-machine' : fn ? 'function' : 'topic', targetArn, via);
    if (denied) return void warn(`events: ${source} cannot deliver to ${targetArn}: ${denied}`);
    if (machine) return void machine.start(payload);
    if (sns.has(targetArn)) return void sns.publish({ TopicArn: targetArn, Message: payload }, source);
    if (fn) return void fn.invokeAsync(JSON.parse(payload), source);
  };
}

function endpointsOf(em: Emulators, compute: Compute, stepfunctions: LocalStateMachines): Endpoints {
  const { servers } = compute.apis;
  const api = servers[0];
  const tableNames = em.tables.map((t) => String(t.input.TableName));
  const machines = stepfunctions.machines;
  return {
    api: api?.url ?? '',
    apiStage: api?.api.stage ?? '',
    apis: Object.fromEntries(servers.map((a) => [a.api.name, a.url])),
    apiKey: compute.apis.apiKey,
    apiKeys: compute.apis.customers,
    templateApiKeys: templateApiKeys(compute.apis),
    dynamodb: em.dynamo.endpoint,
    s3: em.s3.endpoint,
    stepfunctions: em.awsJson.endpoint,
    secretsmanager: em.awsJson.endpoint,
    sqs: em.awsJson.endpoint,
    sns: em.awsJson.endpoint,
    queueUrls: Object.fromEntries(em.queues.queues.map((q) => [q.name, em.queues.urlOf(q)])),
    slackSink: em.slack.url.replace(/\/services\/.*/, ''),
    stateMachineArn: machines[0]?.arn ?? '',
    tableName: tableNames[0] ?? '',
    bucketName: em.buckets[0] ?? '',
    tables: tableNames,
    buckets: em.buckets,
    stateMachineArns: machines.map((m) => m.arn),
    region: REGION,
    credentials: LOCAL_CREDENTIALS,
  };
}

/** Written whole under a temporary name, then renamed: a reader never sees a half-written file. */
function writeEndpoints(dataDir: string, endpoints: Endpoints): void {
  const endpointsFile = join(dataDir, 'endpoints.json');
  const temporary = `${endpointsFile}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(endpoints, null, 2)}\n`);
  renameSync(temporary, endpointsFile);
}

/**
 * Starts everything the synthesized stack declares, on loopback: emulators, functions, API, state
 * machine, topics, rules, secrets and the Slack sink. Returns the endpoints and a stop function.
 */
export async function startRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const started = Date.now();
  const ctx = prepare(options);
  const { onStop, stop } = cleanupList();
  try {
    const em = await startEmulators(ctx, onStop);
    const compute = await startCompute(ctx, em, onStop);
    const stepfunctions = startWorkflows(ctx, em, compute, onStop);
    const endpoints = endpointsOf(em, compute, stepfunctions);
    writeEndpoints(ctx.dataDir, endpoints);
    const { servers } = compute.apis;
    const routes = servers.reduce((n, a) => n + a.api.routes.length, 0);
    log('runtime', `stack ${ctx.stack.stackName}: ${compute.lambda.functions.length} functions, ${stepfunctions.machines.length} state machine(s), ${servers.length} API(s) with ${routes} route(s); ready in ${Date.now() - started}ms`);
    return {
      endpoints,
      setFunctionEnv: (key, vars) => setFunctionEnv(compute.specs, compute.lambda.functions, key, vars),
      faults: em.s3.proxy ? createFaults(em.dynamo, em.s3.proxy, em.slack) : undefined,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
