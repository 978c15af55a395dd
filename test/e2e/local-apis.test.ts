// Scenarios: two REST APIs each on its own port (the ApiUrl output's API on PORT, the next on PORT+5) listed in endpoints.apis; template keys with secret dynamic references (whole secret and JSON key) open only their usage plans' APIs, disabled keys none; LOCAL_API_KEY / LOCAL_API_KEYS customers open the APIs of value-less keys with identity.apiKeyId = name; endpoints.json lists customers and template keys; path parameters stay percent-encoded and %2F routes inside one segment; event.path has no stage; a function reaches the other API through its execute-api URL mapped to the local port; dynamic references in function environments; LOCAL_API_KEYS is validated strictly at start.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Runtime, startRuntime } from '../../local/runtime';
import { parseApiKeys } from '../../local/api-gateway/api-keys';
import { freePortRange } from './harness';
import { ROOT } from './paths';

const FIXTURE = join(ROOT, 'test', 'fixtures', 'local', 'features');
const dataDir = mkdtempSync(join(tmpdir(), 'e2e-local-apis-'));
let runtime: Runtime;

beforeAll(async () => {
  runtime = await startRuntime({
    cdkOut: FIXTURE,
    port: 0,
    inMemory: true,
    timeScale: 0,
    quiet: true,
    dataDir,
    apiKey: 'default-key-0123456789',
    apiKeys: { alpha: 'key-a', beta: 'key-b' },
  });
});

