import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { loadStack, resourcesOfType } from './core/assembly';
import { ACCOUNT, REGION, Resolver } from './core/cfn-resolver';
import { checkResourceTypes } from './core/resource-types';
import { LOCAL_CREDENTIALS } from './core/aws-clients';
import { AwsJsonService, AwsQueryService, startAwsJsonServer } from './core/aws-json-server';
import { snsQueryService } from './sns-sqs/sns-query';
import { ensureTable, startDynamo, sweepExpired, TableSpec } from './dynamodb/emulator';
import { readBucketSettings, startS3 } from './s3/emulator';
import { startSlackSink } from './slack/sink';
import { findSecret, localSecretValue, LocalSecret, secretsService } from './secrets/secrets-manager';
import { Caller, IamMode, LocalIam } from './iam/authorizer';
import { awsJsonHooks, dynamodbHooks, eventTargetDenial, s3Hooks, snsDeliveryDenial } from './iam/hooks';
import { LocalQueues, readQueues } from './sns-sqs/sqs';
import { createFaults, Faults } from './core/faults';
import { startS3FaultProxy } from './s3/fault-proxy';
import { matchFunctionEnv, readFunctions } from './lambda/functions';
import { DeadLetter, LocalFunction } from './lambda/runner';
import type { MessageAttribute } from './sns-sqs/sqs';
import { ApiServer, primaryApi, readApis, startApi } from './api-gateway/rest-api';
import { customersOf, readApiKeys } from './api-gateway/api-keys';
import { LocalSns } from './sns-sqs/sns';
import { LocalEvents } from './events/rules';
import { Execution, LocalStateMachine, TaskHandler } from './stepfunctions/state-machine';
import { sfnService } from './stepfunctions/endpoint';
import { s3ObjectStore } from './s3/object-store';
import { log, setQuiet, warn } from './core/log';

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

/** An error of the service a task calls (Lambda.AWSLambdaException, ...), its cause the service's message. */
class ServiceError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** How the Java SDK Step Functions uses appends the status to a service error, as AWS shows it in the cause. */
const sdkCause = (message: string, service: string, status: number, code: string) =>
  `${message} (Service: ${service}; Status Code: ${status}; Error Code: ${code}; Request ID: ${randomUUID()}; Proxy: null)`;

/** Error a task throws for a Lambda function error: Step Functions matches Retry/Catch on its name. */
class TaskError extends Error {
  constructor(name: string, cause: unknown) {
    super(JSON.stringify(cause));
    this.name = name;
  }
}

const LAMBDA_ARN = /^arn:aws:lambda:[^:]+:\d+:function:[^:]+/;

/**
 * Starts everything the synthesized stack declares, on loopback: emulators, functions, API, state
 * machine, topics, rules, secrets and the Slack sink. Returns the endpoints and a stop function.
 */
