import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REGION, stages } from '../../infra/config';
import {
  acceptedResponseSchema,
  errorResponseSchema,
  type FunctionError,
  getOrderErrors,
  orderViewSchema,
  postOrdersErrors,
} from '../../src/orders/api-schemas';
import { type GatewayError, gatewayErrors } from '../../src/orders/gateway-errors';
import { buildOrdersRequestSchema, RECORD_ID_MAX_LENGTH } from '../../src/orders/schema';

/** The stage name of the deployed API (infra/constructs/orders-api.ts); the local API answers under it too. */
export const API_STAGE = 'v1';
/** `npm start`'s default PORT (local/main.ts). */
const LOCAL_PORT = '3000';

export interface ApiLimits {
  readonly maxOrdersPerRequest: number;
  readonly maxBodyBytes: number;
}

/**
 * The limits customers meet: Prod's. One document serves every stage, so a stage whose limits differ would
 * make it wrong somewhere; that fails here instead of publishing a contract one stage breaks.
 */
export function documentedLimits(): ApiLimits {
  const { maxOrdersPerRequest, maxBodyBytes } = stages.Prod.api;
  for (const stage of Object.values(stages)) {
    if (stage.api.maxOrdersPerRequest !== maxOrdersPerRequest || stage.api.maxBodyBytes !== maxBodyBytes) {
      throw new Error(`Stage ${stage.stageName} has other API limits than Prod; the OpenAPI document describes one set of limits`);
    }
  }
  return { maxOrdersPerRequest, maxBodyBytes };
}

/** One way an operation can answer a status: a function's own error, or a gateway response type. */
interface Cause {
  readonly status: number;
  readonly code: string;
  readonly source: string;
  readonly when: string;
  readonly retryAfter: boolean;
}

/** Gateway response types that cannot concern a route of this API, or only one kind of operation. */
const GATEWAY_SCOPE: Record<string, (operation: 'post' | 'get') => boolean> = {
  // Answers requests that match no route, so it belongs to no operation (see components.responses.NoSuchRoute).
  MISSING_AUTHENTICATION_TOKEN: () => false,
  // Only a method with a request model validates its body; only one with required parameters checks them.
  BAD_REQUEST_BODY: (operation) => operation === 'post',
  BAD_REQUEST_PARAMETERS: (operation) => operation === 'get',
  UNSUPPORTED_MEDIA_TYPE: (operation) => operation === 'post',
};

/**
 * A Lambda function error or malformed answer is API Gateway's 502, an invocation Lambda refuses its 500 (AWS Lambda
 * developer guide, "Handling Lambda errors with an API Gateway API"); no response type of their own covers them,
 * so DEFAULT_5XX shapes both.
 */
const FUNCTION_FAILURE_STATUS = 502;
const LAMBDA_REFUSED_STATUS = 500;

function causesOf(operation: 'post' | 'get', functionErrors: readonly FunctionError[], gateway: readonly GatewayError[]): Cause[] {
  const fromFunction = functionErrors.map((e) => ({ status: e.status, code: e.code, source: 'function', when: e.when, retryAfter: e.retryAfter === true }));
  const fromGateway = gateway
    .filter((g) => g.status !== undefined && (GATEWAY_SCOPE[g.type] ?? (() => true))(operation))
    .map((g) => ({ status: g.status!, code: g.code, source: `API Gateway ${g.type}`, when: g.message, retryAfter: g.retryAfterSeconds !== undefined }));
  const default5xx = defaultType(gateway, 'DEFAULT_5XX');
  const lambda = (status: number, when: string): Cause => ({ status, code: default5xx.code, source: 'API Gateway DEFAULT_5XX', when, retryAfter: false });
  return [
    ...fromFunction,
    ...fromGateway,
    lambda(LAMBDA_REFUSED_STATUS, 'Lambda refused the invocation (for example, no concurrency left)'),
    lambda(FUNCTION_FAILURE_STATUS, 'the function failed or answered malformed output'),
  ];
}

