import { PublishCommand } from '@aws-sdk/client-sns';
import type { FailedOrdersAlert } from '../auctions/run';
import { snsClient } from '../shared/clients/sns';

/** SNS refuses a message over 256 KiB, and parameter_1 alone may be far larger than that. */
const MAX_MESSAGE_BYTES = 256 * 1024;

/** Publishes the run's one alert to the alerts topic, where slack-notifier renders it. */
export async function publishAlert(topicArn: string, alert: FailedOrdersAlert): Promise<string | undefined> {
  const { summary } = alert;
  const out = await snsClient().send(new PublishCommand({
    TopicArn: topicArn,
    // SNS subjects are ASCII, at most 100 characters.
    Subject: `Auction ${summary.auction_id}: ${summary.rejected} rejected, ${summary.failed} failed`.slice(0, 100),
    Message: fittingMessage(alert),
  }));
  return out.MessageId;
}

/** The alert as JSON, with the orders that would not fit one SNS message left to `more` and the full list. */
function fittingMessage(alert: FailedOrdersAlert): string {
  const render = (shown: number) =>
    JSON.stringify({ ...alert, orders: alert.orders.slice(0, shown), more: alert.more + alert.orders.length - shown });
  // Each order costs its JSON and a comma; start from the longest prefix that can fit, then check.
  let budget = MAX_MESSAGE_BYTES - Buffer.byteLength(render(0));
  let shown = 0;
  while (shown < alert.orders.length && (budget -= Buffer.byteLength(JSON.stringify(alert.orders[shown])) + 1) >= 0) shown++;
  for (; ; shown--) {
    const message = render(shown);
    if (shown === 0 || Buffer.byteLength(message) <= MAX_MESSAGE_BYTES) return message;
  }
}
