import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StackAssembly } from '../core/assembly';
import { resourcesOfType } from '../core/assembly';
import { REGION, Resolver } from '../core/cfn-resolver';
import { LOCAL_CREDENTIALS } from '../core/aws-clients';
import type { OnStop } from '../core/cleanups';
import { FunctionSpec, LocalFunction, RunnerOptions } from './runner';
import type { SessionCredentials } from '../iam/authorizer';
import { LocalSecret, resolveDynamicReferences } from '../secrets/secrets-manager';

/** Endpoints handed to every function through the standard AWS_ENDPOINT_URL_<SERVICE> variables. */
export interface ServiceEndpoints {
  readonly dynamodb: string;
  readonly s3: string;
  readonly secretsmanager: string;
  readonly stepfunctions: string;
  readonly sns: string;
  /**
   * Local base URL (`http://127.0.0.1:<port>`) per REST API id: an execute-api URL of the template's APIs
   * in a function's environment (`https://<id>.execute-api.<region>.amazonaws.com/v1/`) is mapped to it,
   * the way AWS_ENDPOINT_URL_* maps the SDK's service endpoints.
   */
  readonly executeApi?: Readonly<Record<string, string>>;
}

/** Replaces the execute-api origins of the template's APIs with their local servers. */
export function mapExecuteApiUrls(value: string, executeApi: Readonly<Record<string, string>>): string {
  return value.replace(/https:\/\/([a-z0-9]+)\.execute-api\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?(?=[/?#]|$)/g, (whole, id: string) => executeApi[id] ?? whole);
}

function sessionEnv(session: SessionCredentials | undefined): Record<string, string> {
  if (!session) return { AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey };
  return { AWS_ACCESS_KEY_ID: session.accessKeyId, AWS_SECRET_ACCESS_KEY: session.secretAccessKey, AWS_SESSION_TOKEN: session.sessionToken };
}

/**
 * Reads the template's functions: code from the `aws:asset:path` metadata (the bundled asset directory
 * next to the template), environment resolved to local names, plus the variables the Lambda service
 * sets and the endpoint variables that point the AWS SDK at the local emulators.
 */
export function readFunctions(
  stack: StackAssembly,
  resolver: Resolver,
  endpoints: ServiceEndpoints,
  inlineDir: string,
  secrets: readonly LocalSecret[] = [],
  credentials: (logicalId: string) => SessionCredentials | undefined = () => undefined,
): FunctionSpec[] {
  const invokeConfigs = new Map<string, Record<string, unknown>>();
  for (const [, cfg] of resourcesOfType(stack.template, 'AWS::Lambda::EventInvokeConfig')) {
    const p = resolver.resolve(cfg.Properties ?? {}) as Record<string, unknown>;
    invokeConfigs.set(String(p.FunctionName), p);
  }
  return resourcesOfType(stack.template, 'AWS::Lambda::Function').map(([logicalId, res]) => {
    const p = res.Properties ?? {};
    const where = `Function ${logicalId}`;
    const runtime = String(p.Runtime ?? '');
    if (!runtime.startsWith('nodejs')) throw new Error(`${where}: runtime ${runtime || '(container image)'} is not supported locally (Node.js only)`);
    if (p.Layers) throw new Error(`${where}: Lambda layers are not supported locally`);
    const code = (p.Code ?? {}) as Record<string, unknown>;
    let taskRoot: string;
    const assetPath = res.Metadata?.['aws:asset:path'];
    if (typeof code.ZipFile === 'string' || (code.ZipFile && typeof code.ZipFile === 'object')) {
      // Inline code (small CDK helper functions): written out so it loads like an asset.
      taskRoot = join(inlineDir, logicalId);
      mkdirSync(taskRoot, { recursive: true });
      writeFileSync(join(taskRoot, 'index.js'), resolver.resolveString(code.ZipFile, `${where} inline code`));
    } else if (typeof assetPath === 'string') {
      taskRoot = join(stack.directory, assetPath);
      if (!existsSync(taskRoot)) throw new Error(`${where}: asset directory ${taskRoot} is missing; synthesize again`);
    } else {
      throw new Error(`${where}: no aws:asset:path metadata to find its code (synthesize with asset metadata enabled)`);
    }
    const name = resolver.physicalName(logicalId);
    const arn = resolver.getAtt(logicalId, 'Arn');
    const variables = resolver.resolve(((p.Environment as Record<string, unknown>) ?? {}).Variables ?? {}) as Record<string, unknown>;
    const memoryMb = Number(p.MemorySize ?? 128);
    const logGroup = ((resolver.resolve(p.LoggingConfig ?? {}) as Record<string, unknown>).LogGroup as string) ?? `/aws/lambda/${name}`;
    // CloudFormation resolves dynamic references ({{resolve:secretsmanager:...}}) in any property.
    const local = (k: string, v: unknown) => mapExecuteApiUrls(resolveDynamicReferences(String(v), secrets, `${where} variable ${k}`), endpoints.executeApi ?? {});
    const env: Record<string, string> = {
      ...Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, local(k, v)])),
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      // The function's own session of its role, as Lambda provides it: the emulators check IAM by this key.
      ...sessionEnv(credentials(logicalId)),
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
      AWS_ENDPOINT_URL_S3: endpoints.s3,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoints.secretsmanager,
      AWS_ENDPOINT_URL_SFN: endpoints.stepfunctions,
      AWS_ENDPOINT_URL_SNS: endpoints.sns,
      AWS_LAMBDA_FUNCTION_NAME: name,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
      AWS_LAMBDA_LOG_GROUP_NAME: logGroup,
      AWS_LAMBDA_LOG_STREAM_NAME: `local/[$LATEST]${logicalId}`,
      LAMBDA_TASK_ROOT: taskRoot,
      _HANDLER: String(p.Handler ?? 'index.handler'),
      TZ: 'UTC',
      // The SDK warns about Node 20 once per sandbox; functions run on Node 22 in AWS, so the warning is noise here.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      // AWS_EXECUTION_ENV stays unset: Powertools Tracer then disables itself, so no X-Ray daemon is needed.
    };
    const invokeConfig = invokeConfigs.get(name) ?? invokeConfigs.get(arn) ?? {};
    const destination = ((invokeConfig.DestinationConfig as Record<string, Record<string, string>> | undefined)?.OnFailure ?? {}).Destination;
    const dlq = ((resolver.resolve(p.DeadLetterConfig ?? {}) as Record<string, string>).TargetArn as string | undefined) ?? destination;
    return {
      logicalId,
      name,
      arn,
      label: env.POWERTOOLS_SERVICE_NAME ?? logicalId,
      taskRoot,
      handler: String(p.Handler ?? 'index.handler'),
      env,
      timeoutSeconds: Number(p.Timeout ?? 3),
      memoryMb,
      asyncRetries: Number(invokeConfig.MaximumRetryAttempts ?? 2),
      deadLetterArn: dlq,
    };
  });
}