function defaultType(gateway: readonly GatewayError[], type: 'DEFAULT_4XX' | 'DEFAULT_5XX'): GatewayError {
  const found = gateway.find((g) => g.type === type);
  if (!found) throw new Error(`src/orders/gateway-errors.ts has no ${type}`);
  return found;
}

const ERROR_REF = { $ref: '#/components/schemas/Error' };
const RETRY_AFTER_REF = { $ref: '#/components/headers/RetryAfter' };

/** The error schema narrowed to the codes a response can carry. */
function errorWithCodes(codes: readonly string[]) {
  return {
    allOf: [
      { ...ERROR_REF },
      { type: 'object', properties: { error: { type: 'object', properties: { code: { type: 'string', enum: [...codes] } } } } },
    ],
  };
}

const list = (causes: readonly Cause[]) => causes.map((c) => `- \`${c.code}\` (${c.source}): ${c.when}`).join('\n');

/** One response per status, each listing every cause; Retry-After is required where every cause sends it. */
function errorResponses(causes: readonly Cause[]): Record<string, unknown> {
  const statuses = [...new Set(causes.map((c) => c.status))].sort((a, b) => a - b);
  return Object.fromEntries(statuses.map((status) => {
    const here = causes.filter((c) => c.status === status);
    const codes = [...new Set(here.map((c) => c.code))].sort();
    const retrying = here.filter((c) => c.retryAfter);
    const headers = retrying.length === 0 ? undefined : {
      'Retry-After': retrying.length === here.length ? { ...RETRY_AFTER_REF } : { $ref: '#/components/headers/RetryAfterSometimes' },
    };
    return [String(status), {
      description: list(here),
      ...(headers ? { headers } : {}),
      content: { 'application/json': { schema: errorWithCodes(codes) } },
    }];
  }));
}

/** DEFAULT_4XX / DEFAULT_5XX: whatever else API Gateway answers in a status class, with its own status. */
function defaultResponses(gateway: readonly GatewayError[]): Record<string, unknown> {
  const ranges = [['4XX', 'DEFAULT_4XX'], ['5XX', 'DEFAULT_5XX']] as const;
  return Object.fromEntries(ranges.map(([range, type]) => {
    const g = defaultType(gateway, type);
    return [range, {
      description: `- \`${g.code}\` (API Gateway ${type}): any other ${range.toLowerCase()} API Gateway answers, with its own status`,
      content: { 'application/json': { schema: errorWithCodes([g.code]) } },
    }];
  }));
}

function noSuchRoute(gateway: readonly GatewayError[]) {
  const route = gateway.find((g) => g.type === 'MISSING_AUTHENTICATION_TOKEN');
  if (!route?.status) throw new Error('src/orders/gateway-errors.ts has no MISSING_AUTHENTICATION_TOKEN with a status');
  return {
    description: `Status ${route.status}, for a path or method that is none of the operations.\n- \`${route.code}\` (API Gateway ${route.type}): ${route.message}`,
    content: { 'application/json': { schema: errorWithCodes([route.code]) } },
  };
}

