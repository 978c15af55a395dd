import { LosslessNumber, stringify as stringifyLossless } from 'lossless-json';
import type { AuctionId } from '../auctions/auction-id';
import { backoffDelay, parseRetryAfter, sleep as realSleep } from '../alerts/retry';
import {
  type AuctionPlatform,
  MAX_BATCH_ORDERS,
  PlatformRequestRejected,
  PlatformUnavailable,
  type PlatformOrder,
  type ResultsAnswer,
} from '../platform/platform';
import { numberEnv, requireEnv } from '../shared/env';
import { logger } from '../shared/powertools';
import { cachedSecret } from './secrets';

export interface HttpAuctionPlatformOptions {
  /** e.g. `https://abc.execute-api.eu-west-1.amazonaws.com/dev/`; with or without the trailing slash. */
  readonly baseUrl: string;
  /** Read per request, so a cached secret that was invalidated is read again. */
  readonly apiKey: () => Promise<string>;
  /** @default 10_000 */
  readonly timeoutMs?: number;
  /** @default 4 */
  readonly maxAttempts?: number;
  /** @default 200 */
  readonly baseDelayMs?: number;
  /** @default 5_000 */
  readonly maxDelayMs?: number;
  /** Longest Retry-After we wait for; a longer one is shortened so the caller does not time out. @default 10_000 */
  readonly maxRetryAfterMs?: number;
  /** Time left before the calling function times out: retrying stops early rather than be killed mid-wait. */
  readonly remainingTimeMs?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly fetch?: typeof globalThis.fetch;
  /** Called on 401/403 before the rejection is thrown, e.g. to forget a rotated key. */
  readonly onUnauthorized?: () => void;
  readonly onRetry?: (info: { path: string; attempt: number; delayMs: number; reason: string }) => void;
}

const EXCERPT_CHARS = 200;
// Left for the caller after our last attempt, to record the failure before the function times out.
const TIME_MARGIN_MS = 1_000;

/** What one attempt ended with, when it ended in something worth retrying. */
interface TransientFailure {
  readonly reason: string;
  readonly retryAfterMs?: number;
  readonly cause?: unknown;
}

/**
 * The auction platform over HTTP (SPEC 2.9). Transient failures (429, 5xx, network errors, timeouts) are
 * retried here with exponential backoff and full jitter, so the state machine only sees the two named errors.
 * Error messages name the path, never the key.
 */
export class HttpAuctionPlatform implements AuctionPlatform {
  private readonly base: string;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly fetch: typeof globalThis.fetch;

