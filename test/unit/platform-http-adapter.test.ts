// Scenarios: PUT body/headers/URL (trailing slash or not, encoded path segments), exact decimals on the wire, batch size and bad decimal refused locally, acknowledged count checked, GET with URL-encoded page token, 200 non-JSON -> malformed answer, 429 with Retry-After honoured (and capped), 5xx with full-jitter backoff, network error, timeout, PlatformUnavailable after maxAttempts naming path/status/attempts, stops early when the function runs out of time, 4xx -> PlatformRequestRejected without retry, 401 invalidates the key, real fetch against a local server, platformFromEnv with plain and JSON secrets and missing env.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { HttpAuctionPlatform, type HttpAuctionPlatformOptions, parseApiKey, platformFromEnv } from '../../src/adapters/http-auction-platform';
import { MAX_BATCH_ORDERS, PlatformRequestRejected, PlatformUnavailable, type PlatformOrder } from '../../src/platform/platform';
import { logger } from '../../src/shared/powertools';

type Reply = { status: number; body?: string; headers?: Record<string, string> } | 'network' | 'hang';

const AUCTION = '2026-12-01T2100Z';
const ORDERS: PlatformOrder[] = [
  { order_id: 'alpha:r1', parameter_1: 'abc', parameter_2: '2.1' },
  { order_id: 'alpha:r2', parameter_1: 'def', parameter_2: '12345678901234567890' },
];

/** A fetch that answers from a script and records what it was asked. */
function scriptedFetch(...replies: Reply[]) {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  const fetch = jest.fn(async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    calls.push({ url: String(input), init: init ?? {} });
    const reply = replies.shift() ?? { status: 200, body: '{}' };
    if (reply === 'network') throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:1') });
    if (reply === 'hang') {
      return new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)));
    }
    return new Response(reply.body ?? '', { status: reply.status, headers: reply.headers });
  });
  return { fetch, calls };
}

function platform(fetch: typeof globalThis.fetch, overrides: Partial<HttpAuctionPlatformOptions> = {}) {
  const sleep = jest.fn(async (_ms: number) => undefined);
  const adapter = new HttpAuctionPlatform({
    baseUrl: 'https://platform.example.com/v1/',
    apiKey: async () => 'key-123',
    fetch,
    sleep,
    random: () => 0.5,
    baseDelayMs: 100,
    maxDelayMs: 1_000,
    ...overrides,
  });
  return { adapter, sleep };
}

const accepted = (received = ORDERS.length) => ({ status: 200, body: JSON.stringify({ auction_id: AUCTION, batch_id: 'b', received }) });

