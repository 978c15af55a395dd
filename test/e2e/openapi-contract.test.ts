// Scenarios: the local API, called at the document's local server URL (stage v1), answers every documented (operation, status, code) it can be driven to, and each answer's status, content type, headers (Retry-After) and body validate against openapi.json: POST 201, 400 (gateway model and each function code), 403 (missing or wrong key), 409 after a run took the order, 413 (function limit and gateway 10 MB), 415, 429 for a client over the rate (the app's API served alone with its bucket lowered: the Local stage's limits are out of one machine's reach), 500 and 502 (function failing, event over Lambda's 6 MB), 503 while DynamoDB is down; GET 200 (received, accepted, rejected), 400, 403, 404, 413 (headers), 500, 502, 503; unknown paths and methods -> the document's NoSuchRoute; every documented pair not driven is listed with the reason, and the list is checked against the document.
import { join } from 'node:path';
import { ApiServer, primaryApi, readApis, startApi } from '../../local/api-gateway/rest-api';
import type { ApiKeyGrant } from '../../local/api-gateway/api-keys';
import { loadStack } from '../../local/core/assembly';
import type { Faults } from '../../local/core/faults';
import { Resolver } from '../../local/core/cfn-resolver';
import type { LocalFunction } from '../../local/lambda/runner';
import { API_STAGE } from '../../scripts/openapi/document';
import {
  committedDocument,
  dereferencedDocument,
  documentedCodes,
  documentedResponse,
  type DocumentedResponse,
  type OpenApiDocument,
  schemaErrors,
  validatorFor,
} from '../fixtures/openapi';
import { type Answer, type Customer, CUSTOMER_KEYS, keyOf, makeOrders, ordersBody, runAuction, startSystem, type System, uniqueId } from './lifecycle';
import { E2E_ASSEMBLY, ROOT } from './paths';

/** Documented (operation, status, code) the local runtime cannot be driven to, with the reason. */
const NOT_DRIVEN: Record<string, string> = {
  'POST /orders 401 UNAUTHORIZED': 'the API has no authorizer',
  'GET /orders/{record_id} 401 UNAUTHORIZED': 'the API has no authorizer',
  'POST /orders 403 FORBIDDEN': 'the gateway never invokes the function without the calling key\'s id (unit-tested in post-orders.test.ts)',
  'GET /orders/{record_id} 403 FORBIDDEN': 'the gateway never invokes the function without the calling key\'s id (unit-tested in get-order.test.ts)',
  'POST /orders 403 ACCESS_DENIED': 'no resource policy, authorizer or WAF that could deny',
  'GET /orders/{record_id} 403 ACCESS_DENIED': 'no resource policy, authorizer or WAF that could deny',
  'POST /orders 403 EXPIRED_TOKEN': 'no IAM (SigV4) authorization',
  'GET /orders/{record_id} 403 EXPIRED_TOKEN': 'no IAM (SigV4) authorization',
  'POST /orders 403 INVALID_SIGNATURE': 'no IAM (SigV4) authorization',
  'GET /orders/{record_id} 403 INVALID_SIGNATURE': 'no IAM (SigV4) authorization',
  'POST /orders 404 NOT_FOUND': 'RESOURCE_NOT_FOUND: the local gateway routes only to resources of the template',
  'GET /orders/{record_id} 404 NOT_FOUND': 'RESOURCE_NOT_FOUND: the local gateway routes only to resources of the template',
  'GET /orders/{record_id} 400 INVALID_PARAMETERS': 'the only required parameter is the path\'s, present whenever the route matches',
  'POST /orders 429 QUOTA_EXCEEDED': 'the usage plan sets no quota',
  'GET /orders/{record_id} 429 QUOTA_EXCEEDED': 'the usage plan sets no quota',
  'POST /orders 504 TIMEOUT': 'needs a function running past the 29 s integration timeout; too slow for a test',
  'GET /orders/{record_id} 504 TIMEOUT': 'needs a function running past the 29 s integration timeout; too slow for a test',
  'GET /orders/{record_id} 502 INTEGRATION_FAILURE': 'a GET carries no body, so its event never reaches Lambda\'s 6 MB limit',
  'POST /orders 4XX BAD_REQUEST': 'every 4xx response type has its own gateway response; DEFAULT_4XX only stands in for types AWS adds',
  'GET /orders/{record_id} 4XX BAD_REQUEST': 'every 4xx response type has its own gateway response; DEFAULT_4XX only stands in for types AWS adds',
  'POST /orders 5XX INTERNAL_ERROR': 'every 5xx the gateway answers here has its own documented status (500, 502, 504)',
  'GET /orders/{record_id} 5XX INTERNAL_ERROR': 'every 5xx the gateway answers here has its own documented status (500, 502, 504)',
};

