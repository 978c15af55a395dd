import { PublishCommand } from '@aws-sdk/client-sns';
import type { FailedOrdersAlert } from '../auctions/run';
import { snsClient } from '../shared/clients/sns';

/** Publishes the run's one alert to the alerts topic, where slack-notifier renders it. */
export async function publishAlert(topicArn: string, alert: FailedOrdersAlert): Promise<string | undefined> {
  const { summary } = alert;
  const out = await snsClient().send(new PublishCommand({
    TopicArn: topicArn,
    // SNS subjects are ASCII, at most 100 characters.
    Subject: `Auction ${summary.auction_id}: ${summary.rejected} rejected, ${summary.failed} failed`.slice(0, 100),
    Message: JSON.stringify(alert),
  }));
  return out.MessageId;
}
