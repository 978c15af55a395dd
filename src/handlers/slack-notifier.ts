import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SNSEvent } from 'aws-lambda';
import { numberEnv, requireEnv } from '../shared/env';
import { observe } from '../shared/observe';
import { logger, metrics } from '../shared/powertools';
import { cachedSecret } from '../adapters/secrets';
import { postToSlack } from '../adapters/slack-webhook';
import { SlackDeliveryError, SlackWebhookUnset } from '../alerts/errors';
import { renderAlert } from '../alerts/render';
import { deliverWithRetry, sleep as realSleep } from '../alerts/retry';
import { parseWebhookUrl } from '../alerts/webhook-url';

export interface SlackNotifierDeps {
  /** Injected so tests do not wait for backoff. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

const REQUEST_TIMEOUT_MS = 5_000;
const BASE_DELAY_MS = 250;
const MAX_DELAY_MS = 4_000;
const MAX_RETRY_AFTER_MS = 10_000;
// Answers that mean the webhook itself is gone or revoked: re-read the secret next time in case it was rotated.
const STALE_WEBHOOK_STATUSES = new Set([403, 404, 410]);

/** The command that fills the secret, named in every "not set" log line. */
export function putWebhookCommand(secretArn: string): string {
  return `aws secretsmanager put-secret-value --secret-id ${secretArn} --secret-string '{"webhookUrl":"https://hooks.slack.com/services/..."}'`;
}

/**
 * SNS alerts topic -> Slack. Every failure is thrown after the bounded retries, so Lambda's async retries
 * and then the function's dead-letter queue keep the alert; nothing is swallowed. One exception: while the
 * webhook secret still says UNSET (a first deploy nobody has finished), the alert is not a delivery
 * failure: it is logged whole, with the command that fills the secret, and counted (AlertsUnsent), instead
 * of paging the undelivered-alerts alarm for a known gap. The marker is never cached, so the first alert
 * after the secret is filled goes to Slack.
 */
export function createHandler(deps: SlackNotifierDeps = {}) {
  // One cache per handler instance; the exported handler is created once per execution environment.
  const webhookUrl = cachedSecret(parseWebhookUrl);

  return (event: SNSEvent, context: Context): Promise<void> => {
    const failures: Error[] = [];
    return observe('slack-notifier', context, async () => {
      const secretArn = requireEnv('SLACK_WEBHOOK_SECRET_ARN');
      const maxAttempts = numberEnv('SLACK_MAX_ATTEMPTS', 4, 1, 10);
      // SNS delivers one record per invocation today; handle all anyway and fail if any failed.
      for (const record of event.Records ?? []) {
        const sns = record.Sns;
        logger.setCorrelationId(sns.MessageId);
        const { kind, message } = renderAlert({
          message: sns.Message ?? '',
          subject: sns.Subject ?? undefined,
          topicArn: sns.TopicArn,
          messageId: sns.MessageId,
        });
        try {
          const url = await webhookUrl.get(secretArn);
          const { attempts } = await deliverWithRetry(() => postToSlack(url, message, { timeoutMs: REQUEST_TIMEOUT_MS }), {
            maxAttempts,
            baseDelayMs: BASE_DELAY_MS,
            maxDelayMs: MAX_DELAY_MS,
            maxRetryAfterMs: MAX_RETRY_AFTER_MS,
            sleep: deps.sleep ?? realSleep,
            random: deps.random ?? Math.random,
            remainingTimeMs: () => context.getRemainingTimeInMillis(),
            attemptBudgetMs: REQUEST_TIMEOUT_MS + 1_000,
            onRetry: ({ attempt, delayMs, error }) =>
              logger.warn('Slack post failed, retrying', { attempt, delayMs, statusCode: error.statusCode, error: error.message }),
          });
          metrics.addMetric('AlertsSent', MetricUnit.Count, 1);
          logger.info('Alert sent to Slack', { kind, attempts, subject: sns.Subject });
        } catch (error) {
          if (error instanceof SlackWebhookUnset) {
            metrics.addMetric('AlertsUnsent', MetricUnit.Count, 1);
            logger.warn(`Alert not sent: the Slack webhook secret ${secretArn} is not set. Put the webhook URL in with: ${putWebhookCommand(secretArn)}`, {
              kind,
              subject: sns.Subject,
              text: message.text,
              snsMessage: sns.Message,
            });
            continue;
          }
          if (error instanceof SlackDeliveryError && error.statusCode !== undefined && STALE_WEBHOOK_STATUSES.has(error.statusCode)) {
            webhookUrl.invalidate();
          }
          metrics.addMetric('AlertsFailed', MetricUnit.Count, 1);
          logger.error('Alert not delivered to Slack', { kind, error });
          failures.push(error as Error);
        }
      }
      if (failures.length > 0) {
        throw failures.length === 1
          ? failures[0]
          : new AggregateError(failures, `${failures.length} alerts not delivered to Slack: ${failures.map((e) => e.message).join('; ')}`);
      }
    }, (error) => {
      // Per-record failures were logged above; this catches configuration errors.
      if (failures.length === 0) logger.error('slack-notifier failed', { error });
    });
  };
}

export const handler = createHandler();