const POST = 'POST /orders';
const GET = 'GET /orders/{record_id}';
const NO_ROUTE = 'no route';
type Where = typeof POST | typeof GET | typeof NO_ROUTE;

/** Budget of post-orders' writes in this system: a request that meets a stopped DynamoDB gives up quickly. */
const POST_ORDERS_ENV = { WRITE_RETRY_BUDGET_MS: '300' };

let system: System;
let faults: Faults;
let doc: OpenApiDocument;
/** The API at the document's local server URL (`http://localhost:{port}/v1`) with this runtime's port. */
let base: string;
/** Every (operation, status, code) an answer validated for. */
const driven = new Set<string>();

beforeAll(async () => {
  doc = await dereferencedDocument();
  system = await startSystem({ inProcess: true, faultInjection: true, functionEnv: { 'post-orders': POST_ORDERS_ENV } });
  faults = system.faults!;
  const local = (committedDocument().servers as Array<{ url: string }>).find((server) => server.url.startsWith('http://localhost'))!;
  const url = new URL(local.url.replace('{port}', new URL(system.endpoints.api).port));
  url.hostname = new URL(system.endpoints.api).hostname;
  base = url.toString().replace(/\/$/, '');
});

afterAll(async () => {
  await faults?.clear();
  await system?.stop();
});

interface Request {
  readonly method?: string;
  /** The API key of a customer, a raw value, or null for none. */
  readonly key?: Customer | { raw: string } | null;
  readonly contentType?: string | null;
  readonly body?: string;
  readonly headers?: Record<string, string>;
}

async function call(path: string, request: Request = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...request.headers };
  const key = request.key === undefined ? 'default' : request.key;
  if (key !== null) headers['x-api-key'] = typeof key === 'string' ? keyOf(system, key) : key.raw;
  if (request.contentType !== null && request.body !== undefined) headers['content-type'] = request.contentType ?? 'application/json';
  const res = await fetch(`${base}${path}`, { method: request.method ?? (request.body === undefined ? 'GET' : 'POST'), headers, body: request.body });
  const text = await res.text();
  const flat: Record<string, string> = {};
  res.headers.forEach((value, name) => (flat[name] = value));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: flat, text, json };
}

const postOrders = (body: string, request: Request = {}) => call('/orders', { ...request, method: 'POST', body });
const getOrder = (recordId: string, request: Request = {}) => call(`/orders/${encodeURIComponent(recordId)}`, request);

function responseOf(where: Where, status: number): DocumentedResponse | undefined {
  if (where === NO_ROUTE) return doc.components.responses.NoSuchRoute;
  const [method, path] = where.split(' ');
  return documentedResponse(doc, method, path, status);
}

/**
 * Checks an answer against the document: the status is documented for the operation, the content type is one it
 * documents, the body validates against that schema, and every documented header that is required is there and
 * every documented header that is there validates. Records what was driven.
 */
function expectDocumented(where: Where, answer: Answer, status: number, code?: string): void {
  expect({ where, status: answer.status, body: answer.text.slice(0, 300) }).toEqual({ where, status, body: expect.any(String) });
  const response = responseOf(where, status);
  expect({ where, status, documented: response !== undefined }).toEqual({ where, status, documented: true });
  const mediaType = (answer.headers['content-type'] ?? '').split(';')[0].trim();
  expect({ where, status, mediaType: Object.keys(response!.content).includes(mediaType) ? mediaType : `${mediaType} (not documented)` })
    .toEqual({ where, status, mediaType: 'application/json' });
  const validate = validatorFor(response!.content[mediaType].schema);
  const valid = validate(answer.json);
  expect({ where, status, body: answer.text.slice(0, 300), errors: valid ? [] : schemaErrors(validate) }).toEqual({ where, status, body: answer.text.slice(0, 300), errors: [] });
  for (const [name, header] of Object.entries(response!.headers ?? {})) {
    const value = answer.headers[name.toLowerCase()];
    if (value === undefined) {
      expect({ where, status, header: name, missingButRequired: header.required === true }).toEqual({ where, status, header: name, missingButRequired: false });
      continue;
    }
    const typed = /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
    expect({ where, status, header: name, value, valid: validatorFor(header.schema)(typed) }).toEqual({ where, status, header: name, value, valid: true });
  }
  const actualCode = (answer.json as { error?: { code?: string } } | undefined)?.error?.code;
  if (code !== undefined) expect({ where, status, code: actualCode }).toEqual({ where, status, code });
  driven.add(`${where} ${status} ${actualCode ?? '-'}`);
}

