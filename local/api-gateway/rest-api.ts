import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import Ajv, { ValidateFunction } from 'ajv';
import type { StackAssembly } from '../core/assembly';
import { resourcesOfType } from '../core/assembly';
import { ACCOUNT, Resolver } from '../core/cfn-resolver';
import type { LocalFunction } from '../lambda/runner';
import type { ApiKeyGrant } from './api-keys';
import { GatewayResponseDef, GatewayResponseType, readGatewayResponses, RenderedResponse, renderGatewayResponse, ResponseContext } from './gateway-responses';
import { elapsed, listen } from '../core/net';
import { log } from '../core/log';
import { Clock, readThrottleSettings, Throttle, ThrottleSettings } from './throttle';

/** Lambda targets name their function by ARN; the server binds them once the functions exist. */
type Target =
  | { kind: 'lambda'; functionArn: string; uri: string; timeoutMs: number }
  | { kind: 'mock'; status: number; headers: Record<string, string>; body: string };

interface Route {
  readonly resourceId: string;
  /** `METHOD /path (logical id)`, for messages. */
  readonly where: string;
  /** e.g. `/orders/{id}` */
  readonly resourcePath: string;
  readonly parts: string[];
  readonly method: string;
  readonly apiKeyRequired: boolean;
  readonly target: Target;
  readonly validateBody: boolean;
  readonly validateParams: boolean;
  readonly models: Record<string, ValidateFunction>;
  readonly requiredParams: string[];
}

export interface ApiDefinition {
  /** Logical id of the RestApi. */
  readonly logicalId: string;
  /** Its Name, else the logical id: the key of `endpoints.apis`. */
  readonly name: string;
  /** Ref of the RestApi: the id in its execute-api host name and in `requestContext.apiId`. */
  readonly apiId: string;
  readonly stage: string;
  readonly routes: Route[];
  readonly gatewayResponses: Record<string, GatewayResponseDef>;
  /** Usage plans' and the stage's throttles and quotas. */
  readonly throttle: ThrottleSettings;
}

/** API Gateway's payload limit (REST API quotas: 10 MB). */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
/** REST API quotas: total combined size of request line and header values. */
const MAX_REQUEST_LINE_AND_HEADERS = 10_240;
/** Lambda's limit for a synchronous invocation's event (6 MB); bigger events are refused before the function runs. */
const LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** API Gateway models are JSON Schema draft-04; ajv speaks draft-07, which differs in a few keywords. */
function toDraft7(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toDraft7);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema as Record<string, unknown>)) {
    if (k === '$schema' || k === 'id') continue;
    out[k] = toDraft7(v);
  }
  for (const [flag, bound] of [['exclusiveMinimum', 'minimum'], ['exclusiveMaximum', 'maximum']]) {
    if (out[flag] === true) {
      out[flag] = out[bound];
      delete out[bound];
    } else if (out[flag] === false) delete out[flag];
  }
  return out;
}

/**
 * Reads every REST API of the template: resources into paths, methods into routes (AWS_PROXY to a
 * function of the template, or mock responses), validators with their models, gateway responses,
 * the stage and what throttles it. Functions are bound later (ApiServer.bind), so the servers can listen first and the
 * functions' environment can name the local URLs.
 */
