import type { StackAssembly } from '../core/assembly';
import { resourcesOfType } from '../core/assembly';
import type { Resolver } from '../core/cfn-resolver';

/** The gateway response types the local gateway produces. */
export type GatewayResponseType =
  | 'MISSING_AUTHENTICATION_TOKEN'
  | 'INVALID_API_KEY'
  | 'THROTTLED'
  | 'QUOTA_EXCEEDED'
  | 'REQUEST_TOO_LARGE'
  | 'BAD_REQUEST_PARAMETERS'
  | 'BAD_REQUEST_BODY'
  | 'INTEGRATION_FAILURE'
  | 'INTEGRATION_TIMEOUT'
  | 'DEFAULT_5XX';

/**
 * What API Gateway answers for each type when the API does not customize it: `status` and `{"message"}` as
 * AWS sends them. `documented` is the type's default status in AWS's table (supported-gateway-response-types),
 * which applies once the type is customized without a StatusCode; it differs for INTEGRATION_FAILURE, whose
 * uncustomized answer (a Lambda invocation Lambda refused) is a 500.
 */
const AWS_DEFAULTS: Record<GatewayResponseType, { status: number; message: string; documented?: number }> = {
  MISSING_AUTHENTICATION_TOKEN: { status: 403, message: 'Missing Authentication Token' },
  INVALID_API_KEY: { status: 403, message: 'Forbidden' },
  THROTTLED: { status: 429, message: 'Too Many Requests' },
  QUOTA_EXCEEDED: { status: 429, message: 'Limit Exceeded' },
  REQUEST_TOO_LARGE: { status: 413, message: 'Request Too Long' },
  BAD_REQUEST_PARAMETERS: { status: 400, message: 'Missing required request parameters' },
  BAD_REQUEST_BODY: { status: 400, message: 'Invalid request body' },
  INTEGRATION_FAILURE: { status: 500, message: 'Internal server error', documented: 504 },
  INTEGRATION_TIMEOUT: { status: 504, message: 'Endpoint request timed out' },
  // A Lambda proxy that throws or answers a malformed response: 502, no type of its own.
  DEFAULT_5XX: { status: 502, message: 'Internal server error' },
};

/** One AWS::ApiGateway::GatewayResponse of an API, as read from the template. */
export interface GatewayResponseDef {
  readonly status?: number;
  /** Header name -> a quoted literal (`'1'`) or `method.request.{header,querystring,path}.<name>`. */
  readonly headers: Record<string, string>;
  /** Media type -> template; only `$context` variables are substituted (no VTL), as in AWS. */
  readonly templates: Record<string, string>;
}

const HEADER_VALUE = /^('.*'|method\.request\.(header|querystring|path)\.[^.]+)$/s;

/** The API's gateway responses by type; a header mapping the local gateway cannot evaluate stops the start. */
export function readGatewayResponses(stack: StackAssembly, resolver: Resolver, apiLogicalId: string): Record<string, GatewayResponseDef> {
  const out: Record<string, GatewayResponseDef> = {};
  for (const [id, gr] of resourcesOfType(stack.template, 'AWS::ApiGateway::GatewayResponse')) {
    const api = gr.Properties?.RestApiId as { Ref?: string } | undefined;
    if (api?.Ref !== apiLogicalId) continue;
    const p = resolver.resolve(gr.Properties ?? {}) as Record<string, unknown>;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries((p.ResponseParameters as Record<string, string>) ?? {})) {
      if (!k.startsWith('gatewayresponse.header.') || !HEADER_VALUE.test(String(v))) {
        throw new Error(`GatewayResponse ${id}: parameter ${k} = ${String(v)} is not supported by the local runtime (quoted literals and method.request.header/querystring/path values are)`);
      }
      headers[k.slice('gatewayresponse.header.'.length)] = String(v);
    }
    out[String(p.ResponseType)] = {
      status: p.StatusCode === undefined ? undefined : Number(p.StatusCode),
      headers,
      templates: (p.ResponseTemplates as Record<string, string>) ?? {},
    };
  }
  return out;
}

/** What one request offers a gateway response: `$context` values and the request's parameters. */
export interface ResponseContext {
  readonly requestId: string;
  readonly context: Record<string, string>;
  header(name: string): string | undefined;
  query(name: string): string | undefined;
  path(name: string): string | undefined;
}

export interface RenderedResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * API Gateway's answer of `type`: the API's own gateway response for it, else its DEFAULT_4XX / DEFAULT_5XX,
 * else AWS's default `{"message"}`. `message` replaces AWS's default text (e.g. which parameters are missing)
 * and `status` the default status where AWS picks another one (a failing local server answers 500).
 */
export function renderGatewayResponse(
  responses: Record<string, GatewayResponseDef>,
  type: GatewayResponseType,
  ctx: ResponseContext,
  overrides: { message?: string; status?: number; validationError?: string } = {},
): RenderedResponse {
  const aws = AWS_DEFAULTS[type];
  const original = overrides.status ?? aws.status;
  const message = overrides.message ?? aws.message;
  const own = responses[type];
  const custom = own ?? responses[original >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX'];
  const status = own && type !== 'DEFAULT_5XX' ? (own.status ?? aws.documented ?? original) : (custom?.status ?? original);
  const headers: Record<string, string> = { 'x-amzn-requestid': ctx.requestId, 'x-amzn-errortype': type };
  const [mediaType, template] = Object.entries(custom?.templates ?? {}).find(([k]) => k === 'application/json') ?? Object.entries(custom?.templates ?? {})[0] ?? [];
  headers['content-type'] = mediaType ?? 'application/json';
  let body = JSON.stringify({ message });
  if (template !== undefined) {
    const values: Record<string, string> = {
      ...ctx.context,
      requestId: ctx.requestId,
      'error.message': message,
      'error.messageString': JSON.stringify(message),
      'error.responseType': type,
      'error.validationErrorString': (overrides.validationError ?? message).replace(/"/g, '\\"'),
    };
    // The longest known name wins: `$context.requestId.` keeps its trailing dot; unknown variables become empty, as in AWS.
    body = template.replace(/\$context\.([A-Za-z0-9_.]+)|\$stageVariables\.[A-Za-z0-9_]+/g, (_whole, name?: string) => {
      if (name === undefined) return '';
      for (let n = name; n; n = n.includes('.') ? n.slice(0, n.lastIndexOf('.')) : '') {
        if (n in values) return values[n] + name.slice(n.length);
      }
      return '';
    });
  }
  for (const [name, value] of Object.entries(custom?.headers ?? {})) {
    const mapped = value.startsWith("'") ? value.slice(1, -1) : mappedValue(value, ctx);
    if (mapped !== undefined) headers[name.toLowerCase()] = mapped;
  }
  return { status, headers, body };
}

function mappedValue(expression: string, ctx: ResponseContext): string | undefined {
  const [, , where, name] = expression.split('.');
  if (where === 'header') return ctx.header(name);
  if (where === 'querystring') return ctx.query(name);
  return ctx.path(name);
}