/** `count` orders whose parameter_1 has `padding` characters, as request text. */
const paddedOrders = (prefix: string, count: number, padding: number) =>
  ordersBody(makeOrders(prefix, count).map((order) => ({ ...order, parameter_1: 'x'.repeat(padding) })));

describe('POST /orders', () => {
  it('201 {"accepted": N}', async () => {
    expectDocumented(POST, await postOrders(ordersBody(makeOrders(uniqueId('c201'), 3))), 201);
  });

  it('400 from the gateway\'s request model: INVALID_ORDERS', async () => {
    expectDocumented(POST, await postOrders('[]'), 400, 'INVALID_ORDERS');
  });

  it('400 from the function: DUPLICATE_RECORD_ID and INVALID_ORDERS (the model cannot see either)', async () => {
    const [a, b] = makeOrders(uniqueId('dup'), 2);
    expectDocumented(POST, await postOrders(ordersBody([a, { ...b, record_id: a.record_id }])), 400, 'DUPLICATE_RECORD_ID');
    expectDocumented(POST, await postOrders('[{"record_id":"\\ud800","parameter_1":"lone surrogate","parameter_2":1}]'), 400, 'INVALID_ORDERS');
  });

  it('400 from the function for a JSON media type the model is not declared for: INVALID_JSON, EMPTY_BODY, TOO_MANY_ORDERS', async () => {
    const vnd = { contentType: 'application/vnd.orders+json' };
    expectDocumented(POST, await postOrders('not json', vnd), 400, 'INVALID_JSON');
    expectDocumented(POST, await postOrders('   ', vnd), 400, 'EMPTY_BODY');
    expectDocumented(POST, await postOrders(ordersBody(makeOrders(uniqueId('many'), 1001)), vnd), 400, 'TOO_MANY_ORDERS');
  });

  it('403 INVALID_API_KEY for a missing and for an unknown key', async () => {
    const body = ordersBody(makeOrders(uniqueId('key'), 1));
    expectDocumented(POST, await postOrders(body, { key: null }), 403, 'INVALID_API_KEY');
    expectDocumented(POST, await postOrders(body, { key: { raw: 'not-a-key' } }), 403, 'INVALID_API_KEY');
  });

  it('413 PAYLOAD_TOO_LARGE from the function over 1 MiB, and from the gateway over 10 MB', async () => {
    expectDocumented(POST, await postOrders(paddedOrders(uniqueId('mib'), 1000, 1100)), 413, 'PAYLOAD_TOO_LARGE');
    expectDocumented(POST, await postOrders('x'.repeat(10 * 1024 * 1024 + 1)), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('415 UNSUPPORTED_MEDIA_TYPE for a body that is not declared JSON', async () => {
    expectDocumented(POST, await postOrders(ordersBody(makeOrders(uniqueId('text'), 1)), { contentType: 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('502 INTEGRATION_FAILURE for an event over Lambda\'s 6 MB invocation limit', async () => {
    expectDocumented(POST, await postOrders(paddedOrders(uniqueId('six'), 1000, 7000)), 502, 'INTEGRATION_FAILURE');
  });
});

describe('GET /orders/{record_id}', () => {
  it('200 for a received order', async () => {
    const [order] = makeOrders(uniqueId('get'), 1);
    expect((await postOrders(ordersBody([order]))).status).toBe(201);

    expectDocumented(GET, await getOrder(order.record_id), 200);
  });

  it('400 INVALID_RECORD_ID for an id over 128 characters', async () => {
    expectDocumented(GET, await getOrder('a'.repeat(129)), 400, 'INVALID_RECORD_ID');
  });

  it('403 INVALID_API_KEY without a key', async () => {
    expectDocumented(GET, await getOrder('any', { key: null }), 403, 'INVALID_API_KEY');
  });

  it('404 ORDER_NOT_FOUND for an id nobody stored', async () => {
    expectDocumented(GET, await getOrder(uniqueId('nobody')), 404, 'ORDER_NOT_FOUND');
  });

  it('413 PAYLOAD_TOO_LARGE for request headers over API Gateway\'s 10240 bytes', async () => {
    expectDocumented(GET, await getOrder('any', { headers: { 'x-padding': 'p'.repeat(11_000) } }), 413, 'PAYLOAD_TOO_LARGE');
  });
});

describe('an order a run has taken', () => {
  // Enough orders that the simulated platform (half rejected, seeded per order) accepts some and rejects some.
  const orders = makeOrders(uniqueId('run'), 20);

  beforeAll(async () => {
    expect((await postOrders(ordersBody(orders))).status).toBe(201);
    const run = await runAuction(system, { close: 'now' }, 'contract');
    expect(run.status).toBe('SUCCEEDED');
  });

  it('POST 409 ORDER_LOCKED naming it', async () => {
    expectDocumented(POST, await postOrders(ordersBody([orders[0]])), 409, 'ORDER_LOCKED');
  });

  it('GET 200 for its final status, accepted and rejected alike', async () => {
    const answers = await Promise.all(orders.map((order) => getOrder(order.record_id)));
    for (const answer of answers) expectDocumented(GET, answer, 200);
    expect(new Set(answers.map((answer) => (answer.json as { status: string }).status))).toEqual(new Set(['accepted', 'rejected']));
  });
});

describe('when a function fails', () => {
  // Swaps a function's environment for its next sandboxes and puts it back, whatever the test does.
  async function withFunctionEnv(fn: 'post-orders' | 'get-order', env: Record<string, string>, normal: Record<string, string>, body: () => Promise<void>) {
    system.setFunctionEnv(fn, env);
    try {
      await body();
    } finally {
      system.setFunctionEnv(fn, normal);
    }
  }
  const table = () => system.endpoints.tableName;

  it('500 INTERNAL_ERROR when its storage calls fail in a way no retry fixes (a table its role may not use)', async () => {
    await withFunctionEnv('post-orders', { ...POST_ORDERS_ENV, ORDERS_TABLE_NAME: 'not-the-orders-table' }, { ...POST_ORDERS_ENV, ORDERS_TABLE_NAME: table() }, async () => {
      expectDocumented(POST, await postOrders(ordersBody(makeOrders(uniqueId('c500'), 1))), 500, 'INTERNAL_ERROR');
    });
    await withFunctionEnv('get-order', { ORDERS_TABLE_NAME: 'not-the-orders-table' }, { ORDERS_TABLE_NAME: table() }, async () => {
      expectDocumented(GET, await getOrder(uniqueId('c500')), 500, 'INTERNAL_ERROR');
    });
  });

  it('502 INTERNAL_ERROR (DEFAULT_5XX) when it cannot even start (a required variable is blank)', async () => {
    await withFunctionEnv('post-orders', { ...POST_ORDERS_ENV, ORDERS_TABLE_NAME: ' ' }, { ...POST_ORDERS_ENV, ORDERS_TABLE_NAME: table() }, async () => {
      expectDocumented(POST, await postOrders(ordersBody(makeOrders(uniqueId('c502'), 1))), 502, 'INTERNAL_ERROR');
    });
    await withFunctionEnv('get-order', { ORDERS_TABLE_NAME: ' ' }, { ORDERS_TABLE_NAME: table() }, async () => {
      expectDocumented(GET, await getOrder(uniqueId('c502')), 502, 'INTERNAL_ERROR');
    });
  });

  it('works again once its environment is back', async () => {
    const [order] = makeOrders(uniqueId('back'), 1);
    expect((await postOrders(ordersBody([order]))).status).toBe(201);
    expect((await getOrder(order.record_id)).status).toBe(200);
  });

  it('503 SERVICE_UNAVAILABLE with Retry-After while DynamoDB is down', async () => {
    await faults.stopDynamo();
    try {
      expectDocumented(POST, await postOrders(ordersBody(makeOrders(uniqueId('c503'), 1))), 503, 'SERVICE_UNAVAILABLE');
      expectDocumented(GET, await getOrder(uniqueId('c503')), 503, 'SERVICE_UNAVAILABLE');
    } finally {
      await faults.startDynamo();
    }
  });
});

describe('no such route', () => {
  it('an unknown path and a method the resource does not have answer the document\'s NoSuchRoute', async () => {
    const status = Number(/^Status (\d{3})/.exec(doc.components.responses.NoSuchRoute.description)?.[1]);
    expectDocumented(NO_ROUTE, await call('/nothing-here'), status);
    expectDocumented(NO_ROUTE, await call('/orders', { method: 'DELETE' }), status);
  });
});

describe('a client above the rate', () => {
  // The Local stage's limits (infra/config.ts) are far above what one machine can send, so the app's own API,
  // read from the same synthesized template (its routes, keys and gateway responses), is served on its own
  // with the stage's bucket emptied (burst 0) and a stopped clock, so that every request is throttled.
  let server: ApiServer;
  let throttledBase: string;

  beforeAll(async () => {
    const stack = loadStack(join(ROOT, E2E_ASSEMBLY), 'Local');
    const resolver = new Resolver(stack);
    const api = primaryApi(stack, readApis(stack, resolver))!;
    const lowered = { ...api, throttle: { plans: {}, stage: { '* *': { rate: 1, burst: 0 } } } };
    const beta: ApiKeyGrant = { value: CUSTOMER_KEYS.beta, apiKeyId: 'beta', label: 'beta', restApis: new Set([api.logicalId]), usagePlans: new Set(), fromTemplate: false };
    server = await startApi(lowered, 0, [beta], 'api', { clock: () => 0 });
    // Throttling comes before the request model and the integration, so no request reaches a function.
    const unused = { spec: { label: 'unused' }, invoke: async () => ({ ok: false, error: { errorType: 'Unused', errorMessage: 'not invoked' } }) };
    server.bind(() => unused as unknown as LocalFunction);
    throttledBase = `${server.url}/${API_STAGE}`;
  });

  afterAll(async () => {
    await server?.close();
  });

  const send = (path: string, init: RequestInit) => fetch(`${throttledBase}${path}`, { ...init, headers: { 'x-api-key': CUSTOMER_KEYS.beta, ...init.headers } });
  async function answer(res: Response): Promise<Answer> {
    const text = await res.text();
    const headers: Record<string, string> = {};
    res.headers.forEach((value, name) => (headers[name] = value));
    return { status: res.status, headers, text, json: JSON.parse(text) };
  }

  it('429 THROTTLED with Retry-After for POST and GET when the bucket is empty, before the request model is read', async () => {
    expectDocumented(POST, await answer(await send('/orders', { method: 'POST', body: '[]', headers: { 'content-type': 'application/json' } })), 429, 'THROTTLED');
    expectDocumented(GET, await answer(await send('/orders/any', { method: 'GET' })), 429, 'THROTTLED');
  });
});

describe('the document\'s statuses', () => {
  it('every documented (operation, status, code) was driven above or is listed in NOT_DRIVEN with its reason, and nothing else is listed', () => {
    const documented = [POST, GET].flatMap((where) => {
      const [method, path] = where.split(' ');
      return Object.entries(doc.paths[path][method.toLowerCase()].responses).flatMap(([status, response]) => {
        const codes = documentedCodes(response);
        return codes.length === 0 ? [`${where} ${status} -`] : codes.map((code) => `${where} ${status} ${code}`);
      });
    });
    const noRoute = `${NO_ROUTE} ${/^Status (\d{3})/.exec(doc.components.responses.NoSuchRoute.description)?.[1]} ${documentedCodes(doc.components.responses.NoSuchRoute)[0]}`;
    const accounted = new Set([...driven, ...Object.keys(NOT_DRIVEN)]);

    expect([...documented, noRoute].filter((pair) => !accounted.has(pair)).sort()).toEqual([]);
    expect([...accounted].filter((pair) => ![...documented, noRoute].includes(pair)).sort()).toEqual([]);
    expect(Object.keys(NOT_DRIVEN).filter((pair) => driven.has(pair))).toEqual([]);
  });
});