export function readApis(stack: StackAssembly, resolver: Resolver): ApiDefinition[] {
  const resources = stack.template.Resources;
  const ajv = new Ajv({ allErrors: true, strict: false });
  const refOf = (value: unknown) => (value && typeof value === 'object' ? ((value as { Ref?: string }).Ref ?? undefined) : undefined);
  const belongsTo = (apiLogicalId: string) => ([, res]: [string, { Properties?: Record<string, unknown> }]) => refOf(res.Properties?.RestApiId) === apiLogicalId;

  const pathOf = (ref: unknown): string => {
    const r = ref as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
    if (r['Fn::GetAtt']?.[1] === 'RootResourceId') return '';
    if (!r.Ref) throw new Error(`Unsupported API Gateway resource reference ${JSON.stringify(ref)}`);
    const props = resources[r.Ref].Properties ?? {};
    return `${pathOf(props.ParentId)}/${props.PathPart}`;
  };

  return resourcesOfType(stack.template, 'AWS::ApiGateway::RestApi').map(([apiLogicalId, apiResource]) => {
    const routes: Route[] = [];
    for (const [methodId, method] of resourcesOfType(stack.template, 'AWS::ApiGateway::Method').filter(belongsTo(apiLogicalId))) {
      const p = method.Properties ?? {};
      const httpMethod = String(p.HttpMethod).toUpperCase();
      const resourcePath = pathOf(p.ResourceId) || '/';
      const where = `${httpMethod} ${resourcePath} (${methodId})`;
      const auth = String(p.AuthorizationType ?? 'NONE');
      if (auth !== 'NONE') throw new Error(`${where}: authorization type ${auth} is not supported by the local runtime`);
      const integration = (p.Integration ?? {}) as Record<string, unknown>;
      let target: Target;
      if (integration.Type === 'AWS_PROXY') {
        const uri = resolver.resolveString(integration.Uri, `${where} integration Uri`);
        const functionArn = /functions\/(arn:[^/]+)\/invocations/.exec(uri)?.[1];
        if (!functionArn) throw new Error(`${where}: integration ${uri} does not point at a Lambda function`);
        target = { kind: 'lambda', functionArn, uri, timeoutMs: Number(integration.TimeoutInMillis ?? 29_000) };
      } else if (integration.Type === 'MOCK') {
        const first = ((integration.IntegrationResponses as Array<Record<string, unknown>>) ?? [])[0] ?? {};
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries((first.ResponseParameters as Record<string, string>) ?? {})) {
          headers[k.replace('method.response.header.', '')] = String(v).replace(/^'|'$/g, '');
        }
        const templates = (first.ResponseTemplates as Record<string, string>) ?? {};
        target = { kind: 'mock', status: Number(first.StatusCode ?? 200), headers, body: templates['application/json'] ?? '' };
      } else {
        throw new Error(`${where}: integration type ${String(integration.Type)} is not supported by the local runtime`);
      }
      const validatorId = refOf(p.RequestValidatorId);
      const validator = validatorId ? (resources[validatorId].Properties ?? {}) : {};
      const models: Record<string, ValidateFunction> = {};
      for (const [contentType, ref] of Object.entries((p.RequestModels as Record<string, { Ref?: string }>) ?? {})) {
        const model = ref.Ref ? resources[ref.Ref] : undefined;
        if (!model) continue; // built-in models such as "Empty"
        models[contentType.toLowerCase()] = ajv.compile(toDraft7(resolver.resolve(model.Properties?.Schema)) as object);
      }
      const requiredParams = Object.entries((p.RequestParameters as Record<string, boolean>) ?? {})
        .filter(([, required]) => required === true)
        .map(([name]) => name.replace('method.request.', ''));
      routes.push({
        resourceId: methodId,
        where,
        resourcePath,
        parts: resourcePath.split('/').filter(Boolean),
        method: httpMethod,
        apiKeyRequired: p.ApiKeyRequired === true,
        target,
        validateBody: validator.ValidateRequestBody === true,
        validateParams: validator.ValidateRequestParameters === true,
        models,
        requiredParams,
      });
    }

    const stageNames = [
      ...resourcesOfType(stack.template, 'AWS::ApiGateway::Stage').filter(belongsTo(apiLogicalId)).map(([, st]) => st.Properties?.StageName),
      ...resourcesOfType(stack.template, 'AWS::ApiGateway::Deployment').filter(belongsTo(apiLogicalId)).map(([, d]) => d.Properties?.StageName),
    ].filter((st): st is string => typeof st === 'string');
    const nameProp = apiResource.Properties?.Name;
    const stage = stageNames[0] ?? 'prod';
    return {
      logicalId: apiLogicalId,
      name: nameProp === undefined ? apiLogicalId : resolver.resolveString(nameProp, `RestApi ${apiLogicalId} Name`),
      apiId: resolver.ref(apiLogicalId),
      stage,
      routes,
      gatewayResponses: readGatewayResponses(stack, resolver, apiLogicalId),
      throttle: readThrottleSettings(stack, resolver, apiLogicalId, stage),
    };
  });
}

/**
 * The API served on PORT: the one the stack's `ApiUrl` output points at, else the first. The others
 * get ports of their own.
 */
export function primaryApi(stack: StackAssembly, apis: ApiDefinition[]): ApiDefinition | undefined {
  const output = stack.template.Outputs?.ApiUrl;
  const text = output ? JSON.stringify(output.Value) : '';
  return apis.find((api) => text.includes(`{"Ref":"${api.logicalId}"}`)) ?? apis[0];
}

