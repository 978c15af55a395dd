// Scenarios: the app's API through the local runtime, every size and kind of body and what API Gateway's order of checks answers, each in the error shape with the README's status and code: over 10 MB -> 413 PAYLOAD_TOO_LARGE (gateway); exactly 10 MB of non-JSON as JSON -> 400 INVALID_ORDERS (validator); 10 MB as text/plain -> 502 INTEGRATION_FAILURE (event over Lambda's 6 MB) with Retry-After; 2 MB text/plain -> 415 (handler); a schema-valid body of 2 MB -> 413 (handler), of 7 MB -> 502 INTEGRATION_FAILURE; a URL or headers over 10240 bytes, and headers over Node's own limit -> 413 PAYLOAD_TOO_LARGE (gateway); a missing key -> 403 INVALID_API_KEY.
import { gatewayErrors } from '../../src/orders/gateway-errors';
import { keyOf, startSystem, type System, uniqueId } from './lifecycle';

let system: System;

beforeAll(async () => {
  system = await startSystem();
});

afterAll(async () => {
  await system?.stop();
});

const MB = 1024 * 1024;
const gateway = new Map(gatewayErrors(1000).map((e) => [e.type, e]));

interface Answer {
  readonly status: number;
  readonly gatewayType: string | null;
  readonly retryAfter: string | null;
  readonly contentType: string | null;
  readonly json: { error: { code: string; message: string; details: unknown[] } };
}

async function send(path: string, init: RequestInit): Promise<Answer> {
  const res = await fetch(`${system.endpoints.api}${path}`, init);
  const text = await res.text();
  return { status: res.status, gatewayType: res.headers.get('x-amzn-errortype'), retryAfter: res.headers.get('retry-after'), contentType: res.headers.get('content-type'), json: JSON.parse(text) };
}

const postBody = (body: string, contentType = 'application/json', extra: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'x-api-key': keyOf(system, 'default'), 'content-type': contentType, ...extra },
  body,
});

/** A schema-valid request of 1000 orders and at least `bytes` bytes. */
function validBody(bytes: number): string {
  const filler = 'p'.repeat(Math.ceil(bytes / 1000));
  const prefix = uniqueId('big');
  return JSON.stringify(Array.from({ length: 1000 }, (_, i) => ({ record_id: `${prefix}-${i}`, parameter_1: filler, parameter_2: i })));
}

/** A gateway answer: its type's status, code and message from the template, in the error shape. */
function expectGateway(answer: Answer, type: string): void {
  const entry = gateway.get(type)!;
  expect([type, answer.status, answer.gatewayType, answer.json]).toEqual([type, entry.status, type, { error: { code: entry.code, message: entry.message, details: [] } }]);
  expect(answer.contentType).toBe('application/json');
  expect(answer.retryAfter).toBe(entry.retryAfterSeconds === undefined ? null : String(entry.retryAfterSeconds));
}

/** An answer of the handler (no gateway type): its status and code. */
function expectHandler(answer: Answer, status: number, code: string): void {
  expect([answer.status, answer.gatewayType, answer.json.error.code]).toEqual([status, null, code]);
  expect(answer.json).toEqual({ error: { code, message: expect.any(String), details: expect.any(Array) } });
}

describe('bodies of every size and kind', () => {
  it('answers over 10 MB with the gateway\'s 413, whatever the body', async () => {
    expectGateway(await send('/orders', postBody('x'.repeat(10 * MB + 1))), 'REQUEST_TOO_LARGE');
    expectGateway(await send('/orders', postBody(`${validBody(9 * MB)}${' '.repeat(2 * MB)}`)), 'REQUEST_TOO_LARGE');
  });

  it('validates a JSON body of exactly 10 MB: not JSON -> the validator\'s 400', async () => {
    expectGateway(await send('/orders', postBody('x'.repeat(10 * MB))), 'BAD_REQUEST_BODY');
  });

  it('hands a body the validator does not check to the function, which refuses its media type, or Lambda its size', async () => {
    expectHandler(await send('/orders', postBody('x'.repeat(2 * MB), 'text/plain')), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectGateway(await send('/orders', postBody('x'.repeat(10 * MB), 'text/plain')), 'INTEGRATION_FAILURE');
  });

  it('answers a schema-valid body over 1 MiB with the handler\'s 413, and one over Lambda\'s 6 MB with 502', async () => {
    expectHandler(await send('/orders', postBody(validBody(2 * MB))), 413, 'PAYLOAD_TOO_LARGE');
    expectGateway(await send('/orders', postBody(validBody(7 * MB))), 'INTEGRATION_FAILURE');
  });
});

describe('URLs and headers', () => {
  it('answers a URL or headers over API Gateway\'s 10240 bytes with 413, also past Node\'s own header limit', async () => {
    const key = { 'x-api-key': keyOf(system, 'default') };
    expectGateway(await send(`/orders/${'y'.repeat(10_300)}`, { headers: key }), 'REQUEST_TOO_LARGE');
    expectGateway(await send('/orders', postBody('[]', 'application/json', { 'x-padding': 'p'.repeat(10_300) })), 'REQUEST_TOO_LARGE');
    expectGateway(await send('/orders', postBody('[]', 'application/json', { 'x-padding': 'p'.repeat(70_000) })), 'REQUEST_TOO_LARGE');
  });

  it('answers a missing key with INVALID_API_KEY', async () => {
    expectGateway(await send('/orders', { method: 'POST', body: '[]', headers: { 'content-type': 'application/json' } }), 'INVALID_API_KEY');
  });
});