  constructor(private readonly options: HttpAuctionPlatformOptions) {
    const url = new URL(options.baseUrl); // throws on a malformed base URL, at construction
    if (url.search !== '' || url.hash !== '') throw new Error('The platform base URL must not have a query or fragment');
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? 4));
    this.baseDelayMs = options.baseDelayMs ?? 200;
    this.maxDelayMs = options.maxDelayMs ?? 5_000;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 10_000;
    // Looked up at call time by default, so tests that replace globalThis.fetch are honoured.
    this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  async submitBatch(auctionId: AuctionId, batchId: string, orders: readonly PlatformOrder[]): Promise<void> {
    if (orders.length === 0 || orders.length > MAX_BATCH_ORDERS) {
      throw new RangeError(`A batch holds 1 to ${MAX_BATCH_ORDERS} orders, got ${orders.length}`);
    }
    const path = `/auctions/${encodeURIComponent(auctionId)}/batches/${encodeURIComponent(batchId)}`;
    const answer = parseJson(await this.request('PUT', path, batchBody(orders)));
    // An acknowledgement of fewer orders than sent means some were lost; resubmitting the batch id replaces it.
    const received = isObject(answer) ? answer.received : undefined;
    if (typeof received === 'number' && received !== orders.length) {
      throw new PlatformUnavailable(`Auction platform PUT ${path} acknowledged ${received} of ${orders.length} orders`);
    }
  }

  async fetchResults(auctionId: AuctionId, page?: string): Promise<ResultsAnswer> {
    const query = page === undefined ? '' : `?page=${encodeURIComponent(page)}`;
    const text = await this.request('GET', `/auctions/${encodeURIComponent(auctionId)}/results${query}`);
    const answer = parseJson(text);
    // Not retried: a platform that answers 200 with garbage will do so again. The state machine's check
    // turns this shape into InvalidAuctionResults, keeping the evidence.
    if (!isObject(answer)) return { results: 'malformed', body: text.slice(0, EXCERPT_CHARS) };
    return answer as ResultsAnswer;
  }

  /** One request with retries; resolves with the body of a 2xx answer. */
  private async request(method: 'GET' | 'PUT', path: string, body?: string): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      const failure = await this.attempt(method, path, body);
      if (typeof failure === 'string') return failure;
      const delayMs =
        failure.retryAfterMs !== undefined
          ? Math.min(failure.retryAfterMs, this.maxRetryAfterMs)
          : backoffDelay(attempt, { baseDelayMs: this.baseDelayMs, maxDelayMs: this.maxDelayMs, random: this.options.random ?? Math.random });
      const remaining = this.options.remainingTimeMs?.();
      const outOfTime = remaining !== undefined && remaining < delayMs + this.timeoutMs + TIME_MARGIN_MS;
      if (attempt >= this.maxAttempts || outOfTime) {
        const when = outOfTime && attempt < this.maxAttempts ? ' (stopped early: the function is running out of time)' : '';
        throw new PlatformUnavailable(
          `Auction platform ${method} ${path} failed after ${attempt} attempt(s)${when}: ${failure.reason}`,
          { cause: failure.cause },
        );
      }
      this.options.onRetry?.({ path, attempt, delayMs, reason: failure.reason });
      await (this.options.sleep ?? realSleep)(delayMs);
    }
  }

  /** The 2xx body, a transient failure to retry, or a thrown PlatformRequestRejected. */
  private async attempt(method: string, path: string, body?: string): Promise<string | TransientFailure> {
    const apiKey = await this.options.apiKey();
    let response: Response;
    let text: string;
    try {
      response = await this.fetch(`${this.base}${path}`, {
        method,
        headers: { 'x-api-key': apiKey, 'content-type': 'application/json', accept: 'application/json' },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      // Inside the try: the timeout also covers a body that stops arriving half-way.
      text = await response.text();
    } catch (error) {
      return { reason: describeNetworkError(error, this.timeoutMs), cause: error };
    }
    const status = response.status;
    if (status >= 200 && status < 300) return text;
    const excerpt = excerptOf(text);
    if (status === 429 || status >= 500) {
      return { reason: `HTTP ${status}${excerpt}`, retryAfterMs: parseRetryAfter(response.headers.get('retry-after')) };
    }
    if (status === 401 || status === 403) this.options.onUnauthorized?.();
    throw new PlatformRequestRejected(`Auction platform rejected ${method} ${path} with HTTP ${status}${excerpt}`, status);
  }
}

/** `{"orders": [...]}` with parameter_2 written as a JSON number with exactly the digits it was given. */
function batchBody(orders: readonly PlatformOrder[]): string {
  const wire = orders.map((order) => {
    let parameter2: LosslessNumber;
    try {
      parameter2 = new LosslessNumber(order.parameter_2);
    } catch {
      throw new TypeError(`Order ${order.order_id}: parameter_2 "${order.parameter_2}" is not a JSON number`);
    }
    return { order_id: order.order_id, parameter_1: order.parameter_1, parameter_2: parameter2 };
  });
  return stringifyLossless({ orders: wire }) as string;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function excerptOf(text: string): string {
  const trimmed = text.trim();
  return trimmed === '' ? '' : `: ${trimmed.slice(0, EXCERPT_CHARS)}`;
}

function describeNetworkError(error: unknown, timeoutMs: number): string {
  // Duck-typed: fetch's errors (a DOMException for the timeout) may come from another realm than ours.
  const { name, message, cause } = (error ?? {}) as { name?: unknown; message?: unknown; cause?: { message?: unknown } };
  if (name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  // undici says "fetch failed" and puts the reason (ECONNREFUSED, ...) in the cause.
  const detail = typeof cause?.message === 'string' ? ` (${cause.message})` : '';
  return `network error: ${typeof message === 'string' ? message : String(error)}${detail}`;
}

/** The key secret is either the key itself or `{"apiKey": "..."}`; never echoed in errors. */
export function parseApiKey(secretString: string): string {
  const text = secretString.trim();
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error('The platform API key secret looks like JSON but cannot be parsed');
    }
    const key = isObject(parsed) ? parsed.apiKey : undefined;
    if (typeof key !== 'string' || key.trim() === '') {
      throw new Error('The platform API key secret is JSON without a non-empty string "apiKey"');
    }
    return key.trim();
  }
  if (text === '') throw new Error('The platform API key secret is empty');
  return text;
}

// One cache per execution environment, shared by every platform the factory builds.
const apiKeySecret = cachedSecret(parseApiKey);

export type PlatformFromEnvOverrides = Partial<Omit<HttpAuctionPlatformOptions, 'baseUrl' | 'apiKey'>>;

/**
 * The platform a function was configured for: PLATFORM_BASE_URL and the key in the Secrets Manager secret
 * PLATFORM_API_KEY_SECRET_ARN (read once, re-read after a 401/403 in case it was rotated). The optional
 * PLATFORM_TIMEOUT_MS and PLATFORM_MAX_ATTEMPTS tune the retry budget to the function's timeout.
 */
export function platformFromEnv(overrides: PlatformFromEnvOverrides = {}): HttpAuctionPlatform {
  const baseUrl = requireEnv('PLATFORM_BASE_URL');
  const secretArn = requireEnv('PLATFORM_API_KEY_SECRET_ARN');
  return new HttpAuctionPlatform({
    baseUrl,
    apiKey: () => apiKeySecret.get(secretArn),
    timeoutMs: numberEnv('PLATFORM_TIMEOUT_MS', 10_000, 100, 120_000),
    maxAttempts: numberEnv('PLATFORM_MAX_ATTEMPTS', 4, 1, 10),
    onUnauthorized: () => apiKeySecret.invalidate(),
    onRetry: (info) => logger.warn('Auction platform request failed, retrying', info),
    ...overrides,
  });
}