export async function startRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const started = Date.now();
  setQuiet(options.quiet ?? false);
  const dataDir = resolve(options.dataDir ?? '.local');
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale >= 0)) throw new Error(`LOCAL_TIME_SCALE must be a number >= 0, got ${timeScale}`);
  const basePort = options.port ?? 3000;
  const portFor = (offset: number) => (basePort === 0 ? 0 : basePort + offset);
  mkdirSync(dataDir, { recursive: true });

  const stack = loadStack(resolve(options.cdkOut ?? 'cdk.out'), options.stage ?? 'Local');
  checkResourceTypes(stack.template);
  const resolver = new Resolver(stack);
  const template = stack.template;
  const iam = new LocalIam(stack, resolver, options.iam ?? 'enforce');
  iam.describe();

  const cleanups: Array<() => Promise<void> | void> = [];
  const stop = async () => {
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch (error) {
        warn(`stop: ${String(error)}`);
      }
    }
    cleanups.length = 0;
  };

  try {
    // Emulators first: functions get their endpoints in the environment.
    const slack = await startSlackSink(portFor(4));
    cleanups.push(() => slack.close());
    const tables: TableSpec[] = [];
    const tableOf = (tableName: string) => tables.find((t) => t.input.TableName === tableName);
    const dynamo = await startDynamo(portFor(1), options.inMemory ? undefined : join(dataDir, 'dynamodb'), dynamodbHooks(iam, tableOf));
    cleanups.push(() => dynamo.close());

    const bucketResources = resourcesOfType(template, 'AWS::S3::Bucket');
    const buckets = bucketResources.map(([id]) => resolver.physicalName(id));
    const bucketSettings = new Map(bucketResources.map(([id, res]) => [resolver.physicalName(id), readBucketSettings(resolver.resolve(res.Properties ?? {}) as Record<string, unknown>)]));
    // With fault injection, s3rver moves to a free port behind a proxy that can fail chosen PUTs.
    const s3 = await startS3(options.faultInjection ? 0 : portFor(2), options.inMemory ? undefined : join(dataDir, 's3'), buckets, s3Hooks(iam, (name) => bucketSettings.get(name)));
    cleanups.push(() => s3.close());
    const s3Proxy = options.faultInjection ? await startS3FaultProxy(portFor(2), s3.endpoint) : undefined;
    if (s3Proxy) cleanups.push(() => s3Proxy.close());
    const s3Endpoint = s3Proxy?.endpoint ?? s3.endpoint;

    const awsServices: AwsJsonService[] = [];
    // SNS is read later from the template; its Publish answers through this indirection.
    const queryServices: Record<string, AwsQueryService> = {};
    // Secrets are read later from the template; the IAM check resolves a SecretId through this list.
    const knownSecrets: LocalSecret[] = [];
    const awsJson = await startAwsJsonServer(portFor(3), awsServices, queryServices, awsJsonHooks(iam, (id) => findSecret(knownSecrets, id)?.arn));
    cleanups.push(() => new Promise((r) => awsJson.server.close(() => r())));
    const queues = new LocalQueues(readQueues(stack, resolver), awsJson.endpoint, options.inMemory ? undefined : join(dataDir, 'sqs'));
    awsServices.push(queues.service());
    cleanups.push(() => queues.close());

    for (const [id, res] of [...resourcesOfType(template, 'AWS::DynamoDB::Table'), ...resourcesOfType(template, 'AWS::DynamoDB::GlobalTable')]) {
      const p = resolver.resolve(res.Properties ?? {}) as Record<string, unknown>;
      const indexes = (p.GlobalSecondaryIndexes as Array<Record<string, unknown>> | undefined)?.map((i) => ({
        IndexName: i.IndexName,
        KeySchema: i.KeySchema,
        Projection: i.Projection,
        ProvisionedThroughput: i.ProvisionedThroughput,
      }));
      const input = {
        TableName: resolver.physicalName(id),
        KeySchema: p.KeySchema,
        AttributeDefinitions: p.AttributeDefinitions,
        BillingMode: p.ProvisionedThroughput ? 'PROVISIONED' : 'PAY_PER_REQUEST',
        ProvisionedThroughput: p.ProvisionedThroughput,
        GlobalSecondaryIndexes: indexes,
        LocalSecondaryIndexes: p.LocalSecondaryIndexes,
      } as CreateTableCommandInput;
      const ttl = p.TimeToLiveSpecification as { AttributeName?: string; Enabled?: boolean } | undefined;
      const sse = p.SSESpecification as { SSEEnabled?: boolean; SSEType?: string; KMSMasterKeyId?: string } | undefined;
      const pitr = p.PointInTimeRecoverySpecification as { PointInTimeRecoveryEnabled?: boolean; RecoveryPeriodInDays?: number } | undefined;
      const spec: TableSpec = {
        logicalId: id,
        input,
        ttlAttribute: ttl?.Enabled ? ttl.AttributeName : undefined,
        sse: sse?.SSEEnabled ? { kmsKey: sse.KMSMasterKeyId } : undefined,
        pointInTimeRecoveryDays: pitr?.PointInTimeRecoveryEnabled ? Number(pitr.RecoveryPeriodInDays ?? 35) : undefined,
        deletionProtection: p.DeletionProtectionEnabled === true,
        createdAt: new Date(),
      };
      const state = await ensureTable(dynamo.client, spec);
      log('runtime', `table ${input.TableName} ${state}${spec.ttlAttribute ? ` (TTL on ${spec.ttlAttribute})` : ''}`);
      tables.push(spec);
    }
    const sweep = async () => {
      for (const t of tables) {
        const n = await sweepExpired(dynamo.client, t, Math.floor(Date.now() / 1000)).catch(() => 0);
        if (n) log('ttl', `${t.input.TableName}: ${n} expired item(s) deleted`);
      }
    };
    await sweep();
    // The next sweep is scheduled when one ends, so two sweeps never overlap however slow a scan is.
    let sweeper: NodeJS.Timeout | undefined;
    let stopped = false;
    const nextSweep = () => {
      if (stopped) return;
      sweeper = setTimeout(() => void sweep().finally(nextSweep), Math.max(0.1, options.ttlSweepSeconds ?? 60) * 1000);
    };
    nextSweep();
    cleanups.push(() => {
      stopped = true;
      clearTimeout(sweeper);
    });

    // Secrets: the webhook secret resolves to the sink (or a real Slack URL).
    const webhookUrl = options.slackWebhookUrl ?? slack.url;
    const fnEnvRefs = resourcesOfType(template, 'AWS::Lambda::Function').flatMap(([, f]) =>
      Object.entries(((f.Properties?.Environment as Record<string, unknown>)?.Variables as Record<string, unknown>) ?? {}),
    );
    const secrets: LocalSecret[] = resourcesOfType(template, 'AWS::SecretsManager::Secret').map(([id, res]) => {
      const p = resolver.resolve(res.Properties ?? {}) as Record<string, unknown>;
      const referencedAs = fnEnvRefs.filter(([, v]) => JSON.stringify(v).includes(`"${id}"`)).map(([k]) => k);
      const isWebhook = /slack|webhook/i.test([id, p.Name, p.Description, ...referencedAs].join(' '));
      return { name: resolver.physicalName(id), arn: resolver.ref(id), value: localSecretValue(p, isWebhook, webhookUrl) };
    });
    knownSecrets.push(...secrets);
    awsServices.push(secretsService(secrets));

    // The APIs listen before the functions are read, so function environments can name their local URLs;
    // their routes are bound to the functions further down.
    const apiKey = options.apiKey ?? randomBytes(20).toString('base64url');
    const customers = customersOf(apiKey, options.apiKeys);
    const apiDefs = readApis(stack, resolver);
    const primary = primaryApi(stack, apiDefs);
    const keyGrants = readApiKeys(stack, resolver, secrets, customers);
    const apiServers: ApiServer[] = [];
    for (const def of [...(primary ? [primary] : []), ...apiDefs.filter((d) => d !== primary)]) {
      const offset = apiServers.length === 0 ? 0 : 4 + apiServers.length;
      const server = await startApi(def, portFor(offset), keyGrants, offset === 0 ? 'api' : `api ${def.name}`);
      cleanups.push(() => server.close());
      apiServers.push(server);
    }
    const executeApi = Object.fromEntries(apiServers.map((a) => [a.api.apiId, a.url]));

    const endpointsForFunctions = { dynamodb: dynamo.endpoint, s3: s3Endpoint, secretsmanager: awsJson.endpoint, stepfunctions: awsJson.endpoint, sns: awsJson.endpoint, executeApi };
    const specs = readFunctions(stack, resolver, endpointsForFunctions, join(dataDir, 'inline'), secrets, (id) => iam.caller(id)?.credentials);
    const extraEnv = matchFunctionEnv(specs, options.functionEnv ?? {});
    const runnerOptions = {
      maxConcurrency: options.lambdaConcurrency ?? 4,
      printLogs: options.functionLogs ?? !options.quiet,
      timeScale,
      deadLetter: (targetArn: string, letter: DeadLetter) => deadLetter(targetArn, letter.body, letter.attributes),
    };
    const functions = specs.map((s) => new LocalFunction(s, runnerOptions, extraEnv.get(s.logicalId)));
    cleanups.push(() => Promise.all(functions.map((f) => f.stop())).then(() => undefined));
    const functionByArn = (arnOrName: string) => {
      const base = LAMBDA_ARN.exec(arnOrName)?.[0] ?? arnOrName;
      return functions.find((f) => f.spec.arn === base || f.spec.name === base);
    };

    const sns = new LocalSns(stack, resolver, functionByArn, (queueArn, body) => deadLetter(queueArn, body), (fnArn, topicArn) => snsDeliveryDenial(iam, fnArn, topicArn));
    queryServices.sns = snsQueryService(sns);
    // Dead letters go to a queue (or a topic) of the template; a target that is neither fails the start.
    const deadLetter = (targetArn: string, body: string, attributes?: Record<string, MessageAttribute>): string => {
      const queue = queues.find(targetArn);
      if (queue) return `${queue.name} (message ${queues.send(queue.arn, body, attributes).MessageId})`;
      if (sns.has(targetArn)) return `topic ${targetArn.split(':').pop()} (message ${sns.publish({ TopicArn: targetArn, Message: body }, 'dead letter').MessageId})`;
      throw new Error(`dead-letter target ${targetArn} is neither a queue nor a topic of the template`);
    };
    for (const target of [...functions.flatMap((f) => (f.spec.deadLetterArn ? [f.spec.deadLetterArn] : [])), ...sns.deadLetterTargets]) {
      if (!queues.find(target) && !sns.has(target)) throw new Error(`Dead-letter target ${target} is neither an SQS queue nor an SNS topic of the template`);
    }

    // Distributed Map ItemReader/ResultWriter go through the same S3 endpoint as the functions (and its fault
    // proxy), signed as the state machine's role.
    const objectStoreFor = (caller: Caller | undefined) => {
      const store = s3ObjectStore(s3Endpoint, caller?.credentials);
      cleanups.push(() => store.close());
      return store;
    };
    const machines: LocalStateMachine[] = [];
    const definitions = new Map<string, string>();
    // Rules are read before the state machines: execution status changes go to them; deliveries happen later.
    const events = new LocalEvents(stack, resolver, (targetArn, payload, source, via) => {
      const machine = machines.find((m) => m.arn === targetArn);
      const fn = machine || sns.has(targetArn) ? undefined : functionByArn(targetArn);
      // EventBridge counts a failed invocation and retries; locally the denial is logged and the event dropped.
      const denied = eventTargetDenial(iam, machine ? 'state-machine' : fn ? 'function' : 'topic', targetArn, via);
      if (denied) return void warn(`events: ${source} cannot deliver to ${targetArn}: ${denied}`);
      if (machine) return void machine.start(payload);
      if (sns.has(targetArn)) return void sns.publish({ TopicArn: targetArn, Message: payload }, source);
      if (fn) return void fn.invokeAsync(JSON.parse(payload), source);
    });
    const invokeTask = async (fnArn: string, payload: unknown, caller: Caller | undefined) => {
      const fn = functionByArn(fnArn);
      if (!fn) throw new TaskError('Lambda.ResourceNotFoundException', { errorMessage: `Function not found: ${fnArn}` });
      const denied = iam.check(caller, [{ action: 'lambda:InvokeFunction', resource: fnArn.startsWith('arn:') ? fnArn : fn.spec.arn }], 'states');
      if (denied) throw new ServiceError('Lambda.AWSLambdaException', sdkCause(denied.message, 'AWSLambda', 403, 'AccessDeniedException'));
      const result = await fn.invoke(payload);
      if (!result.ok) throw new TaskError(result.error.errorType, result.error);
      return result.payload;
    };
    // Each state machine's tasks run as its role.
    const taskHandlerFor = (caller: Caller | undefined) => (resource: string, stateName: string): TaskHandler => {
      if (LAMBDA_ARN.test(resource)) {
        if (!functionByArn(resource)) throw new Error(`task resource ${resource} is not a function of the template`);
        return async (input) => (await invokeTask(resource, input, caller)) as never;
      }
      if (resource === 'arn:aws:states:::lambda:invoke') {
        return async (input) => {
          const p = input as { FunctionName: string; Payload?: unknown };
          const payload = await invokeTask(p.FunctionName, p.Payload ?? {}, caller);
          return { ExecutedVersion: '$LATEST', Payload: payload, StatusCode: 200, SdkHttpMetadata: { HttpStatusCode: 200 }, SdkResponseMetadata: { RequestId: randomUUID() } } as never;
        };
      }
      if (resource === 'arn:aws:states:::sns:publish') {
        return async (input) => {
          const denied = iam.check(caller, [{ action: 'sns:Publish', resource: String((input as { TopicArn?: unknown }).TopicArn) }], 'states');
          if (denied) throw new ServiceError('SNS.AuthorizationErrorException', sdkCause(denied.message.replace(/(perform: |the )sns:/g, '$1SNS:'), 'AmazonSNS', 403, 'AuthorizationError'));
          const out = sns.publish(input as never, `state ${stateName}`);
          return { ...out, SdkHttpMetadata: { HttpStatusCode: 200 }, SdkResponseMetadata: { RequestId: randomUUID() } } as never;
        };
      }
      throw new Error(`task resource ${resource} is not supported (Lambda ARNs, lambda:invoke and sns:publish are)`);
    };
    const statusChange = (e: Execution) => {
      events.put({
        version: '0',
        id: randomUUID(),
        'detail-type': 'Step Functions Execution Status Change',
        source: 'aws.states',
        account: ACCOUNT,
        time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        region: REGION,
        resources: [e.executionArn],
        detail: {
          executionArn: e.executionArn,
          stateMachineArn: e.stateMachineArn,
          name: e.name,
          status: e.status,
          startDate: e.startDate.getTime(),
          stopDate: e.stopDate?.getTime() ?? null,
          input: e.input,
          output: e.output ?? null,
          inputDetails: { included: true },
          outputDetails: e.output === undefined ? null : { included: true },
          error: e.error ?? null,
          cause: e.cause ?? null,
        },
      });
    };
    for (const [id, res] of resourcesOfType(template, 'AWS::StepFunctions::StateMachine')) {
      const p = res.Properties ?? {};
      if (p.StateMachineType === 'EXPRESS') warn(`State machine ${id} is EXPRESS; it runs locally with standard-workflow semantics`);
      const text = p.DefinitionString
        ? resolver.resolveString(p.DefinitionString, `State machine ${id} DefinitionString`)
        : JSON.stringify(resolver.resolve(p.Definition));
      const substitutions = resolver.resolve(p.DefinitionSubstitutions ?? {}) as Record<string, unknown>;
      const definitionText = text.replace(/\$\{([^}]+)\}/g, (whole, key: string) => (key in substitutions ? String(substitutions[key]) : whole));
      const arn = resolver.ref(id);
      definitions.set(arn, definitionText);
      const caller = iam.caller(id);
      machines.push(new LocalStateMachine(arn, resolver.physicalName(id), JSON.parse(definitionText), {
        taskHandler: taskHandlerFor(caller),
        timeScale,
        onStatusChange: statusChange,
        objectStore: objectStoreFor(caller),
        roleArn: caller?.role.arn,
        authorizeChildExecutions: () => iam.check(caller, [{ action: 'states:StartExecution', resource: arn }], 'states')?.message,
      }));
    }
    awsServices.push(sfnService(machines, definitions));
    cleanups.push(() => {
      for (const m of machines) for (const e of m.executions.values()) if (e.status === 'RUNNING') e.abort();
    });

    for (const arn of events.targetArns) {
      if (!machines.some((m) => m.arn === arn) && !sns.has(arn) && !functionByArn(arn)) {
        throw new Error(`EventBridge target ${arn} is not supported locally (state machines, topics and functions are)`);
      }
    }
    events.start(timeScale);
    cleanups.push(() => events.stop());

    for (const server of apiServers) server.bind(functionByArn);
    const api = apiServers[0];
    const apiNames = new Map(apiDefs.map((d) => [d.logicalId, d.name]));

    const tableNames = tables.map((t) => String(t.input.TableName));
    const endpoints: Endpoints = {
      api: api?.url ?? '',
      apiStage: api?.api.stage ?? '',
      apis: Object.fromEntries(apiServers.map((a) => [a.api.name, a.url])),
      apiKey,
      apiKeys: customers,
      templateApiKeys: Object.fromEntries(
        keyGrants.filter((k) => k.fromTemplate).map((k) => [k.label, { value: k.value, apiKeyId: k.apiKeyId, apis: [...k.restApis].map((id) => apiNames.get(id) ?? id) }]),
      ),
      dynamodb: dynamo.endpoint,
      s3: s3Endpoint,
      stepfunctions: awsJson.endpoint,
      secretsmanager: awsJson.endpoint,
      sqs: awsJson.endpoint,
      sns: awsJson.endpoint,
      queueUrls: Object.fromEntries(queues.queues.map((q) => [q.name, queues.urlOf(q)])),
      slackSink: slack.url.replace(/\/services\/.*/, ''),
      stateMachineArn: machines[0]?.arn ?? '',
      tableName: tableNames[0] ?? '',
      bucketName: buckets[0] ?? '',
      tables: tableNames,
      buckets,
      stateMachineArns: machines.map((m) => m.arn),
      region: REGION,
      credentials: LOCAL_CREDENTIALS,
    };
    // Written whole under a temporary name, then renamed: a reader never sees a half-written file.
    const endpointsFile = join(dataDir, 'endpoints.json');
    const temporary = `${endpointsFile}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(endpoints, null, 2)}\n`);
    renameSync(temporary, endpointsFile);
    const routes = apiServers.reduce((n, a) => n + a.api.routes.length, 0);
    log('runtime', `stack ${stack.stackName}: ${functions.length} functions, ${machines.length} state machine(s), ${apiServers.length} API(s) with ${routes} route(s); ready in ${Date.now() - started}ms`);

    return {
      endpoints,
      setFunctionEnv: (key, vars) => {
        const matched = matchFunctionEnv(specs, { [key]: vars });
        for (const fn of functions) {
          const env = matched.get(fn.spec.logicalId);
          if (env && Object.keys(env).length) fn.setExtraEnv(env);
        }
      },
      faults: s3Proxy ? createFaults(dynamo, s3Proxy, slack) : undefined,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
