// Scenarios: retry loop (success after retryable errors, Retry-After honoured and capped, non-retryable stops, attempts exhausted, out of time, unknown errors retried), backoff with jitter bounds, Retry-After parsing, webhook secret parsing.
import { SlackDeliveryError } from '../../src/alerts/errors';
import { backoffDelay, deliverWithRetry, parseRetryAfter, type RetryPolicy } from '../../src/alerts/retry';
import { parseWebhookUrl } from '../../src/alerts/webhook-url';

const policy = (overrides: Partial<RetryPolicy> = {}) => {
  const sleeps: number[] = [];
  const value: RetryPolicy = {
    maxAttempts: 4,
    baseDelayMs: 100,
    maxDelayMs: 1000,
    maxRetryAfterMs: 5000,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 1,
    ...overrides,
  };
  return { policy: value, sleeps };
};

const http = (statusCode: number, retryAfterMs?: number) =>
  new SlackDeliveryError(`HTTP ${statusCode}`, { statusCode, retryable: statusCode === 429 || statusCode >= 500, retryAfterMs });

/** A send function that fails with the given errors in order, then succeeds. */
const failingThen = (...errors: unknown[]) => jest.fn(async () => {
  const next = errors.shift();
  if (next !== undefined) throw next;
});

describe('deliverWithRetry', () => {
  it('retries retryable errors with exponential backoff and returns the attempt count', async () => {
    // Arrange
    const { policy: p, sleeps } = policy();
    const send = failingThen(http(500), http(502));

    // Act
    const result = await deliverWithRetry(send, p);

    // Assert
    expect(result).toEqual({ attempts: 3 });
    expect(sleeps).toEqual([100, 200]);
  });

  it('waits for Retry-After instead of backoff, capped at maxRetryAfterMs', async () => {
    const { policy: p, sleeps } = policy();
    await deliverWithRetry(failingThen(http(429, 1500), http(429, 60_000)), p);
    expect(sleeps).toEqual([1500, 5000]);
  });

  it('does not retry a non-retryable error and keeps its status code', async () => {
    // Arrange
    const { policy: p, sleeps } = policy();
    const send = failingThen(http(400));

    // Act
    const outcome = deliverWithRetry(send, p);

    // Assert
    await expect(outcome).rejects.toMatchObject({ name: 'SlackDeliveryFailed', statusCode: 400, message: expect.stringContaining('not retryable') });
    expect(send).toHaveBeenCalledTimes(1);
    expect(sleeps).toEqual([]);
  });

  it('throws after maxAttempts when every attempt fails', async () => {
    const { policy: p, sleeps } = policy({ maxAttempts: 3 });
    const send = failingThen(http(503), http(503), http(503), http(503));
    await expect(deliverWithRetry(send, p)).rejects.toMatchObject({ name: 'SlackDeliveryFailed', message: expect.stringContaining('after 3 attempt(s), attempts exhausted') });
    expect(send).toHaveBeenCalledTimes(3);
    expect(sleeps).toHaveLength(2);
  });

  it('stops early when the next wait would outlast the remaining function time', async () => {
    const { policy: p, sleeps } = policy({ remainingTimeMs: () => 3000, attemptBudgetMs: 6000 });
    const send = failingThen(http(500));
    await expect(deliverWithRetry(send, p)).rejects.toThrow('out of time');
    expect(sleeps).toEqual([]);
  });

  it('retries unknown errors (losing an alert is worse than a duplicate)', async () => {
    const { policy: p } = policy();
    const result = await deliverWithRetry(failingThen(new Error('socket hang up'), 'weird'), p);
    expect(result.attempts).toBe(3);
  });
});

describe('backoffDelay', () => {
  it('draws from [0, min(max, base * 2^(attempt-1))]', () => {
    const p = { baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(1, { ...p, random: () => 0.999 })).toBe(100);
    expect(backoffDelay(3, { ...p, random: () => 0.5 })).toBe(200);
    expect(backoffDelay(10, { ...p, random: () => 0.999 })).toBe(999);
    expect(backoffDelay(2, { ...p, random: () => 0 })).toBe(0);
  });
});

describe('parseRetryAfter', () => {
  it.each([
    ['3', 3000],
    [' 1.5 ', 1500],
    ['Fri, 01 Mar 2024 12:00:10 GMT', 10_000],
    ['Fri, 01 Mar 2024 11:00:00 GMT', 0],
    ['soon', undefined],
    ['', undefined],
    [null, undefined],
  ])('parses %p as %p ms', (header, expected) => {
    expect(parseRetryAfter(header, Date.parse('2024-03-01T12:00:00Z'))).toBe(expected);
  });
});

describe('parseWebhookUrl', () => {
  it.each([
    ['https://hooks.slack.com/services/T/B/X', 'https://hooks.slack.com/services/T/B/X'],
    ['  https://hooks.slack.com/services/T/B/X\n', 'https://hooks.slack.com/services/T/B/X'],
    ['{"webhookUrl":"https://hooks.slack.com/services/T/B/Y"}', 'https://hooks.slack.com/services/T/B/Y'],
    ['http://127.0.0.1:4567/hook', 'http://127.0.0.1:4567/hook'],
  ])('accepts %p', (secret, expected) => {
    expect(parseWebhookUrl(secret)).toBe(expected);
  });

  it.each([
    'http://hooks.slack.com/services/T/B/X',
    '{"url":"https://hooks.slack.com/x"}',
    '{"webhookUrl":',
    'not a url',
    '',
  ])('rejects %p with InvalidWebhookSecret without echoing the secret', (secret) => {
    let caught: unknown;
    try {
      parseWebhookUrl(secret);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ name: 'InvalidWebhookSecret' });
    if (secret !== '') expect((caught as Error).message).not.toContain(secret);
  });
});
