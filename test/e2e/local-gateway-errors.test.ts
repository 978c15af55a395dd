// Scenarios: a fixture API with gateway responses answers each gateway error from the template (own type, else DEFAULT_4XX/5XX; StatusCode, else the type's documented default; $context.requestId, messageString and responseType substituted; mapped request headers): unknown path and unknown method, missing/wrong key, body over 10 MB, request line + headers over 10240 bytes and over Node's header limit, Lambda error and malformed proxy response (502), integration timeout (TimeoutInMillis), event over Lambda's 6 MB; the same API without gateway responses answers AWS's defaults ({"message"} with 403, 403, 413, 502, 504, 500, 429).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Runtime, startRuntime } from '../../local/runtime';
import { ROOT } from './paths';

const FIXTURE = join(ROOT, 'test', 'fixtures', 'local', 'gateway');
const dataDir = mkdtempSync(join(tmpdir(), 'e2e-local-gateway-errors-'));
const KEY = 'shared-key-a-0123456789';
const BARE_KEY = 'bare-open-key-0123456789';
let runtime: Runtime;

beforeAll(async () => {
  runtime = await startRuntime({ cdkOut: FIXTURE, port: 0, inMemory: true, timeScale: 0, quiet: true, dataDir });
});

afterAll(async () => {
  await runtime?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly json: unknown;
}

async function call(api: 'fixture-gateway' | 'fixture-bare', path: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(`${runtime.endpoints.apis[api]}${path}`, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: JSON.parse(text) };
}

const post = (key: string, headers: Record<string, string> = {}, body?: string): RequestInit => ({ method: 'POST', headers: { 'x-api-key': key, ...headers }, body });

/** The fixture's DEFAULT_4XX / DEFAULT_5XX template: the type, AWS's message and the request id. */
function fallback(answer: Answer, type: string, message: string) {
  expect(answer.json).toEqual({ error: { code: type, message, details: [], request_id: answer.headers.get('x-amzn-requestid') } });
  expect(answer.headers.get('content-type')).toBe('application/json');
}

describe('an API with gateway responses', () => {
  it('answers an unknown path and a method the resource does not have from MISSING_AUTHENTICATION_TOKEN (404)', async () => {
    for (const [path, method] of [['/nowhere', 'GET'], ['/ping', 'DELETE'], ['/fn/echo', 'GET']]) {
      const answer = await call('fixture-gateway', path, { method, headers: { 'x-api-key': KEY } });
      expect([path, method, answer.status, answer.json]).toEqual([path, method, 404, { error: { code: 'NOT_FOUND', message: 'Missing Authentication Token', details: [] } }]);
    }
  });

  it('answers a missing or wrong key as INVALID_API_KEY through DEFAULT_4XX with its status and mapped header', async () => {
    for (const headers of [{}, { 'x-api-key': 'wrong' }, { 'x-api-key': BARE_KEY }] as Array<Record<string, string>>) {
      const answer = await call('fixture-gateway', '/ping', { headers: { ...headers, 'x-echo': 'echoed' } });
      expect(answer.status).toBe(403);
      fallback(answer, 'INVALID_API_KEY', 'Forbidden');
      expect(answer.headers.get('x-echo')).toBe('echoed');
    }
  });

  it('answers a body over 10 MB and headers over 10240 bytes (and over Node\'s own limit) as REQUEST_TOO_LARGE', async () => {
    const tooLarge = [
      post(KEY, {}, 'x'.repeat(10 * 1024 * 1024 + 1)),
      post(KEY, { 'x-padding': 'p'.repeat(10_240) }),
      post(KEY, { 'x-padding': 'p'.repeat(70_000) }),
    ];
    for (const init of tooLarge) {
      const answer = await call('fixture-gateway', '/fn/echo', init);
      expect(answer.status).toBe(413);
      expect((answer.json as { error: { code: string } }).error.code).toBe('REQUEST_TOO_LARGE');
    }
    // Below the limits the request goes through.
    expect((await call('fixture-gateway', '/fn/echo', post(KEY, {}, 'x'.repeat(5 * 1024 * 1024)))).json).toEqual({ mode: 'echo', bytes: 5 * 1024 * 1024 });
  });

  it('answers a Lambda error and a malformed proxy response with DEFAULT_5XX at 502, a timeout at 504', async () => {
    for (const mode of ['boom', 'malformed']) {
      const answer = await call('fixture-gateway', `/fn/${mode}`, post(KEY));
      expect([mode, answer.status]).toEqual([mode, 502]);
      fallback(answer, 'DEFAULT_5XX', 'Internal server error');
    }
    const slow = await call('fixture-gateway', '/slow', post(KEY));
    expect(slow.status).toBe(504);
    fallback(slow, 'INTEGRATION_TIMEOUT', 'Endpoint request timed out');
  });

  it('answers an event over Lambda\'s 6 MB with INTEGRATION_FAILURE at its documented 504 (customized without a status)', async () => {
    const answer = await call('fixture-gateway', '/fn/echo', post(KEY, {}, 'x'.repeat(7 * 1024 * 1024)));

    expect(answer.status).toBe(504);
    fallback(answer, 'INTEGRATION_FAILURE', 'Internal server error');
  });
});

describe('an API without gateway responses', () => {
  it('answers with AWS\'s defaults', async () => {
    const cases: Array<[string, RequestInit, number, string]> = [
      ['/nowhere', {}, 403, 'Missing Authentication Token'],
      ['/ping', { method: 'POST' }, 403, 'Missing Authentication Token'],
      ['/ping', {}, 403, 'Forbidden'],
      ['/fn/echo', post(BARE_KEY, {}, 'x'.repeat(10 * 1024 * 1024 + 1)), 413, 'Request Too Long'],
      ['/fn/boom', post(BARE_KEY), 502, 'Internal server error'],
      ['/fn/malformed', post(BARE_KEY), 502, 'Internal server error'],
      ['/slow', post(BARE_KEY), 504, 'Endpoint request timed out'],
      ['/fn/echo', post(BARE_KEY, {}, 'x'.repeat(7 * 1024 * 1024)), 500, 'Internal server error'],
    ];
    for (const [path, init, status, message] of cases) {
      const answer = await call('fixture-bare', path, init);
      expect([path, answer.status, answer.json]).toEqual([path, status, { message }]);
    }
  });

  it('answers a throttled key 429 {"message": "Too Many Requests"}', async () => {
    const key = { headers: { 'x-api-key': 'bare-key-0123456789' } };

    expect((await call('fixture-bare', '/ping', key)).status).toBe(200);
    expect(await call('fixture-bare', '/ping', key)).toMatchObject({ status: 429, json: { message: 'Too Many Requests' } });
  });
});
