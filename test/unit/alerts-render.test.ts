// Scenarios: failed-orders (orders with parameters/reason/platform answer in the run's order, summary, "and N more" with `more`, full list, link, missing fields), execution FAILED/TIMED_OUT/ABORTED with and without error/cause, pipeline failure, CloudWatch alarm, generic for plain text/unknown JSON/empty, Slack limits and escaping.
import { LIMITS, type SlackBlock, type SlackMessage } from '../../src/alerts/blocks';
import { MAX_FAILURE_LINES, readableCause, renderAlert } from '../../src/alerts/render';

const SM_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:results-pipeline';

/** All visible text of a message, to assert on content rather than on block structure. */
function allText(message: SlackMessage): string {
  const texts = message.blocks.flatMap((block: SlackBlock) => {
    switch (block.type) {
      case 'header':
        return [block.text.text];
      case 'section':
        return [block.text?.text ?? '', ...(block.fields ?? []).map((f) => f.text)];
      case 'context':
        return block.elements.map((e) => e.text);
      default:
        return [];
    }
  });
  return texts.join('\n');
}

function expectWithinSlackLimits(message: SlackMessage): void {
  expect(message.blocks.length).toBeLessThanOrEqual(LIMITS.blocks);
  expect(message.text.length).toBeGreaterThan(0);
  for (const block of message.blocks) {
    if (block.type === 'header') expect(block.text.text.length).toBeLessThanOrEqual(LIMITS.headerText);
    if (block.type === 'section') {
      expect(block.text !== undefined || (block.fields?.length ?? 0) > 0).toBe(true);
      expect(block.text?.text.length ?? 0).toBeLessThanOrEqual(LIMITS.sectionText);
      expect(block.fields?.length ?? 0).toBeLessThanOrEqual(LIMITS.fields);
    }
  }
}

const failedOrders = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({
    kind: 'failed-orders',
    stateMachineArn: SM_ARN,
    summary: { auction_id: '2026-12-01T2100Z', execution_name: 'run-42', total: 10, accepted: 7, rejected: 2, failed: 1 },
    // The run lists them by customer, then record_id; the renderer keeps that order.
    orders: [
      { customer: 'alpha', record_id: 'unique_id_3', status: 'rejected', parameter_1: 'abc', parameter_2: '12.5', result: { order_id: 'alpha:unique_id_3', status: 'rejected', reason: 'price above the limit' } },
      { customer: 'alpha', record_id: 'unique_id_5', status: 'failed', parameter_1: 'S3 <down> & out', parameter_2: '4', reason: 'ResultStoreUnavailable' },
      { customer: 'beta', record_id: 'unique_id_3', status: 'rejected', parameter_1: 'x', parameter_2: '2.1', result: { order_id: 'beta:unique_id_3', status: 'rejected', cleared_volume: 0 } },
    ],
    more: 0,
    full_list: 's3://order-results-test/runs/auction=2026-12-01T2100Z/run-42/failed-orders.json',
    ...overrides,
  });

const failedOrder = (n: number) => ({ customer: 'alpha', record_id: `order-${String(n).padStart(3, '0')}`, status: 'rejected', parameter_1: 'p'.repeat(1000), parameter_2: '1' });

const sfnEvent = (detail: Record<string, unknown>) =>
  JSON.stringify({
    version: '0',
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    region: 'eu-west-1',
    time: '2024-03-01T10:05:00Z',
    detail: {
      executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:results-pipeline:run-7',
      stateMachineArn: SM_ARN,
      name: 'run-7',
      startDate: 1709287200000,
      stopDate: 1709287500000,
      ...detail,
    },
  });

