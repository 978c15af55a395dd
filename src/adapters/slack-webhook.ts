import { IncomingWebhook, IncomingWebhookHTTPError, IncomingWebhookRequestError, type FetchFunction } from '@slack/webhook';
import { SlackDeliveryError } from '../alerts/errors';
import { parseRetryAfter } from '../alerts/retry';
import type { SlackMessage } from '../alerts/blocks';

export interface SlackPostOptions {
  /** Per-request timeout so a hanging Slack cannot use up the function's time. */
  readonly timeoutMs: number;
}

/**
 * Posts one message with @slack/webhook and classifies failures for the retry loop.
 * @slack/webhook v8 posts with fetch (not axios) and, without retryConfig, does not retry. A non-2xx answer
 * becomes IncomingWebhookHTTPError with statusCode/statusMessage/body but no headers, so Retry-After is
 * read from the response through an injected fetch. Network errors and timeouts become
 * IncomingWebhookRequestError. Error messages never include the URL: it is a secret.
 */
export async function postToSlack(url: string, slackMessage: SlackMessage, options: SlackPostOptions): Promise<void> {
  let retryAfter: string | null = null;
  const fetchRecordingRetryAfter: FetchFunction = async (input, init) => {
    const response = await globalThis.fetch(input, init as RequestInit);
    retryAfter = response.headers.get('retry-after');
    return response;
  };
  const webhook = new IncomingWebhook(url, { timeout: options.timeoutMs, fetch: fetchRecordingRetryAfter });
  try {
    await webhook.send({ text: slackMessage.text, blocks: slackMessage.blocks });
  } catch (error) {
    if (error instanceof IncomingWebhookHTTPError) {
      const status = error.statusCode;
      const body = typeof error.body === 'string' ? error.body.slice(0, 200) : '';
      throw new SlackDeliveryError(`Slack webhook answered HTTP ${status}${body === '' ? '' : ` (${body})`}`, {
        statusCode: status,
        retryable: status === 429 || status >= 500,
        retryAfterMs: status === 429 || status === 503 ? parseRetryAfter(retryAfter) : undefined,
        cause: error,
      });
    }
    const original = error instanceof IncomingWebhookRequestError ? error.original : error;
    const detail = original instanceof Error && original.cause instanceof Error ? `: ${original.cause.message}` : '';
    const reason = `${original instanceof Error ? original.message : String(original)}${detail}`;
    // Belt and braces: undici puts the URL into some messages.
    const redacted = reason.split(url).join('<webhook-url>');
    throw new SlackDeliveryError(`Slack webhook request failed: ${redacted}`, { retryable: true, cause: error });
  }
}
