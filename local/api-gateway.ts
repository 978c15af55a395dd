import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import Ajv, { ValidateFunction } from 'ajv';
import type { StackAssembly } from './assembly';
import { resourcesOfType } from './assembly';
import { ACCOUNT, Resolver } from './intrinsics';
import type { LocalFunction } from './lambda/runner';
import type { ApiKeyGrant } from './api-keys';
import { elapsed, listen, readBody } from './net';
import { log } from './log';

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

interface GatewayResponse {
  readonly status?: number;
  readonly headers: Record<string, string>;
  readonly template?: string;
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
  readonly gatewayResponses: Record<string, GatewayResponse>;
}

/** API Gateway response types the local gateway can produce, with AWS's default status and message. */
const DEFAULT_RESPONSES: Record<string, [number, string]> = {
  API_KEY: [403, 'Forbidden'],
  BAD_REQUEST_BODY: [400, 'Invalid request body'],
  BAD_REQUEST_PARAMETERS: [400, 'Missing required request parameters'],
  REQUEST_TOO_LARGE: [413, 'Request Too Long'],
  INTEGRATION_FAILURE: [504, 'Endpoint request timed out'],
  INTEGRATION_TIMEOUT: [504, 'Endpoint request timed out'],
  DEFAULT_5XX: [502, 'Internal server error'],
  // AWS answers unknown routes with this type (403 by default); locally the default is 404 as the API
  // contract expects, and a GatewayResponse in the template still overrides it.
  MISSING_AUTHENTICATION_TOKEN: [404, 'Not Found'],
  METHOD_NOT_ALLOWED: [405, 'Method Not Allowed'],
};

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
 * function of the template, or mock responses), validators with their models, gateway responses and
 * the stage. Functions are bound later (ApiServer.bind), so the servers can listen first and the
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

    const gatewayResponses: Record<string, GatewayResponse> = {};
    for (const [, gr] of resourcesOfType(stack.template, 'AWS::ApiGateway::GatewayResponse').filter(belongsTo(apiLogicalId))) {
      const p = resolver.resolve(gr.Properties ?? {}) as Record<string, unknown>;
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries((p.ResponseParameters as Record<string, string>) ?? {})) {
        headers[k.replace('gatewayresponse.header.', '')] = String(v).replace(/^'|'$/g, '');
      }
      gatewayResponses[String(p.ResponseType)] = {
        status: p.StatusCode ? Number(p.StatusCode) : undefined,
        headers,
        template: ((p.ResponseTemplates as Record<string, string>) ?? {})['application/json'],
      };
    }

    const stageNames = [
      ...resourcesOfType(stack.template, 'AWS::ApiGateway::Stage').filter(belongsTo(apiLogicalId)).map(([, st]) => st.Properties?.StageName),
      ...resourcesOfType(stack.template, 'AWS::ApiGateway::Deployment').filter(belongsTo(apiLogicalId)).map(([, d]) => d.Properties?.StageName),
    ].filter((st): st is string => typeof st === 'string');
    const nameProp = apiResource.Properties?.Name;
    return {
      logicalId: apiLogicalId,
      name: nameProp === undefined ? apiLogicalId : resolver.resolveString(nameProp, `RestApi ${apiLogicalId} Name`),
      apiId: resolver.ref(apiLogicalId),
      stage: stageNames[0] ?? 'prod',
      routes,
      gatewayResponses,
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

/**
 * Serves one API on loopback, at the root and under `/<stage>` as the real invoke URL does. A route with
 * ApiKeyRequired takes the keys whose usage plans include this API (`keys`, see api-keys.ts). `service`
 * names the server in a port-in-use error.
 */
export async function startApi(api: ApiDefinition, port: number, keys: readonly ApiKeyGrant[], service = 'api'): Promise<ApiServer> {
  const keyByValue = new Map(keys.filter((k) => k.restApis.has(api.logicalId)).map((k) => [k.value, k]));
  const functions = new Map<Route, LocalFunction>();
  let bindRoutes!: () => void;
  const bound = new Promise<void>((resolve) => (bindRoutes = resolve));
  const respond = (res: ServerResponse, status: number, headers: Record<string, string | string[]>, body: string | Buffer) => {
    res.writeHead(status, headers).end(body);
  };
  const gatewayError = (res: ServerResponse, type: string, requestId: string, detail?: string) => {
    const [status, message] = DEFAULT_RESPONSES[type];
    const custom = api.gatewayResponses[type] ?? (status >= 500 ? api.gatewayResponses.DEFAULT_5XX : api.gatewayResponses.DEFAULT_4XX);
    const messageString = JSON.stringify(message);
    const body = custom?.template
      ? custom.template
          .replaceAll('$context.error.messageString', messageString)
          .replaceAll('$context.error.validationErrorString', (detail ?? message).replace(/"/g, '\\"'))
          .replaceAll('$context.requestId', requestId)
          .replaceAll('$context.error.responseType', type)
      : JSON.stringify({ message: detail && type === 'BAD_REQUEST_PARAMETERS' ? `${message}: [${detail}]` : message });
    respond(res, custom?.status ?? status, { 'content-type': 'application/json', 'x-amzn-requestid': requestId, 'x-amzn-errortype': type, ...(custom?.headers ?? {}) }, body);
    return custom?.status ?? status;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<number> => {
    const requestId = randomUUID();
    await bound;
    const url = new URL(req.url ?? '/', 'http://localhost');
    // Split before any decoding, so an encoded slash (%2F) stays inside its segment.
    let parts = url.pathname.split('/').filter(Boolean);
    if (parts[0] === api.stage) parts = parts.slice(1);
    // The event's `path` is the resource path without the stage, still percent-encoded, as on execute-api.
    const path = `/${parts.join('/')}`;
    const method = (req.method ?? 'GET').toUpperCase();
    const candidates = api.routes.map((route) => ({ route, params: match(route, parts) })).filter((c) => c.params);
    if (candidates.length === 0) return gatewayError(res, 'MISSING_AUTHENTICATION_TOKEN', requestId);
    const found = candidates.find((c) => c.route.method === method) ?? candidates.find((c) => c.route.method === 'ANY');
    if (!found) return gatewayError(res, 'METHOD_NOT_ALLOWED', requestId);
    const { route } = found;

    const headerValue = (name: string) => {
      const v = req.headers[name.toLowerCase()];
      return Array.isArray(v) ? v[0] : v;
    };
    const caller = route.apiKeyRequired ? keyByValue.get(headerValue('x-api-key') ?? '') : undefined;
    if (route.apiKeyRequired && !caller) return gatewayError(res, 'API_KEY', requestId);

    let body: Buffer;
    try {
      body = await readBody(req);
    } catch {
      return gatewayError(res, 'REQUEST_TOO_LARGE', requestId);
    }
    const text = body.length ? body.toString('utf8') : null;

    if (route.validateParams) {
      const missing = route.requiredParams.filter((p) => {
        const [where, name] = p.split(/\.(.+)/);
        if (where === 'querystring') return !url.searchParams.has(name);
        if (where === 'header') return headerValue(name) === undefined;
        return false;
      });
      if (missing.length) return gatewayError(res, 'BAD_REQUEST_PARAMETERS', requestId, missing.map((m) => m.split('.').pop()).join(', '));
    }
    if (route.validateBody) {
      const contentType = (headerValue('content-type') ?? 'application/json').split(';')[0].trim().toLowerCase();
      const validate = route.models[contentType];
      if (validate) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text ?? '');
        } catch {
          return gatewayError(res, 'BAD_REQUEST_BODY', requestId, 'Invalid JSON in request body');
        }
        if (!validate(parsed)) {
          const detail = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).slice(0, 10).join('; ');
          return gatewayError(res, 'BAD_REQUEST_BODY', requestId, `[${detail}]`);
        }
      }
    }

    if (route.target.kind === 'mock') {
      respond(res, route.target.status, route.target.headers, route.target.body);
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
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), route.target.kind === 'lambda' ? route.target.timeoutMs : 0)));
    const result = await Promise.race([fn.invoke(event), timeout]).finally(() => clearTimeout(timer));
    if (result === 'timeout') return gatewayError(res, 'INTEGRATION_TIMEOUT', requestId);
    const out = result.ok ? (result.payload as Record<string, unknown> | null) : null;
    if (!out || typeof out.statusCode !== 'number') {
      if (!result.ok) log('api', `${fn.spec.label} failed: ${result.error.errorType}: ${result.error.errorMessage}`);
      else log('api', `${fn.spec.label} returned a malformed proxy response`);
      return gatewayError(res, 'DEFAULT_5XX', requestId);
    }
    const outHeaders: Record<string, string | string[]> = { 'x-amzn-requestid': requestId };
    for (const [k, v] of Object.entries((out.multiValueHeaders as Record<string, unknown[]>) ?? {})) outHeaders[k] = v.map(String);
    for (const [k, v] of Object.entries((out.headers as Record<string, unknown>) ?? {})) outHeaders[k] = String(v);
    const outBody = typeof out.body === 'string' ? (out.isBase64Encoded ? Buffer.from(out.body, 'base64') : out.body) : '';
    respond(res, out.statusCode, outHeaders, outBody);
    return out.statusCode;
  };

  const server: Server = createServer((req, res) => {
    const started = Date.now();
    handle(req, res)
      .then((status) => log('api', `${req.method} ${req.url} ${status} ${elapsed(started)}`))
      .catch((error) => {
        log('api', `${req.method} ${req.url} 500 ${elapsed(started)}: ${String(error)}`);
        if (!res.headersSent) respond(res, 500, { 'content-type': 'application/json' }, JSON.stringify({ message: 'Internal server error' }));
      });
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