describe('renderAlert', () => {
  it('lists the failed orders of a run in one message, in the run\'s order, with parameters, reason, platform answer, summary and console link', () => {
    // Act
    const { kind, message } = renderAlert({ message: failedOrders() });
    const text = allText(message);

    // Assert
    expect(kind).toBe('failed-orders');
    expect(message.blocks[0]).toEqual({ type: 'header', text: expect.objectContaining({ text: ':rotating_light: 2 rejected and 1 failed orders in auction 2026-12-01T2100Z' }) });
    expect(text).toContain(
      '• *unique_id_3* (alpha) rejected — parameter_1 "abc", parameter_2 12.5 — platform: reason price above the limit\n' +
      '• *unique_id_5* (alpha) failed — parameter_1 "S3 &lt;down&gt; &amp; out", parameter_2 4 — `ResultStoreUnavailable`\n' +
      '• *unique_id_3* (beta) rejected — parameter_1 "x", parameter_2 2.1 — platform: cleared_volume 0',
    );
    expect(text).toContain('*Auction*\n2026-12-01T2100Z');
    expect(text).toContain('*Run*\nrun-42');
    expect(text).toContain('*Accepted*\n7');
    expect(text).toContain('*Failed*\n1');
    expect(text).toContain(
      'https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/arn:aws:states:eu-west-1:123456789012:execution:results-pipeline:run-42',
    );
    expect(text).toContain('Full list: `s3://order-results-test/runs/auction=2026-12-01T2100Z/run-42/failed-orders.json`');
    expect(message.text).toBe(':rotating_light: 2 rejected and 1 failed orders in auction 2026-12-01T2100Z (accepted 7 of 10)');
    expectWithinSlackLimits(message);
  });

  it('caps the listed orders and says how many more, including those only in the full list', () => {
    // Arrange
    const orders = Array.from({ length: 60 }, (_, n) => failedOrder(n));

    // Act
    const { message } = renderAlert({
      message: failedOrders({ orders, more: 940, summary: { auction_id: '2026-12-01T2100Z', execution_name: 'run-42', total: 1000, accepted: 0, rejected: 1000, failed: 0 } }),
    });
    const text = allText(message);

    // Assert
    expect(text).toContain(`*order-${String(MAX_FAILURE_LINES - 1).padStart(3, '0')}*`);
    expect(text).not.toContain(`*order-${String(MAX_FAILURE_LINES).padStart(3, '0')}*`);
    expect(text).toContain(`and ${60 - MAX_FAILURE_LINES + 940} more`);
    expect(text).toContain('s3://order-results-test/runs/auction=2026-12-01T2100Z/run-42/failed-orders.json');
    expect(message.blocks[0]).toMatchObject({ text: { text: ':rotating_light: 1000 rejected orders in auction 2026-12-01T2100Z' } });
    expectWithinSlackLimits(message);
  });

  it.each([
    [{ total: 2, accepted: 1, rejected: 1, failed: 0 }, '1 rejected order in auction 2026-12-01T2100Z'],
    [{ total: 3, accepted: 0, rejected: 0, failed: 3 }, '3 failed orders in auction 2026-12-01T2100Z'],
    [{}, '3 orders not accepted in auction 2026-12-01T2100Z'], // no counts: the listed orders are the number
  ])('titles the run by what happened to its orders (%j)', (counts, title) => {
    const { message } = renderAlert({ message: failedOrders({ summary: { auction_id: '2026-12-01T2100Z', execution_name: 'run-42', ...counts } }) });
    expect(message.blocks[0]).toMatchObject({ text: { text: `:rotating_light: ${title}` } });
  });

  it('still renders a failed-orders message whose fields are missing or of the wrong type', () => {
    const { kind, message } = renderAlert({ message: JSON.stringify({ kind: 'failed-orders', orders: 'oops', summary: null, more: 'x' }) });
    expect(kind).toBe('failed-orders');
    expect(allText(message)).toContain('unknown run');
    expect(allText(message)).toContain('No order details were included in the alert.');
    expectWithinSlackLimits(message);
  });

  it('shows an order whose fields are missing or of the wrong type as unknown', () => {
    // Arrange: parameter_2 sent as a JSON number, the rest missing.
    const orders = [{ parameter_2: 2.5, result: 'not an object' }];

    // Act
    const { message } = renderAlert({ message: failedOrders({ orders }) });

    // Assert
    expect(allText(message)).toContain('• *?* (?) failed — parameter_1 "", parameter_2 2.5');
    expectWithinSlackLimits(message);
  });

  it.each([
    ['FAILED', ':x:'],
    ['TIMED_OUT', ':hourglass:'],
    ['ABORTED', ':no_entry_sign:'],
  ])('renders a Step Functions %s execution with times, duration, error and cause', (status, emoji) => {
    // Act
    const { kind, message } = renderAlert({
      message: sfnEvent({ status, error: 'ResultsNotReady', cause: 'Auction results not ready after 5 attempts' }),
    });
    const text = allText(message);

    // Assert
    expect(kind).toBe('execution-status');
    expect(message.blocks[0]).toMatchObject({ type: 'header', text: { text: `${emoji} Execution ${status}: run-7` } });
    expect(text).toContain('*Error*\nResultsNotReady');
    expect(text).toContain('Auction results not ready after 5 attempts');
    expect(text).toContain('*Started*\n2024-03-01 10:00:00 UTC');
    expect(text).toContain('*Duration*\n5m 0s');
    expect(text).toContain('#/v2/executions/details/arn:aws:states:eu-west-1:123456789012:execution:results-pipeline:run-7');
    expectWithinSlackLimits(message);
  });

  it('renders an execution event without error, cause or stop date', () => {
    const { message } = renderAlert({ message: sfnEvent({ status: 'ABORTED', stopDate: null }) });
    const text = allText(message);
    expect(text).toContain('*Status*\nABORTED');
    expect(text).not.toContain('*Error*');
    expect(text).not.toContain('*Cause*');
    expect(text).not.toContain('*Duration*');
  });

  it('renders a failed deployment pipeline with a link to the execution', () => {
    // Arrange
    const event = JSON.stringify({
      'detail-type': 'CodePipeline Pipeline Execution State Change',
      source: 'aws.codepipeline',
      region: 'eu-west-1',
      time: '2024-03-01T12:00:00Z',
      detail: { pipeline: 'energy-auction-pipeline', state: 'FAILED', 'execution-id': 'abc-123' },
    });

    // Act
    const { kind, message } = renderAlert({ message: event });
    const text = allText(message);

    // Assert
    expect(kind).toBe('pipeline-failed');
    expect(message.blocks[0]).toMatchObject({ text: { text: ':construction: Deployment pipeline energy-auction-pipeline FAILED' } });
    expect(text).toContain('*Execution*\nabc-123');
    expect(text).toContain('codepipeline/pipelines/energy-auction-pipeline/executions/abc-123/timeline?region=eu-west-1');
    expectWithinSlackLimits(message);
  });

  it('renders a CloudWatch alarm with state change, metric, reason and console link', () => {
    // Arrange
    const alarm = JSON.stringify({
      AlarmName: 'slack-notifier-dlq-not-empty',
      AlarmDescription: 'Alerts that could not be delivered to Slack',
      AlarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:slack-notifier-dlq-not-empty',
      NewStateValue: 'ALARM',
      OldStateValue: 'OK',
      NewStateReason: 'Threshold Crossed: 1 datapoint [3.0] was > 0',
      StateChangeTime: '2024-03-01T12:00:00.000+0000',
      Region: 'EU (Ireland)',
      Trigger: { MetricName: 'ApproximateNumberOfMessagesVisible', Namespace: 'AWS/SQS' },
    });

    // Act
    const { kind, message } = renderAlert({ message: alarm, subject: 'ALARM: "slack-notifier-dlq-not-empty"' });
    const text = allText(message);

    // Assert
    expect(kind).toBe('alarm');
    expect(message.blocks[0]).toMatchObject({ text: { text: ':rotating_light: ALARM: slack-notifier-dlq-not-empty' } });
    expect(text).toContain('OK → ALARM');
    expect(text).toContain('AWS/SQS ApproximateNumberOfMessagesVisible');
    expect(text).toContain('Threshold Crossed: 1 datapoint [3.0] was &gt; 0');
    expect(text).toContain('*Region*\nEU (Ireland)');
    expect(text).toContain('https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/slack-notifier-dlq-not-empty');
    expectWithinSlackLimits(message);
  });

  it.each([
    ['plain text', 'Something happened <here>'],
    ['invalid JSON', '{"kind": "failed-orders",'],
    ['unknown JSON', '{"hello":"world"}'],
    ['a JSON array', '[1,2,3]'],
    ['empty text', ''],
  ])('renders %s as a generic message quoting the raw text', (_case, raw) => {
    // Act
    const { kind, message } = renderAlert({ message: raw, subject: 'Heads up', topicArn: 'arn:aws:sns:eu-west-1:1:alerts', messageId: 'm-1' });
    const text = allText(message);

    // Assert
    expect(kind).toBe('generic');
    expect(message.blocks[0]).toMatchObject({ text: { text: ':information_source: Heads up' } });
    expect(text).toContain(raw === '' ? '(empty message)' : raw.replace(/</g, '&lt;').replace(/>/g, '&gt;'));
    expect(text).toContain('Message id: m-1');
    expectWithinSlackLimits(message);
  });

  it('truncates a huge raw message to fit one section', () => {
    const { message } = renderAlert({ message: 'y'.repeat(100_000) });
    expect(allText(message)).toContain('…');
    expectWithinSlackLimits(message);
  });
});

describe('readableCause', () => {
  it('extracts errorMessage from a Lambda error cause and keeps other text as is', () => {
    expect(readableCause('{"errorType":"X","errorMessage":"boom"}')).toBe('boom');
    expect(readableCause('plain')).toBe('plain');
    expect(readableCause('null')).toBe('null');
    expect(readableCause(undefined)).toBeUndefined();
  });
});
