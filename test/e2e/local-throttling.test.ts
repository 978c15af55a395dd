// Scenarios: usage-plan throttling from the template over real HTTP. Through the runtime (real clock): 8 requests at once with a key of a burst-3 plan -> exactly 3 answered, 5 THROTTLED 429 with Retry-After in the template's shape; another key of the same plan has its own bucket; a client pacing itself below its plan's rate is never throttled. With the gateway's clock moved by hand: the same plan's client at the rate is never throttled and one just above it exactly every other time, the bucket refills rate tokens per second; a stage MethodSettings limit is shared by all callers of that method only; a plan's per-method throttle replaces its plan-wide one for that method only; the plan's quota answers QUOTA_EXCEEDED 429 (Retry-After) and starts over the next UTC day.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadStack } from '../../local/core/assembly';
import { ApiServer, readApis, startApi } from '../../local/api-gateway/rest-api';
import { readApiKeys } from '../../local/api-gateway/api-keys';
import { Resolver } from '../../local/core/cfn-resolver';
import type { LocalFunction } from '../../local/lambda/runner';
import { Runtime, startRuntime } from '../../local/runtime';
import { sleep } from './harness';
import { ROOT } from './paths';

const FIXTURE = join(ROOT, 'test', 'fixtures', 'local', 'gateway');

async function get(base: string, path: string, key: string, method = 'GET') {
  const res = await fetch(`${base}${path}`, { method, headers: { 'x-api-key': key } });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), json: JSON.parse(await res.text()) as unknown };
}

const statuses = (answers: Array<{ status: number }>) => answers.map((a) => a.status).sort();
const times = (n: number, status: number) => Array<number>(n).fill(status);

describe('through the runtime, on the real clock', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'e2e-local-throttling-'));
  let runtime: Runtime;
  const api = () => runtime.endpoints.apis['fixture-gateway'];

  beforeAll(async () => {
    runtime = await startRuntime({ cdkOut: FIXTURE, port: 0, inMemory: true, timeScale: 0, quiet: true, dataDir });
  });

  afterAll(async () => {
    await runtime?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers a burst above the plan\'s bucket with exactly the overflow throttled, per key', async () => {
    // BurstPlan: burst 3, one token per 100 s, so no token comes back while the test runs.
    const answers = await Promise.all(Array.from({ length: 8 }, () => get(api(), '/ping', 'burst-key-0123456789')));

    expect(statuses(answers)).toEqual([...times(3, 200), ...times(5, 429)]);
    for (const answer of answers.filter((a) => a.status === 429)) {
      expect(answer).toEqual({ status: 429, retryAfter: '1', json: { error: { code: 'THROTTLED', message: 'Too many requests', details: [] } } });
    }
    const other = await Promise.all(Array.from({ length: 4 }, () => get(api(), '/ping', 'burst-key-2-0123456789')));
    expect(statuses(other)).toEqual([...times(3, 200), 429]);
  });

  it('never throttles a client that stays below its plan\'s rate', async () => {
    // PacedPlan: 20 requests per second, burst 1; this client sends one every 150 ms or more.
    const answers = [];
    for (let i = 0; i < 12; i++) {
      answers.push(await get(api(), '/ping', 'paced-key-0123456789'));
      await sleep(150);
    }

    expect(statuses(answers)).toEqual(times(12, 200));
  });
});

describe('with the gateway\'s clock moved by hand', () => {
  let now = Date.UTC(2026, 0, 7, 12);
  let server: ApiServer;
  const api = () => server.url;

  beforeAll(async () => {
    const stack = loadStack(FIXTURE, 'Local');
    const resolver = new Resolver(stack);
    const definition = readApis(stack, resolver).find((a) => a.name === 'fixture-gateway')!;
    server = await startApi(definition, 0, readApiKeys(stack, resolver, [], {}), 'api', { clock: () => now });
    // A stand-in for the fixture's function: these tests are about the gateway.
    const ok = { spec: { label: 'stand-in' }, invoke: async () => ({ ok: true, payload: { statusCode: 200, body: '{"ok":true}' } }) };
    server.bind(() => ok as unknown as LocalFunction);
  });

  afterAll(async () => {
    await server?.close();
  });

  it('lets a client at the plan\'s rate through and throttles one just above it every other time', async () => {
    // PacedPlan: 20 per second, burst 1.
    const paced = [];
    for (let i = 0; i < 40; i++) {
      now += 50;
      paced.push(await get(api(), '/ping', 'paced-key-0123456789'));
    }
    now += 1000;
    const eager = [];
    for (let i = 0; i < 40; i++) {
      now += 49;
      eager.push(await get(api(), '/ping', 'paced-key-0123456789'));
    }

    expect(statuses(paced)).toEqual(times(40, 200));
    expect(eager.map((a) => a.status)).toEqual(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 200 : 429)));
  });

  it('refills rate tokens per second after a burst', async () => {
    // PacedPlan again: one token, back after 50 ms.
    now += 1000;
    const burst = await Promise.all(Array.from({ length: 5 }, () => get(api(), '/ping', 'paced-key-0123456789')));
    now += 50;
    const next = await get(api(), '/ping', 'paced-key-0123456789');

    expect(statuses(burst)).toEqual([200, ...times(4, 429)]);
    expect(next.status).toBe(200);
  });

  it('shares a stage method limit among all callers, and only for that method', async () => {
    // The stage's MethodSettings: GET /shared burst 3 for everyone; SharedPlan itself allows 100.
    const a = [await get(api(), '/shared', 'shared-key-a-0123456789'), await get(api(), '/shared', 'shared-key-a-0123456789')];
    const b = [await get(api(), '/shared', 'shared-key-b-0123456789'), await get(api(), '/shared', 'shared-key-b-0123456789')];

    expect([...a, ...b].map((x) => x.status)).toEqual([200, 200, 200, 429]);
    expect((await get(api(), '/ping', 'shared-key-b-0123456789')).status).toBe(200);
  });

  it('applies a plan\'s per-method throttle to that method only', async () => {
    // MethodPlan: GET /ping burst 2, everything else 100.
    const pings = [];
    for (let i = 0; i < 3; i++) pings.push(await get(api(), '/ping', 'method-key-0123456789'));

    expect(pings.map((x) => x.status)).toEqual([200, 200, 429]);
    expect((await get(api(), '/fn/echo', 'method-key-0123456789', 'POST')).status).toBe(200);
  });

  it('answers QUOTA_EXCEEDED once the plan\'s daily quota is used, and starts over the next UTC day', async () => {
    // QuotaPlan: 2 requests per day.
    now = Date.UTC(2026, 0, 9, 23, 59, 30);
    const today = [];
    for (let i = 0; i < 3; i++) today.push(await get(api(), '/ping', 'quota-key-0123456789'));
    now += 60_000;
    const tomorrow = await get(api(), '/ping', 'quota-key-0123456789');

    expect(today.map((x) => x.status)).toEqual([200, 200, 429]);
    expect(today[2]).toMatchObject({ retryAfter: '3600', json: { error: { code: 'QUOTA_EXCEEDED', message: 'Limit Exceeded', details: [] } } });
    expect(tomorrow.status).toBe(200);
  });
});
