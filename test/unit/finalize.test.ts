// Scenarios: leftovers (still submitted) fail with the given reason; counts; received orders, other auctions and other executions' orders excluded; failed list sorted by customer then record_id with parameters and the platform's answer; alert capped at the limit with `more` and `full_list`; no alert when all accepted; empty auction -> zeros; a leftover another writer holds counts as failed; handler: step input vs EventBridge status-change event (auction the execution closed, reason RunTimedOut/RunAborted/RunFailed/the run's error; none closed -> skipped), failed list written to S3, alert published to SNS once per execution (claimAlert false -> no publish), publish failure -> releaseAlert then throw, InvalidTaskInput.
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { finalizeAuction, type FinalizeDeps } from '../../src/auctions/finalize';
import type { FailedOrder, FailedOrdersAlert } from '../../src/auctions/run';
import { createHandler } from '../../src/handlers/finalize-auction';
import type { StoredOrder } from '../../src/orders/order';
import { logger, metrics } from '../../src/shared/powertools';
import { AUCTION, InMemoryAuctionStore, NEXT_AUCTION, storedOrder } from '../fixtures/auction-store';

const s3 = mockClient(S3Client);
const sns = mockClient(SNSClient);
const context = { functionName: 'finalize-auction', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;
const NOW = new Date('2026-12-01T21:20:00.000Z');
const NOW_ISO = '2026-12-01T21:20:00.000Z';
const SM_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:auction-run';
const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:alerts';

const sub = (recordId: string, overrides: Partial<StoredOrder> = {}) =>
  storedOrder(recordId, { status: 'submitted', submitted_by: 'exec-1', submitted_at: '2026-12-01T21:00:45.000Z', ...overrides });
const acceptedResult = (customer: string, recordId: string) => ({ order_id: `${customer}:${recordId}`, status: 'accepted' as const, cleared_volume: 4, clearing_price: 81.25 });
const rejectedResult = (customer: string, recordId: string) => ({ order_id: `${customer}:${recordId}`, status: 'rejected' as const, reason: 'price above the limit' });

function setup(orders: StoredOrder[], alertLimit = 20) {
  const store = new InMemoryAuctionStore(orders);
  const lists: FailedOrder[][] = [];
  const deps: FinalizeDeps = {
    orders: store,
    now: () => NOW,
    alertLimit,
    writeFailedList: async (failed) => {
      lists.push(failed);
      return 's3://order-results-test/runs/auction=2026-12-01T2100Z/exec-1/failed-orders.json';
    },
  };
  return { store, lists, deps };
}

describe('finalizeAuction', () => {
  beforeEach(() => jest.restoreAllMocks());

  it('fails the orders still submitted with the given reason and counts every outcome', async () => {
    // Arrange
    const { store, deps } = setup([
      sub('a1', { status: 'accepted', result: acceptedResult('alpha', 'a1') }),
      sub('a2', { status: 'accepted', result: acceptedResult('alpha', 'a2') }),
      sub('r1', { status: 'rejected', result: rejectedResult('alpha', 'r1') }),
      sub('f1', { status: 'failed', reason: 'ResultStoreUnavailable' }),
      sub('s1'),
      sub('s2', { customer: 'beta' }),
    ]);

    // Act
    const run = await finalizeAuction(AUCTION, 'exec-1', 'NoResult', deps);

    // Assert
    expect(run.summary).toEqual({ auction_id: AUCTION, execution_name: 'exec-1', total: 6, accepted: 2, rejected: 1, failed: 3 });
    expect(run.failedNow).toBe(2);
    expect(store.get('alpha', 's1')).toMatchObject({ status: 'failed', reason: 'NoResult', finished_at: NOW_ISO });
    expect(store.get('beta', 's2')).toMatchObject({ status: 'failed', reason: 'NoResult', finished_at: NOW_ISO });
    // Orders that already had an outcome keep it.
    expect(store.get('alpha', 'f1')).toMatchObject({ status: 'failed', reason: 'ResultStoreUnavailable' });
    expect(store.get('alpha', 'a1')?.status).toBe('accepted');
  });

  it('leaves out received orders (the next run\'s) and orders of other auctions', async () => {
    // Arrange
    const { store, deps } = setup([
      sub('s1'),
      storedOrder('late', { received_at: '2026-12-01T20:59:59.990Z' }),
      sub('next', { auction_id: NEXT_AUCTION }),
    ]);

    // Act
    const run = await finalizeAuction(AUCTION, 'exec-1', 'RunTimedOut', deps);

    // Assert
    expect(run.summary).toMatchObject({ total: 1, failed: 1 });
    expect(run.alert?.orders.map((o) => o.record_id)).toEqual(['s1']);
    expect(store.get('alpha', 'late')?.status).toBe('received');
    expect(store.get('alpha', 'next')).toMatchObject({ status: 'submitted', auction_id: NEXT_AUCTION });
  });

  it('lists rejected and failed orders by customer then record_id, with parameters and the platform\'s answer', async () => {
    // Arrange
    const { deps, lists } = setup([
      sub('a', { customer: 'beta', status: 'rejected', result: rejectedResult('beta', 'a'), parameter_1: 'p-beta', parameter_2: '2.1' }),
      sub('b', { parameter_2: '12345678901234567890.5' }),
      sub('B', { status: 'failed', reason: 'ResultStoreUnavailable', result: acceptedResult('alpha', 'B') }),
      sub('a', { status: 'rejected', result: rejectedResult('alpha', 'a') }),
      sub('ok', { status: 'accepted', result: acceptedResult('alpha', 'ok') }),
    ]);

    // Act
    const run = await finalizeAuction(AUCTION, 'exec-1', 'NoResult', deps);

    // Assert
    const expected: FailedOrder[] = [
      { customer: 'alpha', record_id: 'B', status: 'failed', parameter_1: 'abc', parameter_2: '4', result: acceptedResult('alpha', 'B'), reason: 'ResultStoreUnavailable' },
      { customer: 'alpha', record_id: 'a', status: 'rejected', parameter_1: 'abc', parameter_2: '4', result: rejectedResult('alpha', 'a') },
      { customer: 'alpha', record_id: 'b', status: 'failed', parameter_1: 'abc', parameter_2: '12345678901234567890.5', reason: 'NoResult' },
      { customer: 'beta', record_id: 'a', status: 'rejected', parameter_1: 'p-beta', parameter_2: '2.1', result: rejectedResult('beta', 'a') },
    ];
    expect(lists).toEqual([expected]);
    expect(run.alert).toEqual({
      kind: 'failed-orders',
      summary: { auction_id: AUCTION, execution_name: 'exec-1', total: 5, accepted: 1, rejected: 2, failed: 2 },
      orders: expected,
      more: 0,
      full_list: 's3://order-results-test/runs/auction=2026-12-01T2100Z/exec-1/failed-orders.json',
    });
  });

  it('caps the alert at the limit, says how many more, and writes the full list', async () => {
    // Arrange
    const orders = Array.from({ length: 5 }, (_, i) => sub(`s${i}`));
    const { deps, lists } = setup(orders, 2);

    // Act
    const run = await finalizeAuction(AUCTION, 'exec-1', 'ResultsNotReady', deps);

    // Assert
    expect(run.alert?.orders.map((o) => o.record_id)).toEqual(['s0', 's1']);
    expect(run.alert?.more).toBe(3);
    expect(run.alert?.full_list).toBe('s3://order-results-test/runs/auction=2026-12-01T2100Z/exec-1/failed-orders.json');
    expect(lists).toHaveLength(1);
    expect(lists[0].map((o) => o.record_id)).toEqual(['s0', 's1', 's2', 's3', 's4']);
    expect(lists[0].every((o) => o.reason === 'ResultsNotReady')).toBe(true);
  });

  it('raises no alert and writes no list when every order was accepted', async () => {
    // Arrange
    const { deps, lists } = setup([
      sub('a1', { status: 'accepted', result: acceptedResult('alpha', 'a1') }),
      sub('a2', { customer: 'beta', status: 'accepted', result: acceptedResult('beta', 'a2') }),
    ]);

    // Act
    const run = await finalizeAuction(AUCTION, 'exec-1', 'NoResult', deps);

    // Assert
    expect(run).toEqual({ summary: { auction_id: AUCTION, execution_name: 'exec-1', total: 2, accepted: 2, rejected: 0, failed: 0 }, failedNow: 0 });
    expect(lists).toEqual([]);
  });

  it('answers zeros for an auction without orders', async () => {
    // Arrange
    const { deps, lists } = setup([]);

    // Act
    const run = await finalizeAuction(AUCTION, 'exec-1', 'NoResult', deps);

    // Assert
    expect(run).toEqual({ summary: { auction_id: AUCTION, execution_name: 'exec-1', total: 0, accepted: 0, rejected: 0, failed: 0 }, failedNow: 0 });
    expect(lists).toEqual([]);
  });

  it('finishes only the orders this execution submitted, not those of another run still storing the auction', async () => {
    // Arrange: a "close now" run (exec-0) took the 21:00 auction early; the schedule's run for 21:00
    // (exec-1) found nothing left to submit and finalizes while exec-0 still waits for its results.
    const { store, deps, lists } = setup([
      sub('s1', { submitted_by: 'exec-0' }),
      sub('a1', { submitted_by: 'exec-0', status: 'accepted', result: acceptedResult('alpha', 'a1') }),
    ]);

    // Act
    const run = await finalizeAuction(AUCTION, 'exec-1', 'NoResult', deps);

    // Assert
    expect(run).toEqual({ summary: { auction_id: AUCTION, execution_name: 'exec-1', total: 0, accepted: 0, rejected: 0, failed: 0 }, failedNow: 0 });
    expect(store.get('alpha', 's1')).toMatchObject({ status: 'submitted', submitted_by: 'exec-0' });
    expect(lists).toEqual([]);
  });

  it('counts a leftover the store would not fail as failed, with the run\'s reason', async () => {
    // Arrange: a late writer still holds s1 when finalize reaches it.
    const { store, deps } = setup([sub('s1'), sub('s2')]);
    const fail = store.failIfSubmitted.bind(store);
    jest.spyOn(store, 'failIfSubmitted').mockImplementation(async (ref, ...rest) => (ref.record_id === 's1' ? false : fail(ref, ...rest)));

    // Act
    const run = await finalizeAuction(AUCTION, 'exec-1', 'RunAborted', deps);

    // Assert
    expect(run.failedNow).toBe(1);
    expect(run.summary).toMatchObject({ total: 2, failed: 2 });
    expect(run.alert?.orders).toEqual([
      { customer: 'alpha', record_id: 's1', status: 'failed', parameter_1: 'abc', parameter_2: '4', reason: 'RunAborted' },
      { customer: 'alpha', record_id: 's2', status: 'failed', parameter_1: 'abc', parameter_2: '4', reason: 'RunAborted' },
    ]);
  });
});

describe('finalize-auction handler', () => {
  let addMetric: jest.SpyInstance;

  const statusEvent = (detail: Record<string, unknown>) => ({
    version: '0',
    id: 'a1b2c3d4-0000-0000-0000-000000000000',
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: '123456789012',
    time: '2026-12-01T21:50:00Z',
    region: 'eu-west-1',
    resources: [`arn:aws:states:eu-west-1:123456789012:execution:auction-run:exec-1`],
    detail: {
      executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:auction-run:exec-1',
      stateMachineArn: SM_ARN,
      name: 'exec-1',
      status: 'TIMED_OUT',
      // 2026-12-01T20:15:00Z: a "close now" run started then closed the 21:00 auction.
      startDate: 1_796_156_100_000,
      stopDate: 1_796_159_400_000,
      input: '{"close":"now"}',
      output: null,
      error: null,
      cause: null,
      ...detail,
    },
  });

  const orders = () => [
    sub('a1', { status: 'accepted', result: acceptedResult('alpha', 'a1') }),
    sub('r1', { customer: 'beta', status: 'rejected', result: rejectedResult('beta', 'r1') }),
    sub('s1'),
    storedOrder('late', { received_at: '2026-12-01T20:59:59.990Z' }),
  ];

  beforeAll(() => logger.setLogLevel('SILENT'));

  beforeEach(() => {
    s3.reset();
    sns.reset();
    jest.restoreAllMocks();
    s3.on(PutObjectCommand).resolves({});
    sns.on(PublishCommand).resolves({ MessageId: 'msg-1' });
    Object.assign(process.env, {
      RESULTS_BUCKET_NAME: 'order-results-test',
      ALERTS_TOPIC_ARN: TOPIC_ARN,
      ALERT_ORDERS_LIMIT: '20',
      AUCTION_PERIOD_MINUTES: '60',
      AWS_REGION: 'eu-west-1',
    });
    addMetric = jest.spyOn(metrics, 'addMetric');
    jest.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => {
      metrics.clearMetrics();
      return metrics;
    });
    jest.spyOn(metrics, 'captureColdStartMetric').mockImplementation(() => undefined);
  });

  afterAll(() => {
    for (const key of ['RESULTS_BUCKET_NAME', 'ALERTS_TOPIC_ARN', 'ALERT_ORDERS_LIMIT', 'AUCTION_PERIOD_MINUTES']) delete process.env[key];
  });

  it('finalizes the run\'s auction from the step input, writes the full list and publishes the alert', async () => {
    // Arrange
    const store = new InMemoryAuctionStore(orders());
    const handler = createHandler({ now: () => NOW, orders: () => store });

    // Act
    const summary = await handler({ auction_id: AUCTION, execution_name: 'exec-1', reason: 'NoResult' }, context);

    // Assert
    expect(summary).toEqual({ auction_id: AUCTION, execution_name: 'exec-1', total: 3, accepted: 1, rejected: 1, failed: 1 });
    expect(store.get('alpha', 's1')).toMatchObject({ status: 'failed', reason: 'NoResult' });
    const failed = [
      { customer: 'alpha', record_id: 's1', status: 'failed', parameter_1: 'abc', parameter_2: '4', reason: 'NoResult' },
      { customer: 'beta', record_id: 'r1', status: 'rejected', parameter_1: 'abc', parameter_2: '4', result: rejectedResult('beta', 'r1') },
    ];
    expect(s3).toReceiveCommandWith(PutObjectCommand, {
      Bucket: 'order-results-test',
      Key: 'runs/auction=2026-12-01T2100Z/exec-1/failed-orders.json',
      ContentType: 'application/json',
      Body: JSON.stringify(failed),
    });
    expect(sns).toReceiveCommandTimes(PublishCommand, 1);
    expect(sns).toReceiveCommandWith(PublishCommand, { TopicArn: TOPIC_ARN, Subject: 'Auction 2026-12-01T2100Z: 1 rejected, 1 failed' });
    const published = JSON.parse(sns.commandCalls(PublishCommand)[0].args[0].input.Message!) as FailedOrdersAlert;
    expect(published).toEqual({
      kind: 'failed-orders',
      summary,
      orders: failed,
      more: 0,
      full_list: 's3://order-results-test/runs/auction=2026-12-01T2100Z/exec-1/failed-orders.json',
    });
    expect(addMetric).toHaveBeenCalledWith('OrdersAccepted', 'Count', 1);
    expect(addMetric).toHaveBeenCalledWith('OrdersRejected', 'Count', 1);
    expect(addMetric).toHaveBeenCalledWith('OrdersFailed', 'Count', 1);
  });

  it.each([
    ['a timed-out run', 'TIMED_OUT', null, 'RunTimedOut'],
    ['an aborted run', 'ABORTED', null, 'RunAborted'],
    ['a failed run, with the run\'s error as reason', 'FAILED', 'ResultsNotReady', 'ResultsNotReady'],
    ['a failed run without error name', 'FAILED', null, 'RunFailed'],
  ])('finalizes %s from its status event, in the auction the execution closed', async (_case, status, error, reason) => {
    // Arrange
    const store = new InMemoryAuctionStore(orders());
    await store.closeAuction(AUCTION, 'exec-1', NOW);
    const publish = jest.fn().mockResolvedValue(undefined);
    const handler = createHandler({ now: () => NOW, orders: () => store, publish });

    // Act
    const summary = await handler(statusEvent({ status, error }), context);

    // Assert
    expect(summary).toEqual({ auction_id: AUCTION, execution_name: 'exec-1', total: 3, accepted: 1, rejected: 1, failed: 1 });
    expect(store.get('alpha', 's1')).toMatchObject({ status: 'failed', reason });
    expect(publish).toHaveBeenCalledTimes(1);
    expect(publish).toHaveBeenCalledWith(expect.objectContaining({ kind: 'failed-orders', stateMachineArn: SM_ARN, summary }));
  });

  it('takes the auction from what the execution closed, not from its input and start time', async () => {
    // Arrange: "close now" at 20:15 found 21:00 closed early by another run and took 22:00.
    const store = new InMemoryAuctionStore([...orders(), sub('n1', { auction_id: NEXT_AUCTION })]);
    await store.closeAuction(AUCTION, 'exec-0', NOW);
    await store.closeAuction(NEXT_AUCTION, 'exec-1', NOW);
    const handler = createHandler({ now: () => NOW, orders: () => store, publish: jest.fn() });

    // Act
    const summary = await handler(statusEvent({ status: 'ABORTED' }), context);

    // Assert
    expect(summary).toEqual({ auction_id: NEXT_AUCTION, execution_name: 'exec-1', total: 1, accepted: 0, rejected: 0, failed: 1 });
    expect(store.get('alpha', 'n1')).toMatchObject({ status: 'failed', reason: 'RunAborted' });
    expect(store.get('alpha', 's1')?.status).toBe('submitted');
  });

  it('publishes the alert once per execution, whoever finalizes first', async () => {
    // Arrange: the run's own finalize step, then the status rule for the same failed execution.
    const store = new InMemoryAuctionStore(orders());
    await store.closeAuction(AUCTION, 'exec-1', NOW);
    const publish = jest.fn().mockResolvedValue(undefined);
    const handler = createHandler({ now: () => NOW, orders: () => store, publish });

    // Act
    const first = await handler({ auction_id: AUCTION, execution_name: 'exec-1', reason: 'ResultsNotReady' }, context);
    const second = await handler(statusEvent({ status: 'FAILED', error: 'ResultsNotReady' }), context);

    // Assert
    expect(second).toEqual(first);
    expect(publish).toHaveBeenCalledTimes(1);
    expect([...(store.alerted.get(AUCTION) ?? [])]).toEqual(['exec-1']);
  });

  it('keeps the published alert within SNS\'s 256 KiB, leaving the orders that do not fit to the full list', async () => {
    // Arrange: parameter_1 has no length limit of its own, so 20 large orders exceed one SNS message.
    const store = new InMemoryAuctionStore(Array.from({ length: 20 }, (_, i) => sub(`s${String(i).padStart(2, '0')}`, { parameter_1: 'x'.repeat(50_000) })));
    const handler = createHandler({ now: () => NOW, orders: () => store });

    // Act
    await handler({ auction_id: AUCTION, execution_name: 'exec-1', reason: 'NoResult' }, context);

    // Assert
    const message = sns.commandCalls(PublishCommand)[0].args[0].input.Message!;
    expect(Buffer.byteLength(message)).toBeLessThanOrEqual(256 * 1024);
    const published = JSON.parse(message) as FailedOrdersAlert;
    // About 50 KB per order: the first five fit, the other fifteen are counted.
    expect(published.orders.map((o) => o.record_id)).toEqual(['s00', 's01', 's02', 's03', 's04']);
    expect(published.more).toBe(15);
    expect(published.summary).toMatchObject({ total: 20, failed: 20 });
    expect(published.full_list).toBe('s3://order-results-test/runs/auction=2026-12-01T2100Z/exec-1/failed-orders.json');
  });

  it('does not publish when the alert of the execution was already claimed', async () => {
    // Arrange
    const store = new InMemoryAuctionStore(orders());
    await store.claimAlert(AUCTION, 'exec-1');
    const claim = jest.spyOn(store, 'claimAlert');
    const handler = createHandler({ now: () => NOW, orders: () => store });

    // Act
    await handler({ auction_id: AUCTION, execution_name: 'exec-1', reason: 'NoResult' }, context);

    // Assert
    expect(claim).toHaveBeenCalledWith(AUCTION, 'exec-1');
    expect(sns).toReceiveCommandTimes(PublishCommand, 0);
  });

  it('claims nothing when there is nothing to alert', async () => {
    // Arrange
    const store = new InMemoryAuctionStore([sub('a1', { status: 'accepted', result: acceptedResult('alpha', 'a1') })]);
    const claim = jest.spyOn(store, 'claimAlert');
    const handler = createHandler({ now: () => NOW, orders: () => store });

    // Act
    const summary = await handler({ auction_id: AUCTION, execution_name: 'exec-1', reason: 'NoResult' }, context);

    // Assert
    expect(summary).toMatchObject({ total: 1, accepted: 1, rejected: 0, failed: 0 });
    expect(claim).not.toHaveBeenCalled();
    expect(s3).toReceiveCommandTimes(PutObjectCommand, 0);
    expect(sns).toReceiveCommandTimes(PublishCommand, 0);
  });

  it('gives the claim back when publishing fails, so the retry sends the alert', async () => {
    // Arrange
    const store = new InMemoryAuctionStore(orders());
    const release = jest.spyOn(store, 'releaseAlert');
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottledException' });
    sns.on(PublishCommand).rejectsOnce(throttled).resolves({ MessageId: 'msg-2' });
    const handler = createHandler({ now: () => NOW, orders: () => store });
    const event = { auction_id: AUCTION, execution_name: 'exec-1', reason: 'NoResult' };

    // Act
    const failed = handler(event, context);

    // Assert
    await expect(failed).rejects.toBe(throttled);
    expect(release).toHaveBeenCalledWith(AUCTION, 'exec-1');
    expect(store.alerted.get(AUCTION)?.has('exec-1')).toBe(false);

    // Act: the state machine retries the step.
    await handler(event, context);

    // Assert
    expect(sns).toReceiveCommandTimes(PublishCommand, 2);
    expect(store.alerted.get(AUCTION)?.has('exec-1')).toBe(true);
  });

  it.each([
    ['no reason', { auction_id: AUCTION, execution_name: 'exec-1' }],
    ['an auction_id off the period', { auction_id: '2026-12-01T2130Z', execution_name: 'exec-1', reason: 'NoResult' }],
    ['no execution_name', { auction_id: AUCTION, reason: 'NoResult' }],
  ])('refuses a step input with %s as InvalidTaskInput', async (_case, event) => {
    // Arrange
    const store = new InMemoryAuctionStore(orders());
    const handler = createHandler({ now: () => NOW, orders: () => store });

    // Act / Assert
    await expect(handler(event, context)).rejects.toMatchObject({ name: 'InvalidTaskInput' });
    expect(store.get('alpha', 's1')?.status).toBe('submitted');
  });

  it('skips a status event of a run that closed no auction (nothing was submitted)', async () => {
    // Arrange
    const store = new InMemoryAuctionStore(orders());
    const publish = jest.fn();
    const handler = createHandler({ now: () => NOW, orders: () => store, publish });

    // Act
    const answer = await handler(statusEvent({ status: 'FAILED', error: 'AuctionNotClosed', input: '{"hello":"world"}' }), context);

    // Assert
    expect(answer).toEqual({ skipped: 'the run closed no auction' });
    expect(store.get('alpha', 's1')?.status).toBe('submitted');
    expect(publish).not.toHaveBeenCalled();
    expect(s3).toReceiveCommandTimes(PutObjectCommand, 0);
  });
});
