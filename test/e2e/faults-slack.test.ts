// Scenarios: the dead-letter queue answers the SQS API (@aws-sdk/client-sqs: GetQueueUrl, SendMessage, ReceiveMessage with visibility timeout, DeleteMessage, unknown queue); Slack webhook down (connection reset) and answering 429 always -> the notifier posts 4 times per invocation, Lambda invokes it 3 times, and the run's alert lands in the dead-letter queue (read with @aws-sdk/client-sqs, with Lambda's DLQ attributes); Slack recovering after a few 429s -> the alert is delivered once and the DLQ stays empty.
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  PurgeQueueCommand,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { slackMessages, waitFor } from './harness';
import { makeOrders, postOrders, runAuction, startSystem, type System, uniqueId } from './lifecycle';

// slack-notifier's SLACK_MAX_ATTEMPTS, and Lambda's first invocation plus MaximumRetryAttempts 2.
const POSTS_PER_INVOCATION = 4;
const INVOCATIONS = 3;

let runtime: System;
let queueUrl: string;

async function queueDepth(): Promise<number> {
  const { Attributes } = await runtime.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
  return Number(Attributes?.ApproximateNumberOfMessages);
}

/** A run of 2 orders, 1 of them rejected (share 0.5): it publishes exactly one failed-orders alert naming the run. */
async function runWithOneAlert(label: string): Promise<string> {
  expect((await postOrders(runtime, 'default', makeOrders(uniqueId(label), 2))).status).toBe(201);
  const run = await runAuction(runtime, { close: 'now' }, label);
  expect(run.summary).toMatchObject({ total: 2, rejected: 1 });
  return run.name;
}

beforeAll(async () => {
  runtime = await startSystem({ inProcess: true, faultInjection: true });
  const urls = Object.entries(runtime.endpoints.queueUrls).filter(([name]) => /dlq|dead/i.test(name));
  expect(urls).toHaveLength(1);
  queueUrl = urls[0][1];
});

afterEach(async () => {
  await runtime.faults!.clear();
  await runtime.sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
});

afterAll(async () => {
  await runtime?.stop();
});

describe.each([
  ['down (connection reset)', 'down' as const],
  ['answering 429', 429],
])('Slack webhook %s for good', (_label, status) => {
  it('retries in the notifier and in Lambda, then keeps the alert in the dead-letter queue', async () => {
    runtime.faults!.slack({ status, times: 'always' });

    const name = await runWithOneAlert(`slack-${status}`);
    await waitFor('the alert in the dead-letter queue', async () => ((await queueDepth()) === 1 ? true : undefined), 60_000);

    const posts = runtime.faults!.slackPosts();
    expect(posts).toHaveLength(POSTS_PER_INVOCATION * INVOCATIONS);
    expect(posts.every((p) => p.status === status)).toBe(true);
    expect((await slackMessages(runtime)).filter((m) => JSON.stringify(m.body).includes(name))).toHaveLength(0);

    const { Messages = [] } = await runtime.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], WaitTimeSeconds: 1 }),
    );
    expect(Messages).toHaveLength(1);
    // Lambda's dead letter: the SNS event as the body, the failure in message attributes.
    const event = JSON.parse(String(Messages[0].Body));
    expect(event.Records[0].Sns.Message).toContain(name);
    expect(JSON.parse(event.Records[0].Sns.Message)).toMatchObject({ kind: 'failed-orders', summary: { execution_name: name, total: 2, rejected: 1 } });
    expect(Messages[0].MessageAttributes).toMatchObject({
      RequestID: { DataType: 'String', StringValue: expect.stringMatching(/^[0-9a-f-]{36}$/) },
      ErrorCode: { DataType: 'Number', StringValue: '200' },
      ErrorMessage: { DataType: 'String', StringValue: expect.stringContaining('Slack delivery failed') },
    });
  });
});

it('delivers the alert once Slack stops answering 429, crossing a Lambda retry, and leaves the dead-letter queue empty', async () => {
  const failures = POSTS_PER_INVOCATION + 1; // the whole first invocation and the first post of the retry
  runtime.faults!.slack({ status: 429, times: failures });

  const name = await runWithOneAlert('slack-recovers');
  const delivered = await waitFor('the alert in Slack', async () => {
    const messages = (await slackMessages(runtime)).filter((m) => JSON.stringify(m.body).includes(name));
    return messages.length > 0 ? messages : undefined;
  }, 60_000);

  expect(delivered).toHaveLength(1);
  const posts = runtime.faults!.slackPosts();
  expect(posts.map((p) => p.status)).toEqual([...Array(failures).fill(429), 200]);
  expect(await queueDepth()).toBe(0);
});

it('serves the dead-letter queue over the SQS API, so an operator can read and delete what landed there', async () => {
  const name = queueUrl.split('/').pop();
  const { QueueUrl } = await runtime.sqs.send(new GetQueueUrlCommand({ QueueName: name }));
  expect(QueueUrl).toBe(queueUrl);

  // The SDK checks the MD5 of body and attributes that SendMessage and ReceiveMessage answer.
  await runtime.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: '{"probe":true}', MessageAttributes: { Kind: { DataType: 'String', StringValue: 'probe' } } }));
  const first = await runtime.sqs.send(new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 30, MessageAttributeNames: ['All'] }));
  const again = await runtime.sqs.send(new ReceiveMessageCommand({ QueueUrl }));
  const attributes = await runtime.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));

  expect(first.Messages?.map((m) => [m.Body, m.MessageAttributes?.Kind?.StringValue])).toEqual([['{"probe":true}', 'probe']]);
  expect(again.Messages ?? []).toEqual([]); // in flight until its visibility timeout ends
  expect(attributes.Attributes).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '1' });
  await runtime.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: first.Messages![0].ReceiptHandle }));
  const after = await runtime.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
  expect(after.Attributes).toEqual({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
  await expect(runtime.sqs.send(new GetQueueUrlCommand({ QueueName: 'no-such-queue' }))).rejects.toBeInstanceOf(QueueDoesNotExist);
});
