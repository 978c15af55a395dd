import { InvalidWebhookSecret } from './errors';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Accepts the secret as a bare URL or as {"webhookUrl": "..."} (the shape a console-created key/value secret has).
 * Only https is allowed, except on loopback where a local webhook sink has no certificate.
 */
export function parseWebhookUrl(secretString: string): string {
  const trimmed = secretString.trim();
  let candidate: unknown = trimmed;
  if (trimmed.startsWith('{')) {
    try {
      candidate = (JSON.parse(trimmed) as { webhookUrl?: unknown }).webhookUrl;
    } catch {
      throw new InvalidWebhookSecret('Slack webhook secret looks like JSON but does not parse');
    }
  }
  if (typeof candidate !== 'string' || candidate.trim() === '') {
    throw new InvalidWebhookSecret('Slack webhook secret has no webhookUrl');
  }
  let url: URL;
  try {
    url = new URL(candidate.trim());
  } catch {
    throw new InvalidWebhookSecret('Slack webhook secret is not a valid URL');
  }
  const secure = url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
  if (!secure) {
    throw new InvalidWebhookSecret(`Slack webhook URL must use https (got ${url.protocol})`);
  }
  return url.toString();
}