/**
 * LOCAL_FUNCTION_ENV / `functionEnv`: extra variables per function, keyed by POWERTOOLS_SERVICE_NAME,
 * function name, a logical-id prefix, or `*` for all. A key that matches no function is an error, so a
 * typo cannot silently leave a test non-deterministic.
 */
export function matchFunctionEnv(specs: FunctionSpec[], overrides: Record<string, Record<string, unknown>>): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>(specs.map((s) => [s.logicalId, {}]));
  for (const [key, vars] of Object.entries(overrides)) {
    const matched = specs.filter((s) => key === '*' || key === s.label || key === s.name || s.logicalId.startsWith(key));
    if (matched.length === 0) {
      throw new Error(`Function environment override "${key}" matches no function (known: ${specs.map((s) => s.label).join(', ')})`);
    }
    for (const s of matched) Object.assign(out.get(s.logicalId) as object, Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, String(v)])));
  }
  return out;
}

const LAMBDA_ARN = /^arn:aws:lambda:[^:]+:\d+:function:[^:]+/;

export interface LocalFunctions {
  readonly functions: LocalFunction[];
  /** The function a full or qualified ARN, or a function name, points at. */
  byArn(arnOrName: string): LocalFunction | undefined;
}

/** True for a function ARN (a task Resource that invokes it directly). */
export function isFunctionArn(resource: string): boolean {
  return LAMBDA_ARN.test(resource);
}

/** One LocalFunction per spec (sandboxes start on the first invoke), stopped at stop. */
export function startFunctions(specs: FunctionSpec[], options: RunnerOptions, extraEnv: Map<string, Record<string, string>>, onStop: OnStop): LocalFunctions {
  const functions = specs.map((s) => new LocalFunction(s, options, extraEnv.get(s.logicalId)));
  onStop(() => Promise.all(functions.map((f) => f.stop())).then(() => undefined));
  return {
    functions,
    byArn: (arnOrName) => {
      const base = LAMBDA_ARN.exec(arnOrName)?.[0] ?? arnOrName;
      return functions.find((f) => f.spec.arn === base || f.spec.name === base);
    },
  };
}

/** Replaces the extra environment of the functions `key` matches (see matchFunctionEnv). */
export function setFunctionEnv(specs: FunctionSpec[], functions: readonly LocalFunction[], key: string, vars: Record<string, unknown>): void {
  const matched = matchFunctionEnv(specs, { [key]: vars });
  for (const fn of functions) {
    const env = matched.get(fn.spec.logicalId);
    if (env && Object.keys(env).length) fn.setExtraEnv(env);
  }
}