afterAll(async () => {
  await runtime?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function call(base: string, path: string, key?: string, method = 'GET') {
  const res = await fetch(`${base}${path}`, { method, headers: key ? { 'x-api-key': key } : {} });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const orders = () => runtime.endpoints.apis['fixture-orders'];
const platform = () => runtime.endpoints.apis['fixture-platform'];
const platformKey = () => runtime.endpoints.templateApiKeys['fixture-platform-key'];

describe('several REST APIs', () => {
  it('serves the API of the ApiUrl output as endpoints.api and the other one on a port of its own', async () => {
    const { endpoints } = runtime;

    expect(Object.keys(endpoints.apis).sort()).toEqual(['fixture-orders', 'fixture-platform']);
    expect(endpoints.api).toBe(orders());
    expect(platform()).not.toBe(orders());
    expect((await call(orders(), '/open')).body.resource).toBe('/open');
    // The fixture declares no gateway responses: an unknown route gets AWS's default 403.
    expect((await call(platform(), '/open'))).toEqual({ status: 403, body: { message: 'Missing Authentication Token' } });
  });

  it('writes the APIs, customers and template keys into endpoints.json', () => {
    const written = JSON.parse(readFileSync(join(dataDir, 'endpoints.json'), 'utf8'));

    expect(written.apis).toEqual(runtime.endpoints.apis);
    expect(written.apiKey).toBe('default-key-0123456789');
    expect(written.apiKeys).toEqual({ default: 'default-key-0123456789', alpha: 'key-a', beta: 'key-b' });
    expect(written.templateApiKeys['fixture-partner-key']).toMatchObject({ value: 'partner-key-0123456789abcdef', apis: ['fixture-platform'] });
    expect(written.templateApiKeys['fixture-platform-key'].value).toMatch(/^[0-9a-f]{32}$/);
    expect(written.templateApiKeys['fixture-disabled-key']).toBeUndefined();
  });

  it('puts the second API on PORT+5 when PORT is fixed', async () => {
    const base = await freePortRange(6);
    const dir = mkdtempSync(join(tmpdir(), 'e2e-local-apis-port-'));
    const fixed = await startRuntime({ cdkOut: FIXTURE, port: base, inMemory: true, timeScale: 0, quiet: true, dataDir: dir });
    try {
      expect(fixed.endpoints.apis).toEqual({ 'fixture-orders': `http://127.0.0.1:${base}`, 'fixture-platform': `http://127.0.0.1:${base + 5}` });
    } finally {
      await fixed.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('API keys', () => {
  it('gives each customer its own identity on the API of the value-less key', async () => {
    const asDefault = await call(orders(), '/orders/r1', 'default-key-0123456789');
    const asAlpha = await call(orders(), '/orders/r1', 'key-a');
    const asBeta = await call(orders(), '/orders/r1', 'key-b');

    expect(asDefault.body.identity).toEqual({ apiKey: 'default-key-0123456789', apiKeyId: 'default' });
    expect(asAlpha.body.identity).toEqual({ apiKey: 'key-a', apiKeyId: 'alpha' });
    expect(asBeta.body.identity).toEqual({ apiKey: 'key-b', apiKeyId: 'beta' });
  });

  it('accepts a key whose Value is the generated secret, with its Ref as apiKeyId, only on its usage plan API', async () => {
    const key = platformKey();

    const onPlatform = await call(platform(), '/v1/auctions/a1/results', key.value);
    const onOrders = await call(orders(), '/orders/r1', key.value);

    expect(onPlatform.status).toBe(200);
    expect(onPlatform.body.identity).toEqual({ apiKey: key.value, apiKeyId: key.apiKeyId });
    expect(onOrders.status).toBe(403);
  });

  it('resolves a dynamic reference to one JSON key of a secret', async () => {
    const res = await call(platform(), '/auctions/a1/results', 'partner-key-0123456789abcdef');

    expect(res.status).toBe(200);
    expect(res.body.identity.apiKeyId).toBe(runtime.endpoints.templateApiKeys['fixture-partner-key'].apiKeyId);
  });

  it('refuses customers on the platform, disabled keys, wrong and missing keys', async () => {
    expect((await call(platform(), '/auctions/a1/results', 'key-a')).status).toBe(403);
    expect((await call(orders(), '/orders/r1', 'disabled-key-0123456789')).status).toBe(403);
    expect((await call(orders(), '/orders/r1', 'nope')).status).toBe(403);
    expect((await call(orders(), '/orders/r1')).status).toBe(403);
  });
});

describe('path parameters', () => {
  it('hands them on percent-encoded, as API Gateway REST APIs do, and routes %2F inside one segment', async () => {
    const res = await call(orders(), '/v1/orders/a%2Fb%20c%3F', 'key-a');

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ resource: '/orders/{record_id}', path: '/orders/a%2Fb%20c%3F', pathParameters: { record_id: 'a%2Fb%20c%3F' } });
  });

  it('matches nested parameters on the second API', async () => {
    const res = await call(platform(), '/v1/auctions/2026-12-01T2100Z/batches/batch%2F7', platformKey().value, 'PUT');

    expect(res.body).toMatchObject({
      resource: '/auctions/{auction_id}/batches/{batch_id}',
      pathParameters: { auction_id: '2026-12-01T2100Z', batch_id: 'batch%2F7' },
      stage: 'v1',
    });
  });

  it('does not let a decoded slash split a segment into a route', async () => {
    expect((await call(orders(), '/orders/a/b', 'key-a'))).toEqual({ status: 403, body: { message: 'Missing Authentication Token' } });
  });
});

describe('function environment', () => {
  it('maps the execute-api URL of another API to its local port, and the function calls it with the secret key', async () => {
    const res = await call(orders(), '/relay/2026-12-01T2100Z', 'key-b');

    expect(res.body.url).toBe(`${platform()}/v1/auctions/2026-12-01T2100Z/results`);
    expect(res.body.status).toBe(200);
    expect(res.body.answer.identity.apiKeyId).toBe(platformKey().apiKeyId);
  });

  it('resolves dynamic references in environment variables', async () => {
    const res = await call(orders(), '/relay/x', 'key-b');

    expect(res.body.partner).toBe('partner');
  });
});

describe('LOCAL_API_KEYS', () => {
  it.each([
    ['alpha', 'is not name=key'],
    ['alpha=key-a,', 'is not name=key'],
    ['al pha=key-a', 'must be 1-64 characters'],
    [`${'a'.repeat(65)}=k`, 'must be 1-64 characters'],
    ['alpha=', 'has an empty key'],
    ['alpha=k1,alpha=k2', 'listed twice'],
    ['alpha=k1,beta=k1', 'have the same key'],
  ])('refuses %j', (text, message) => {
    expect(() => parseApiKeys(text)).toThrow(message);
  });

  it('reads names and keys (a key may contain "=")', () => {
    expect(parseApiKeys(' alpha=key-a , beta=a=b== ')).toEqual({ alpha: 'key-a', beta: 'a=b==' });
    expect(parseApiKeys('')).toEqual({});
  });

  it.each([
    ['default=key-x', '"default" is the customer of LOCAL_API_KEY'],
    ['alpha=same-key', 'has the key of LOCAL_API_KEY'],
    ['alpha=partner-key-0123456789abcdef', 'have the same value'],
    ['alpha', 'LOCAL_API_KEYS: entry 1 ("alpha") is not name=key'],
  ])('stops npm start for LOCAL_API_KEYS=%j with a clear message', (keys, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'e2e-local-keys-'));
    try {
      const result = spawnSync(process.execPath, ['--import', 'tsx', 'local/main.ts', '--in-memory', '--assembly', FIXTURE], {
        cwd: ROOT,
        env: { ...process.env, PORT: '0', LOCAL_DATA_DIR: dir, LOCAL_TIME_SCALE: '0', LOCAL_API_KEY: 'same-key', LOCAL_API_KEYS: keys, NO_COLOR: '1' },
        encoding: 'utf8',
        timeout: 60_000,
      });

      expect(result.status).toBe(1);
      expect(`${result.stdout}${result.stderr}`).toContain(message);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