function match(route: Route, parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < route.parts.length; i++) {
    const part = route.parts[i];
    if (part.endsWith('+}')) {
      if (i >= parts.length) return undefined;
      params[part.slice(1, -2)] = parts.slice(i).join('/');
      return params;
    }
    if (i >= parts.length) return undefined;
    // API Gateway hands path parameters on still percent-encoded (`a%2Fb`), as the client sent them.
    if (part.startsWith('{')) params[part.slice(1, -1)] = parts[i];
    else if (part !== parts[i]) return undefined;
  }
  return route.parts.length === parts.length ? params : undefined;
}

export interface ApiServer {
  readonly api: ApiDefinition;
  /** `http://127.0.0.1:<port>`; the API answers at the root and under `/<stage>`. */
  readonly url: string;
  /** Binds the Lambda routes to the template's functions; requests wait until then. Throws for a route whose function is missing. */
  bind(functionByArn: (arn: string) => LocalFunction | undefined): void;
  close(): Promise<void>;
}

/** Reads the whole body; past `limit` it keeps draining without storing, so the client still reads the answer. */
async function readLimited(req: IncomingMessage, limit: number): Promise<Buffer | 'too large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= limit) chunks.push(chunk as Buffer);
  }
  return size > limit ? 'too large' : Buffer.concat(chunks);
}

/** The request line and every header value in bytes, as API Gateway counts them against its 10240-byte quota. */
function requestLineAndHeaderBytes(req: IncomingMessage): number {
  let size = Buffer.byteLength(`${req.method} ${req.url} HTTP/${req.httpVersion}`);
  for (let i = 1; i < req.rawHeaders.length; i += 2) size += Buffer.byteLength(req.rawHeaders[i]);
  return size;
}

export interface StartApiOptions {
  /** The throttles' clock. @default Date.now */
  readonly clock?: Clock;
}

/**
 * Serves one API on loopback, at the root and under `/<stage>` as the real invoke URL does. A route with
 * ApiKeyRequired takes the keys whose usage plans include this API (`keys`, see api-keys.ts). `service`
 * names the server in a port-in-use error. Checks run in API Gateway's order: size limits, route and method,
 * API key, throttles and quotas, request validation, integration; each refusal is the API's gateway
 * response of its type (see gateway-responses.ts).
 */
