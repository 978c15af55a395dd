// Scenarios: each of the 5 alert kinds posted as Block Kit to a real local webhook, secret read once and cached, plain-URL and JSON secrets, failed secret read not cached, 404 re-reads the secret, 429 with Retry-After then success, 5xx then success, always 5xx throws after SLACK_MAX_ATTEMPTS, 400 not retried, network error retried then thrown, several records with one failing, missing env; the UNSET secret the stack creates (JSON and plain) -> nothing posted, nothing thrown (no Lambda retry, no DLQ), one warning naming the secret and the put-secret-value command with the whole alert, AlertsUnsent counted; the marker is not cached, so the first alert after the secret is filled is posted; a malformed secret still fails.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import type { Context, SNSEvent } from 'aws-lambda';
import { UNSET_WEBHOOK_SECRET } from '../../src/alerts/webhook-url';
import { createHandler, putWebhookCommand } from '../../src/handlers/slack-notifier';
import { logger, metrics } from '../../src/shared/powertools';

const secrets = mockClient(SecretsManagerClient);
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack-webhook-AbCdEf';
const context = { functionName: 'slack-notifier', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

interface Reply {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

/** A real HTTP webhook on 127.0.0.1 so the real @slack/webhook client and fetch are exercised. */
class FakeSlack {
  readonly received: Array<{ path: string; body: { text: string; blocks: Array<Record<string, unknown>> } }> = [];
  private readonly replies: Reply[] = [];
  private server?: Server;

  async start(): Promise<void> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let data = '';
      req.on('data', (chunk) => (data += chunk));
      req.on('end', () => {
        this.received.push({ path: req.url ?? '', body: JSON.parse(data) });
        const reply = this.replies.shift() ?? { status: 200, body: 'ok' };
        res.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers });
        res.end(reply.body ?? '');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
  }

  url(path = '/services/T000/B000/secret'): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}${path}`;
  }

  reply(...replies: Reply[]): void {
    this.replies.push(...replies);
  }

  reset(): void {
    this.received.length = 0;
    this.replies.length = 0;
  }

  /** Header, section and context texts of the n-th posted message. */
  textOf(n = 0): string {
    return JSON.stringify(this.received[n].body.blocks);
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

const snsEvent = (...messages: Array<{ message: string; subject?: string; id?: string }>): SNSEvent => ({
  Records: messages.map(({ message, subject, id }, i) => ({
    EventSource: 'aws:sns',
    EventVersion: '1.0',
    EventSubscriptionArn: 'arn:aws:sns:eu-west-1:123456789012:alerts:sub',
    Sns: {
      Type: 'Notification',
      MessageId: id ?? `msg-${i}`,
      TopicArn: 'arn:aws:sns:eu-west-1:123456789012:alerts',
      Subject: subject ?? (null as unknown as string),
      Message: message,
      Timestamp: '2024-03-01T12:00:00.000Z',
      SignatureVersion: '1',
      Signature: 'sig',
      SigningCertUrl: 'https://example.com/cert',
      UnsubscribeUrl: 'https://example.com/unsub',
      MessageAttributes: {},
    },
  })),
});

const KINDS: Array<[kind: string, message: string, expected: string[]]> = [
  [
    'failed orders',
    JSON.stringify({
      kind: 'failed-orders',
      stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:results',
      summary: { auction_id: '2026-12-01T2100Z', execution_name: 'run-9', total: 4, accepted: 2, rejected: 1, failed: 1 },
      orders: [
        { customer: 'alpha', record_id: 'unique_id_1', status: 'rejected', parameter_1: 'abc', parameter_2: '7', result: { order_id: 'alpha:unique_id_1', status: 'rejected', reason: 'price above the limit' } },
        { customer: 'alpha', record_id: 'unique_id_3', status: 'failed', parameter_1: 'abc', parameter_2: '2.1', reason: 'ResultStoreUnavailable' },
      ],
      more: 0,
      full_list: 's3://order-results-test/runs/auction=2026-12-01T2100Z/run-9/failed-orders.json',
    }),
    ['1 rejected and 1 failed orders in auction 2026-12-01T2100Z', '*unique_id_1* (alpha) rejected', '*unique_id_3* (alpha) failed', 'ResultStoreUnavailable'],
  ],
  [
    'execution failed',
    JSON.stringify({
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      detail: { executionArn: 'arn:aws:states:eu-west-1:1:execution:results:run-3', name: 'run-3', status: 'TIMED_OUT', startDate: 1, stopDate: 2 },
    }),
    ['Execution TIMED_OUT: run-3', '*State machine*'],
  ],
  [
    'pipeline failed',
    JSON.stringify({
      source: 'aws.codepipeline',
      'detail-type': 'CodePipeline Pipeline Execution State Change',
      region: 'eu-west-1',
      detail: { pipeline: 'deploy', state: 'FAILED', 'execution-id': 'e-1' },
    }),
    ['Deployment pipeline deploy FAILED', 'e-1'],
  ],
  [
    'alarm',
    JSON.stringify({ AlarmName: 'api-5xx', NewStateValue: 'ALARM', NewStateReason: 'Threshold crossed', Trigger: { MetricName: '5XXError', Namespace: 'AWS/ApiGateway' } }),
    ['ALARM: api-5xx', 'Threshold crossed', 'AWS/ApiGateway 5XXError'],
  ],
  ['unknown text', 'disk almost full', ['disk almost full']],
];

describe('slack-notifier handler', () => {
  const slack = new FakeSlack();
  let addMetric: jest.SpyInstance;
  let sleep: jest.Mock;

  beforeAll(async () => {
    logger.setLogLevel('SILENT');
    await slack.start();
  });

  afterAll(async () => {
    await slack.stop();
    delete process.env.SLACK_WEBHOOK_SECRET_ARN;
    delete process.env.SLACK_MAX_ATTEMPTS;
  });

  beforeEach(() => {
    secrets.reset();
    slack.reset();
    jest.restoreAllMocks();
    process.env.SLACK_WEBHOOK_SECRET_ARN = SECRET_ARN;
    delete process.env.SLACK_MAX_ATTEMPTS;
    sleep = jest.fn(async () => undefined);
    addMetric = jest.spyOn(metrics, 'addMetric');
    jest.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => {
      metrics.clearMetrics();
      return metrics;
    });
    jest.spyOn(metrics, 'captureColdStartMetric').mockImplementation(() => undefined);
    secrets.on(GetSecretValueCommand).resolves({ SecretString: slack.url() });
  });

  it.each(KINDS)('posts a readable Block Kit message for %s', async (_kind, message, expected) => {
    // Arrange
    const handler = createHandler({ sleep });

    // Act
    await handler(snsEvent({ message, subject: 'Subject line' }), context);

    // Assert
    expect(slack.received).toHaveLength(1);
    const { blocks, text } = slack.received[0].body;
    expect(blocks[0]).toMatchObject({ type: 'header' });
    expect(blocks.some((block) => block.type === 'section')).toBe(true);
    expect(text.length).toBeGreaterThan(0);
    for (const fragment of expected) expect(slack.textOf()).toContain(fragment);
    expect(addMetric).toHaveBeenCalledWith('AlertsSent', 'Count', 1);
  });

  it('reads the secret once per execution environment and uses the SNS MessageId as correlation id', async () => {
    // Arrange
    const handler = createHandler({ sleep });
    const setCorrelationId = jest.spyOn(logger, 'setCorrelationId');

    // Act
    await handler(snsEvent({ message: 'one', id: 'sns-1' }), context);
    await handler(snsEvent({ message: 'two', id: 'sns-2' }), context);

    // Assert
    expect(secrets).toReceiveCommandTimes(GetSecretValueCommand, 1);
    expect(secrets).toReceiveCommandWith(GetSecretValueCommand, { SecretId: SECRET_ARN });
    expect(slack.received).toHaveLength(2);
    expect(setCorrelationId).toHaveBeenCalledWith('sns-1');
    expect(setCorrelationId).toHaveBeenCalledWith('sns-2');
  });

  it('accepts a JSON secret {"webhookUrl": ...}', async () => {
    // Arrange
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ webhookUrl: slack.url('/services/json/secret') }) });

    // Act
    await createHandler({ sleep })(snsEvent({ message: 'hello' }), context);

    // Assert
    expect(slack.received.map((r) => r.path)).toEqual(['/services/json/secret']);
  });

  it('does not cache a failed secret read', async () => {
    // Arrange
    secrets.on(GetSecretValueCommand).rejectsOnce(new Error('throttled')).resolves({ SecretString: slack.url() });
    const handler = createHandler({ sleep });

    // Act
    const first = handler(snsEvent({ message: 'a' }), context);
    await expect(first).rejects.toThrow('throttled');
    await handler(snsEvent({ message: 'b' }), context);

    // Assert
    expect(secrets).toReceiveCommandTimes(GetSecretValueCommand, 2);
    expect(slack.received).toHaveLength(1);
    expect(addMetric).toHaveBeenCalledWith('AlertsFailed', 'Count', 1);
  });

  describe.each([['JSON', UNSET_WEBHOOK_SECRET], ['plain', 'UNSET']])('while the secret still holds the %s UNSET marker', (_shape, marker) => {
    it('logs the whole alert with the command that fills the secret, and neither posts nor fails', async () => {
      // Arrange
      secrets.on(GetSecretValueCommand).resolves({ SecretString: marker });
      const warn = jest.spyOn(logger, 'warn');
      const alert = KINDS[0][1];

      // Act
      await createHandler({ sleep })(snsEvent({ message: alert, subject: 'Auction 2026-12-01T2100Z: 1 rejected, 1 failed' }), context);

      // Assert
      expect(slack.received).toHaveLength(0);
      expect(warn).toHaveBeenCalledTimes(1);
      const [text, details] = warn.mock.calls[0] as [string, Record<string, unknown>];
      expect(text).toContain(`the Slack webhook secret ${SECRET_ARN} is not set`);
      expect(text).toContain(`aws secretsmanager put-secret-value --secret-id ${SECRET_ARN} --secret-string '{"webhookUrl":"https://hooks.slack.com/services/..."}'`);
      expect(details).toMatchObject({ kind: 'failed-orders', subject: 'Auction 2026-12-01T2100Z: 1 rejected, 1 failed', snsMessage: alert });
      expect(String(details.text)).toContain('2026-12-01T2100Z');
      expect(addMetric).toHaveBeenCalledWith('AlertsUnsent', 'Count', 1);
      expect(addMetric).not.toHaveBeenCalledWith('AlertsFailed', 'Count', 1);
    });

    it('posts the first alert after an operator fills the secret: the marker is not cached', async () => {
      // Arrange
      secrets.on(GetSecretValueCommand).resolvesOnce({ SecretString: marker }).resolves({ SecretString: JSON.stringify({ webhookUrl: slack.url() }) });
      const handler = createHandler({ sleep });

      // Act
      await handler(snsEvent({ message: 'while unset' }), context);
      await handler(snsEvent({ message: 'after put-secret-value' }), context);

      // Assert
      expect(secrets).toReceiveCommandTimes(GetSecretValueCommand, 2);
      expect(slack.received).toHaveLength(1);
      expect(slack.textOf()).toContain('after put-secret-value');
    });
  });

  it('still fails on a secret that is neither a URL nor the marker, so Lambda retries and the DLQ keep the alert', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'not a url' });

    await expect(createHandler({ sleep })(snsEvent({ message: 'a' }), context)).rejects.toMatchObject({ name: 'InvalidWebhookSecret' });
    expect(addMetric).toHaveBeenCalledWith('AlertsFailed', 'Count', 1);
    expect(putWebhookCommand('arn:x')).toBe(`aws secretsmanager put-secret-value --secret-id arn:x --secret-string '{"webhookUrl":"https://hooks.slack.com/services/..."}'`);
  });

  it('re-reads the secret after the webhook answers 404 (rotated URL)', async () => {
    // Arrange
    slack.reply({ status: 404, body: 'no_service' });
    const handler = createHandler({ sleep });

    // Act
    await expect(handler(snsEvent({ message: 'a' }), context)).rejects.toMatchObject({ name: 'SlackDeliveryFailed', statusCode: 404 });
    await handler(snsEvent({ message: 'b' }), context);

    // Assert
    expect(secrets).toReceiveCommandTimes(GetSecretValueCommand, 2);
  });

  it('honours Retry-After on 429 and then succeeds', async () => {
    // Arrange
    slack.reply({ status: 429, body: 'rate_limited', headers: { 'Retry-After': '2' } });

    // Act
    await createHandler({ sleep })(snsEvent({ message: 'hello' }), context);

    // Assert
    expect(slack.received).toHaveLength(2);
    expect(sleep).toHaveBeenCalledTimes(1);
    expect(sleep).toHaveBeenCalledWith(2000);
    expect(addMetric).toHaveBeenCalledWith('AlertsSent', 'Count', 1);
  });

  it('retries a 5xx with jittered backoff and then succeeds', async () => {
    // Arrange
    slack.reply({ status: 503, body: 'unavailable' }, { status: 500 });

    // Act
    await createHandler({ sleep, random: () => 0.5 })(snsEvent({ message: 'hello' }), context);

    // Assert: base 250 ms, doubled, times the jitter draw.
    expect(slack.received).toHaveLength(3);
    expect(sleep.mock.calls).toEqual([[125], [250]]);
    expect(slack.received[2].body).toEqual(slack.received[0].body);
  });

  it('throws after SLACK_MAX_ATTEMPTS when Slack keeps answering 5xx, so Lambda retries and the DLQ keep it', async () => {
    // Arrange
    process.env.SLACK_MAX_ATTEMPTS = '3';
    slack.reply(...Array.from({ length: 5 }, () => ({ status: 500, body: 'boom' })));

    // Act
    const outcome = createHandler({ sleep })(snsEvent({ message: 'hello' }), context);

    // Assert
    await expect(outcome).rejects.toMatchObject({ name: 'SlackDeliveryFailed', statusCode: 500, message: expect.stringContaining('after 3 attempt(s)') });
    expect(slack.received).toHaveLength(3);
    expect(addMetric).toHaveBeenCalledWith('AlertsFailed', 'Count', 1);
    expect(addMetric).not.toHaveBeenCalledWith('AlertsSent', 'Count', 1);
  });

  it('does not retry a 400', async () => {
    // Arrange
    slack.reply({ status: 400, body: 'invalid_blocks' });

    // Act
    const outcome = createHandler({ sleep })(snsEvent({ message: 'hello' }), context);

    // Assert
    await expect(outcome).rejects.toMatchObject({ name: 'SlackDeliveryFailed', statusCode: 400, message: expect.stringContaining('invalid_blocks') });
    expect(slack.received).toHaveLength(1);
    expect(sleep).not.toHaveBeenCalled();
  });

  it('retries network errors and throws without leaking the webhook URL', async () => {
    // Arrange: a port that was just closed refuses connections.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const url = `http://127.0.0.1:${port}/services/T/B/very-secret-token`;
    secrets.on(GetSecretValueCommand).resolves({ SecretString: url });
    process.env.SLACK_MAX_ATTEMPTS = '2';

    // Act
    let caught: Error | undefined;
    await createHandler({ sleep })(snsEvent({ message: 'hello' }), context).catch((error: Error) => (caught = error));

    // Assert
    expect(caught).toMatchObject({ name: 'SlackDeliveryFailed', message: expect.stringContaining('after 2 attempt(s)') });
    expect(caught?.message).not.toContain('very-secret-token');
    expect(sleep).toHaveBeenCalledTimes(1);
  });

  it('handles every record and fails the invocation if any record failed', async () => {
    // Arrange: second post gets a 400.
    slack.reply({ status: 200, body: 'ok' }, { status: 400, body: 'invalid_payload' }, { status: 200, body: 'ok' });

    // Act
    const outcome = createHandler({ sleep })(snsEvent({ message: 'first' }, { message: 'second' }, { message: 'third' }), context);

    // Assert
    await expect(outcome).rejects.toMatchObject({ name: 'SlackDeliveryFailed' });
    expect(slack.received).toHaveLength(3);
    expect(slack.textOf(2)).toContain('third');
    expect(addMetric.mock.calls.filter(([name]) => name === 'AlertsSent')).toHaveLength(2);
    expect(addMetric.mock.calls.filter(([name]) => name === 'AlertsFailed')).toHaveLength(1);
  });

  it('fails naming SLACK_WEBHOOK_SECRET_ARN when it is missing', async () => {
    delete process.env.SLACK_WEBHOOK_SECRET_ARN;
    await expect(createHandler({ sleep })(snsEvent({ message: 'x' }), context)).rejects.toThrow('SLACK_WEBHOOK_SECRET_ARN');
    expect(secrets).not.toReceiveCommand(GetSecretValueCommand);
  });
});
