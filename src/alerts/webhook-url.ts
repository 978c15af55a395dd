import { InvalidWebhookSecret, SlackWebhookUnset } from './errors';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** What the webhook secret holds until an operator puts the URL in: a stated "not set", not a bad URL. */
export const WEBHOOK_UNSET = 'UNSET';

/** The secret's value as the stack creates it. */
export const UNSET_WEBHOOK_SECRET = JSON.stringify({ webhookUrl: WEBHOOK_UNSET });

/**
 * Accepts the secret as a bare URL or as {"webhookUrl": "..."} (the shape a console-created key/value secret has).
 * Only https is allowed, except on loopback where a local webhook sink has no certificate. The UNSET marker
 * the stack creates the secret with is SlackWebhookUnset, so the notifier can tell "not yet" from "wrong".
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
  if (candidate.trim() === WEBHOOK_UNSET) throw new SlackWebhookUnset();
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