describe('HttpAuctionPlatform', () => {
  it('PUTs the batch as JSON with the key, under the encoded auction and batch ids', async () => {
    // Arrange
    const { fetch, calls } = scriptedFetch(accepted());
    const { adapter } = platform(fetch);

    // Act
    await adapter.submitBatch(AUCTION, 'batch 1/ä', ORDERS);

    // Assert
    expect(calls).toHaveLength(1);
    expect(calls[0].url).toBe(`https://platform.example.com/v1/auctions/${AUCTION}/batches/batch%201%2F%C3%A4`);
    expect(calls[0].init.method).toBe('PUT');
    expect(calls[0].init.headers).toMatchObject({ 'x-api-key': 'key-123', 'content-type': 'application/json' });
    expect(calls[0].init.signal).toBeInstanceOf(AbortSignal);
  });

  it('writes parameter_2 as a JSON number with exactly the given digits', async () => {
    // Arrange
    const { fetch, calls } = scriptedFetch(accepted(3));
    const { adapter } = platform(fetch);
    const orders = [...ORDERS, { order_id: 'beta:x', parameter_1: 'q"uote', parameter_2: '-0.000000000000000000001' }];

    // Act
    await adapter.submitBatch(AUCTION, 'b', orders);

    // Assert
    expect(calls[0].init.body).toBe(
      '{"orders":[{"order_id":"alpha:r1","parameter_1":"abc","parameter_2":2.1},' +
        '{"order_id":"alpha:r2","parameter_1":"def","parameter_2":12345678901234567890},' +
        '{"order_id":"beta:x","parameter_1":"q\\"uote","parameter_2":-0.000000000000000000001}]}',
    );
  });

  it('joins a base URL without a trailing slash the same way', async () => {
    // Arrange
    const { fetch, calls } = scriptedFetch({ status: 200, body: '{"results":false}' });
    const { adapter } = platform(fetch, { baseUrl: 'https://platform.example.com/v1' });

    // Act
    await adapter.fetchResults(AUCTION);

    // Assert
    expect(calls[0].url).toBe(`https://platform.example.com/v1/auctions/${AUCTION}/results`);
    expect(calls[0].init.method).toBe('GET');
    expect(calls[0].init.body).toBeUndefined();
  });

  it('refuses empty and oversized batches and non-numeric parameter_2 before sending anything', async () => {
    // Arrange
    const { fetch } = scriptedFetch();
    const { adapter } = platform(fetch);
    const tooMany = Array.from({ length: MAX_BATCH_ORDERS + 1 }, (_, i) => ({ ...ORDERS[0], order_id: `a:${i}` }));

    // Act / Assert
    await expect(adapter.submitBatch(AUCTION, 'b', [])).rejects.toThrow(RangeError);
    await expect(adapter.submitBatch(AUCTION, 'b', tooMany)).rejects.toThrow(/1 to 1000 orders, got 1001/);
    await expect(adapter.submitBatch(AUCTION, 'b', [{ ...ORDERS[0], parameter_2: '01' }])).rejects.toThrow(
      'Order alpha:r1: parameter_2 "01" is not a JSON number',
    );
    expect(fetch).not.toHaveBeenCalled();
  });

  it('treats an acknowledgement of fewer orders than sent as PlatformUnavailable', async () => {
    // Arrange
    const { fetch } = scriptedFetch(accepted(1));
    const { adapter } = platform(fetch);

    // Act / Assert
    await expect(adapter.submitBatch(AUCTION, 'b', ORDERS)).rejects.toThrow(
      new PlatformUnavailable(`Auction platform PUT /auctions/${AUCTION}/batches/b acknowledged 1 of 2 orders`),
    );
  });

  it('GETs a later page with the token URL-encoded and returns the answer as parsed', async () => {
    // Arrange
    const answer = { results: true, orders: [{ order_id: 'alpha:r1', status: 'accepted', extra: [1] }], next_page: null };
    const { fetch, calls } = scriptedFetch({ status: 200, body: JSON.stringify(answer) });
    const { adapter } = platform(fetch);

    // Act
    const result = await adapter.fetchResults(AUCTION, 'a+b/c=d&e');

    // Assert
    expect(calls[0].url).toBe(`https://platform.example.com/v1/auctions/${AUCTION}/results?page=a%2Bb%2Fc%3Dd%26e`);
    expect(result).toEqual(answer);
  });

  it.each([
    ['text', '<html>oops</html>'],
    ['an empty body', ''],
    ['a JSON array', '[1,2]'],
  ])('answers a 200 with %s as a malformed answer, without retrying', async (_label, body) => {
    // Arrange
    const { fetch } = scriptedFetch({ status: 200, body });
    const { adapter } = platform(fetch);

    // Act
    const result = await adapter.fetchResults(AUCTION);

    // Assert
    expect(result).toEqual({ results: 'malformed', body });
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('keeps only the first 200 characters of a malformed body', async () => {
    // Arrange
    const { fetch } = scriptedFetch({ status: 200, body: 'x'.repeat(500) });

    // Act
    const result = await platform(fetch).adapter.fetchResults(AUCTION);

    // Assert
    expect(result).toEqual({ results: 'malformed', body: 'x'.repeat(200) });
  });

  it('retries a 429 after the Retry-After seconds, capped at maxRetryAfterMs', async () => {
    // Arrange
    const { fetch } = scriptedFetch(
      { status: 429, headers: { 'retry-after': '3' } },
      { status: 429, headers: { 'retry-after': '120' } },
      { status: 200, body: '{"results":false}' },
    );
    const { adapter, sleep } = platform(fetch, { maxRetryAfterMs: 10_000 });

    // Act
    const result = await adapter.fetchResults(AUCTION);

    // Assert
    expect(result).toEqual({ results: false });
    expect(fetch).toHaveBeenCalledTimes(3);
    expect(sleep.mock.calls).toEqual([[3_000], [10_000]]);
  });

  it('retries 5xx with exponential backoff and full jitter', async () => {
    // Arrange
    const { fetch } = scriptedFetch({ status: 500 }, { status: 502 }, { status: 503 }, { status: 200, body: '{"results":false}' });
    const random = jest.fn().mockReturnValueOnce(1).mockReturnValueOnce(0.5).mockReturnValueOnce(0);
    const { adapter, sleep } = platform(fetch, { random, baseDelayMs: 100, maxDelayMs: 300 });

    // Act
    await adapter.fetchResults(AUCTION);

    // Assert: ceilings 100, 200, 300 (capped), each scaled by the random draw.
    expect(sleep.mock.calls).toEqual([[100], [100], [0]]);
  });

  it('retries a network error and a timeout', async () => {
    // Arrange
    const { fetch } = scriptedFetch('network', 'hang', accepted());
    const onRetry = jest.fn();
    const { adapter } = platform(fetch, { timeoutMs: 20, onRetry });

    // Act
    await adapter.submitBatch(AUCTION, 'b', ORDERS);

    // Assert
    expect(fetch).toHaveBeenCalledTimes(3);
    expect(onRetry.mock.calls.map(([info]) => info.reason)).toEqual([
      'network error: fetch failed (connect ECONNREFUSED 127.0.0.1:1)',
      'no answer within 20 ms',
    ]);
  });

  it('gives up after maxAttempts with PlatformUnavailable naming the path, status and attempts', async () => {
    // Arrange
    const { fetch } = scriptedFetch({ status: 503, body: 'busy' }, { status: 503, body: 'busy' }, { status: 503, body: 'busy' });
    const { adapter, sleep } = platform(fetch, { maxAttempts: 3 });

    // Act
    const error = await adapter.fetchResults(AUCTION, 'p2').catch((caught: unknown) => caught);

    // Assert
    expect(error).toBeInstanceOf(PlatformUnavailable);
    expect((error as Error).name).toBe('PlatformUnavailable');
    expect((error as Error).message).toBe(
      `Auction platform GET /auctions/${AUCTION}/results?page=p2 failed after 3 attempt(s): HTTP 503: busy`,
    );
    expect((error as Error).message).not.toContain('key-123');
    expect(fetch).toHaveBeenCalledTimes(3);
    expect(sleep).toHaveBeenCalledTimes(2);
  });

  it('gives up on a platform that never answers, with the cause kept', async () => {
    // Arrange
    const { fetch } = scriptedFetch('hang', 'hang');
    const { adapter } = platform(fetch, { maxAttempts: 2, timeoutMs: 10 });

    // Act
    const error = await adapter.fetchResults(AUCTION).catch((caught: unknown) => caught);

    // Assert
    expect(error).toBeInstanceOf(PlatformUnavailable);
    expect((error as Error).message).toMatch(/failed after 2 attempt\(s\): no answer within 10 ms$/);
    expect((error as Error).cause).toHaveProperty('name', 'TimeoutError');
  });

  it('stops retrying early when the calling function is running out of time', async () => {
    // Arrange
    const { fetch } = scriptedFetch({ status: 503 }, { status: 503 });
    const remaining = jest.fn().mockReturnValueOnce(60_000).mockReturnValueOnce(5_000);
    const { adapter, sleep } = platform(fetch, { maxAttempts: 4, timeoutMs: 10_000, remainingTimeMs: remaining });

    // Act
    const error = await adapter.fetchResults(AUCTION).catch((caught: unknown) => caught);

    // Assert
    expect(error).toBeInstanceOf(PlatformUnavailable);
    expect((error as Error).message).toMatch(/failed after 2 attempt\(s\) \(stopped early: the function is running out of time\): HTTP 503$/);
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(sleep).toHaveBeenCalledTimes(1);
  });

  it.each([400, 404, 409, 422])('throws PlatformRequestRejected at once on HTTP %i', async (status) => {
    // Arrange
    const { fetch } = scriptedFetch({ status, body: `{"message":"refused ${status}"}` });
    const { adapter, sleep } = platform(fetch);

    // Act
    const error = await adapter.submitBatch(AUCTION, 'b', ORDERS).catch((caught: unknown) => caught);

    // Assert
    expect(error).toBeInstanceOf(PlatformRequestRejected);
    expect(error).toMatchObject({
      name: 'PlatformRequestRejected',
      statusCode: status,
      message: `Auction platform rejected PUT /auctions/${AUCTION}/batches/b with HTTP ${status}: {"message":"refused ${status}"}`,
    });
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(sleep).not.toHaveBeenCalled();
  });

  it('reports a 401 so the caller can forget the key, and does not retry it', async () => {
    // Arrange
    const { fetch } = scriptedFetch({ status: 401 });
    const onUnauthorized = jest.fn();
    const { adapter } = platform(fetch, { onUnauthorized });

    // Act / Assert
    await expect(adapter.fetchResults(AUCTION)).rejects.toMatchObject({ name: 'PlatformRequestRejected', statusCode: 401 });
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });

  it('refuses a malformed base URL at construction', () => {
    expect(() => new HttpAuctionPlatform({ baseUrl: 'not a url', apiKey: async () => 'k' })).toThrow();
    expect(() => new HttpAuctionPlatform({ baseUrl: 'https://x.example/?a=1', apiKey: async () => 'k' })).toThrow(/query/);
  });
});

describe('HttpAuctionPlatform with the real fetch', () => {
  let server: Server;
  const received: Array<{ method?: string; url?: string; key?: string | string[]; body: string }> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        received.push({ method: req.method, url: req.url, key: req.headers['x-api-key'], body });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ auction_id: AUCTION, batch_id: 'b1', received: 2 }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends the exact bytes over HTTP', async () => {
    // Arrange
    const port = (server.address() as AddressInfo).port;
    const adapter = new HttpAuctionPlatform({ baseUrl: `http://127.0.0.1:${port}`, apiKey: async () => 'real-key' });

    // Act
    await adapter.submitBatch(AUCTION, 'b1', ORDERS);

    // Assert
    expect(received).toEqual([
      {
        method: 'PUT',
        url: `/auctions/${AUCTION}/batches/b1`,
        key: 'real-key',
        body: expect.stringContaining('"parameter_2":12345678901234567890}'),
      },
    ]);
  });
});