export async function startApi(api: ApiDefinition, port: number, keys: readonly ApiKeyGrant[], service = 'api', options: StartApiOptions = {}): Promise<ApiServer> {
  const keyByValue = new Map(keys.filter((k) => k.restApis.has(api.logicalId)).map((k) => [k.value, k]));
  const throttle = new Throttle(api.throttle, options.clock);
  const functions = new Map<Route, LocalFunction>();
  let bindRoutes!: () => void;
  const bound = new Promise<void>((resolve) => (bindRoutes = resolve));
  const respond = (res: ServerResponse, status: number, headers: Record<string, string | string[]>, body: string | Buffer) => {
    res.writeHead(status, headers).end(body);
  };
  /** `$context` values and parameters of a request, for gateway responses. */
  const contextOf = (req: IncomingMessage | undefined, requestId: string, extra: Record<string, string> = {}): ResponseContext => {
    const url = new URL(req?.url ?? '/', 'http://localhost');
    const header = (name: string) => {
      const v = req?.headers[name.toLowerCase()];
      return Array.isArray(v) ? v[0] : v;
    };
    return {
      requestId,
      context: { extendedRequestId: requestId, apiId: api.apiId, stage: api.stage, httpMethod: (req?.method ?? 'GET').toUpperCase(), domainName: String(req?.headers.host ?? 'localhost'), ...extra },
      header,
      query: (name) => url.searchParams.get(name) ?? undefined,
      path: (name) => extra[`path.${name}`],
    };
  };
  const send = (res: ServerResponse, answer: RenderedResponse) => {
    respond(res, answer.status, answer.headers, answer.body);
    return answer.status;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, requestId: string): Promise<number> => {
    await bound;
    const method = (req.method ?? 'GET').toUpperCase();
    const refuse = (type: GatewayResponseType, overrides: Parameters<typeof renderGatewayResponse>[3] = {}, extra: Record<string, string> = {}) =>
      send(res, renderGatewayResponse(api.gatewayResponses, type, contextOf(req, requestId, extra), overrides));

    // The front door's limits come before routing, as in AWS.
    if (requestLineAndHeaderBytes(req) > MAX_REQUEST_LINE_AND_HEADERS) {
      req.resume();
      return refuse('REQUEST_TOO_LARGE');
    }
    const body = await readLimited(req, MAX_PAYLOAD_BYTES);
    if (body === 'too large') return refuse('REQUEST_TOO_LARGE');

    const url = new URL(req.url ?? '/', 'http://localhost');
    // Split before any decoding, so an encoded slash (%2F) stays inside its segment.
    let parts = url.pathname.split('/').filter(Boolean);
    if (parts[0] === api.stage) parts = parts.slice(1);
    // The event's `path` is the resource path without the stage, still percent-encoded, as on execute-api.
    const path = `/${parts.join('/')}`;
    const candidates = api.routes.map((route) => ({ route, params: match(route, parts) })).filter((c) => c.params);
    const found = candidates.find((c) => c.route.method === method) ?? candidates.find((c) => c.route.method === 'ANY');
    // REST APIs answer a method a resource does not have exactly like a path that does not exist.
    if (!found) return refuse('MISSING_AUTHENTICATION_TOKEN');
    const { route } = found;
    const routeContext: Record<string, string> = { resourcePath: route.resourcePath, resourceId: route.resourceId, path: `/${api.stage}${path}` };
    for (const [k, v] of Object.entries(found.params ?? {})) routeContext[`path.${k}`] = v;
    const fail = (type: GatewayResponseType, overrides: Parameters<typeof renderGatewayResponse>[3] = {}) => refuse(type, overrides, routeContext);

    const headerValue = (name: string) => {
      const v = req.headers[name.toLowerCase()];
      return Array.isArray(v) ? v[0] : v;
    };
    const caller = route.apiKeyRequired ? keyByValue.get(headerValue('x-api-key') ?? '') : undefined;
    if (route.apiKeyRequired && !caller) return fail('INVALID_API_KEY');
    const refusal = throttle.admit({ resourcePath: route.resourcePath, method: route.method, key: caller?.value, plans: caller?.usagePlans ?? [] });
    if (refusal) return fail(refusal);

    const text = body.length ? body.toString('utf8') : null;
    if (route.validateParams) {
      const missing = route.requiredParams.filter((p) => {
        const [where, name] = p.split(/\.(.+)/);
        if (where === 'querystring') return !url.searchParams.has(name);
        if (where === 'header') return headerValue(name) === undefined;
        return false;
      });
      if (missing.length) {
        const names = missing.map((m) => m.split('.').pop()).join(', ');
        return fail('BAD_REQUEST_PARAMETERS', { message: `Missing required request parameters: [${names}]`, validationError: `[${names}]` });
      }
    }
    if (route.validateBody) {
      const contentType = (headerValue('content-type') ?? 'application/json').split(';')[0].trim().toLowerCase();
      const validate = route.models[contentType];
      if (validate) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text ?? '');
        } catch {
          return fail('BAD_REQUEST_BODY', { validationError: 'Invalid JSON in request body' });
        }
        if (!validate(parsed)) {
          const detail = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).slice(0, 10).join('; ');
          return fail('BAD_REQUEST_BODY', { validationError: `[${detail}]` });
        }
      }
    }

    if (route.target.kind === 'mock') {
      respond(res, route.target.status, { 'x-amzn-requestid': requestId, ...route.target.headers }, route.target.body);
      return route.target.status;
    }

    const headers: Record<string, string> = {};
    const multiValueHeaders: Record<string, string[]> = {};
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const [name, value] = [req.rawHeaders[i], req.rawHeaders[i + 1]];
      headers[name] = value;
      (multiValueHeaders[name] ??= []).push(value);
    }
    const query: Record<string, string> = {};
    const multiQuery: Record<string, string[]> = {};
    for (const [k, v] of url.searchParams) {
      query[k] = v;
      (multiQuery[k] ??= []).push(v);
    }
    const now = new Date();
    const hasQuery = Object.keys(query).length > 0;
    const event = {
      resource: route.resourcePath,
      path,
      httpMethod: method,
      headers,
      multiValueHeaders,
      queryStringParameters: hasQuery ? query : null,
      multiValueQueryStringParameters: hasQuery ? multiQuery : null,
      pathParameters: Object.keys(found.params ?? {}).length ? found.params : null,
      stageVariables: null,
      requestContext: {
        accountId: ACCOUNT,
        apiId: api.apiId,
        resourceId: route.resourceId,
        resourcePath: route.resourcePath,
        httpMethod: method,
        requestId,
        extendedRequestId: requestId,
        requestTime: now.toUTCString(),
        requestTimeEpoch: now.getTime(),
        path: `/${api.stage}${path}`,
        stage: api.stage,
        domainName: String(req.headers.host ?? 'localhost'),
        protocol: `HTTP/${req.httpVersion}`,
        identity: {
          sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
          userAgent: headerValue('user-agent') ?? null,
          apiKey: caller?.value ?? null,
          apiKeyId: caller?.apiKeyId ?? null,
        },
      },
      body: text,
      isBase64Encoded: false,
    };
    const fn = functions.get(route) as LocalFunction;
    // Lambda refuses an event over its payload limit before the function runs (RequestEntityTooLargeException).
    if (body.length > LAMBDA_PAYLOAD_BYTES / 2 && Buffer.byteLength(JSON.stringify(event)) > LAMBDA_PAYLOAD_BYTES) {
      log('api', `${fn.spec.label}: the event is over Lambda's 6 MB invocation payload limit; Lambda refuses it`);
      return fail('INTEGRATION_FAILURE');
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), route.target.kind === 'lambda' ? route.target.timeoutMs : 0)));
    const result = await Promise.race([fn.invoke(event), timeout]).finally(() => clearTimeout(timer));
    if (result === 'timeout') return fail('INTEGRATION_TIMEOUT');
    const out = result.ok ? (result.payload as Record<string, unknown> | null) : null;
    if (!out || typeof out.statusCode !== 'number') {
      if (!result.ok) log('api', `${fn.spec.label} failed: ${result.error.errorType}: ${result.error.errorMessage}`);
      else log('api', `${fn.spec.label} returned a malformed proxy response`);
      return fail('DEFAULT_5XX');
    }
    const outHeaders: Record<string, string | string[]> = { 'x-amzn-requestid': requestId };
    for (const [k, v] of Object.entries((out.multiValueHeaders as Record<string, unknown[]>) ?? {})) outHeaders[k] = v.map(String);
    for (const [k, v] of Object.entries((out.headers as Record<string, unknown>) ?? {})) outHeaders[k] = String(v);
    const outBody = typeof out.body === 'string' ? (out.isBase64Encoded ? Buffer.from(out.body, 'base64') : out.body) : '';
    respond(res, out.statusCode, outHeaders, outBody);
    return out.statusCode;
  };

  // Room for headers past API Gateway's 10240 bytes, so the gateway answers them itself (REQUEST_TOO_LARGE).
  const server: Server = createServer({ maxHeaderSize: 64 * 1024 }, (req, res) => {
    const started = Date.now();
    const requestId = randomUUID();
    handle(req, res, requestId)
      .then((status) => log('api', `${req.method} ${req.url} ${status} ${elapsed(started)}`))
      .catch((error) => {
        log('api', `${req.method} ${req.url} 500 ${elapsed(started)}: ${String(error)}`);
        if (!res.headersSent) send(res, renderGatewayResponse(api.gatewayResponses, 'DEFAULT_5XX', contextOf(req, requestId), { status: 500 }));
      });
  });
  // Headers even past maxHeaderSize still get the gateway's answer, not Node's bare 431.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code !== 'HPE_HEADER_OVERFLOW' || !socket.writable) {
      socket.destroy();
      return;
    }
    const answer = renderGatewayResponse(api.gatewayResponses, 'REQUEST_TOO_LARGE', contextOf(undefined, randomUUID()));
    const head = Object.entries({ ...answer.headers, 'content-length': String(Buffer.byteLength(answer.body)), connection: 'close' }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    socket.end(`HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? ''}\r\n${head}\r\n${answer.body}`);
    log('api', `request headers over ${64 * 1024} bytes ${answer.status}`);
  });
  const actual = await listen(server, port, service);
  return {
    api,
    url: `http://127.0.0.1:${actual}`,
    bind: (functionByArn) => {
      for (const route of api.routes) {
        if (route.target.kind !== 'lambda') continue;
        const fn = functionByArn(route.target.functionArn);
        if (!fn) throw new Error(`${route.where}: integration ${route.target.uri} does not point at a Lambda function of the template`);
        functions.set(route, fn);
      }
      bindRoutes();
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