/** The OpenAPI 3.0 document of the orders API, built from the schema objects and error tables the code uses. */
export function buildOpenApiDocument(limits: ApiLimits = documentedLimits(), version = '0.0.0') {
  const { maxOrdersPerRequest, maxBodyBytes } = limits;
  const gateway = gatewayErrors(maxOrdersPerRequest);
  const { $schema: _draft04, ...ordersRequest } = buildOrdersRequestSchema(maxOrdersPerRequest);
  const route = gateway.find((g) => g.type === 'MISSING_AUTHENTICATION_TOKEN');

  return {
    openapi: '3.0.3',
    info: {
      title: 'Energy auction orders API',
      version,
      description: [
        'Customers submit orders for the next hourly energy auction and ask what became of each.',
        'Every request carries the customer\'s API key in `x-api-key`; the key is the customer, and one customer never sees another\'s orders.',
        'Every error, API Gateway\'s own included, has the shape of the `Error` schema with a stable `code`.',
        `A path or method that is none of the operations answers ${route?.status ?? 'an error'} (components.responses.NoSuchRoute).`,
        'Generated by `npm run openapi` from src/orders (schema.ts, api-schemas.ts, errors.ts, gateway-errors.ts) and infra/config.ts; do not edit by hand.',
      ].join('\n\n'),
    },
    servers: [
      {
        url: `https://{restApiId}.execute-api.{region}.amazonaws.com/${API_STAGE}`,
        description: 'A deployed stage: the stack output ApiUrl.',
        variables: {
          restApiId: { default: 'abcde12345', description: 'The REST API id in the stack output ApiUrl.' },
          region: { default: REGION, enum: [REGION] },
        },
      },
      {
        url: `http://localhost:{port}/${API_STAGE}`,
        description: 'The local runtime (`npm start`), which also answers without the stage prefix.',
        variables: { port: { default: LOCAL_PORT, description: 'PORT of `npm start`.' } },
      },
    ],
    security: [{ ApiKey: [] }],
    tags: [{ name: 'orders' }],
    paths: {
      '/orders': {
        post: {
          operationId: 'postOrders',
          tags: ['orders'],
          summary: 'Submit orders for the next auction',
          description: [
            `A JSON array of 1 to ${maxOrdersPerRequest} orders, at most ${maxBodyBytes} bytes. All or nothing: nothing is stored unless the whole request is valid.`,
            'The same record_id again replaces the order while it is still `received` (last write wins); once an auction run has taken it, the whole request is refused with 409.',
            'Content-Type must be application/json (a structured JSON type such as application/vnd.orders+json is accepted too) in UTF-8.',
          ].join('\n\n'),
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/OrdersRequest' } } },
          },
          responses: {
            201: { description: 'Every order of the request is stored.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Accepted' } } } },
            ...errorResponses(causesOf('post', postOrdersErrors, gateway)),
            ...defaultResponses(gateway),
          },
        },
      },
      '/orders/{record_id}': {
        get: {
          operationId: 'getOrder',
          tags: ['orders'],
          summary: 'What became of one order',
          parameters: [{
            name: 'record_id',
            in: 'path',
            required: true,
            description: `The order's record_id, URL-encoded; 1 to ${RECORD_ID_MAX_LENGTH} characters once decoded.`,
            schema: { type: 'string', minLength: 1 },
          }],
          responses: {
            200: { description: 'The order and its lifecycle.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Order' } } } },
            ...errorResponses(causesOf('get', getOrderErrors, gateway)),
            ...defaultResponses(gateway),
          },
        },
      },
    },
    components: {
      securitySchemes: {
        ApiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'One API key per customer, from the usage plan.' },
      },
      schemas: {
        OrdersRequest: ordersRequest,
        Accepted: acceptedResponseSchema(maxOrdersPerRequest),
        Order: orderViewSchema,
        Error: errorResponseSchema,
      },
      headers: {
        RetryAfter: { description: 'Seconds to wait before repeating the request.', required: true, schema: { type: 'integer', minimum: 0 } },
        RetryAfterSometimes: { description: 'Seconds to wait before repeating the request, when the cause sends it (see the list).', required: false, schema: { type: 'integer', minimum: 0 } },
      },
      responses: { NoSuchRoute: noSuchRoute(gateway) },
    },
  };
}

const repoRoot = join(__dirname, '..', '..');
/** Where the document is committed (the README links it): JSON, so tests and tools read it without a YAML parser. */
export const OPENAPI_FILE = join(repoRoot, 'openapi.json');

/** The committed text: the package version, stable key order (insertion), two-space indent, a trailing newline. */
export function renderOpenApiDocument(): string {
  const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  return `${JSON.stringify(buildOpenApiDocument(documentedLimits(), version), null, 2)}\n`;
}