describe('platformFromEnv', () => {
  const secrets = mockClient(SecretsManagerClient);
  let arnCounter = 0;
  let secretArn: string;

  beforeAll(() => logger.setLogLevel('SILENT'));

  beforeEach(() => {
    secrets.reset();
    // A fresh secret id per test: the key cache lives for the execution environment (this module).
    secretArn = `arn:aws:secretsmanager:eu-west-1:123456789012:secret:platform-key-${++arnCounter}`;
    process.env.PLATFORM_BASE_URL = 'https://platform.example.com';
    process.env.PLATFORM_API_KEY_SECRET_ARN = secretArn;
  });

  afterAll(() => {
    delete process.env.PLATFORM_BASE_URL;
    delete process.env.PLATFORM_API_KEY_SECRET_ARN;
  });

  it.each([
    ['a plain string', '  plain-key \n'],
    ['JSON with apiKey', '{"apiKey": "plain-key"}'],
  ])('reads the key from %s, once', async (_label, secretString) => {
    // Arrange
    secrets.on(GetSecretValueCommand).resolves({ SecretString: secretString });
    const { fetch, calls } = scriptedFetch({ status: 200, body: '{"results":false}' }, { status: 200, body: '{"results":false}' });
    const adapter = platformFromEnv({ fetch });

    // Act
    await adapter.fetchResults(AUCTION);
    await adapter.fetchResults(AUCTION);

    // Assert
    expect(calls.map((call) => (call.init.headers as Record<string, string>)['x-api-key'])).toEqual(['plain-key', 'plain-key']);
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(secrets).toReceiveCommandWith(GetSecretValueCommand, { SecretId: secretArn });
  });

  it('reads the key again after the platform answered 403', async () => {
    // Arrange
    secrets.on(GetSecretValueCommand).resolvesOnce({ SecretString: 'old' }).resolves({ SecretString: 'new' });
    const { fetch, calls } = scriptedFetch({ status: 403 }, { status: 200, body: '{"results":false}' });
    const adapter = platformFromEnv({ fetch });

    // Act
    await expect(adapter.fetchResults(AUCTION)).rejects.toThrow(PlatformRequestRejected);
    await adapter.fetchResults(AUCTION);

    // Assert
    expect(calls.map((call) => (call.init.headers as Record<string, string>)['x-api-key'])).toEqual(['old', 'new']);
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it.each(['PLATFORM_BASE_URL', 'PLATFORM_API_KEY_SECRET_ARN'])('fails with the name of a missing %s', (name) => {
    delete process.env[name];
    expect(() => platformFromEnv()).toThrow(`Missing required environment variable ${name}`);
  });

  it.each([
    ['', 'The platform API key secret is empty'],
    ['{"apiKey": ""}', 'without a non-empty string "apiKey"'],
    ['{"key": "x"}', 'without a non-empty string "apiKey"'],
    ['{not json', 'cannot be parsed'],
  ])('refuses the secret %j without echoing it', (secretString, message) => {
    expect(() => parseApiKey(secretString)).toThrow(message);
  });
});
