// Scenarios: a run of an auction without orders succeeds quietly (summary of zeros, no alert, no results); two orders POSTed, run with {"close": "now"} -> GET shows each final status (accepted with result and result_key, rejected with the platform's answer), S3 holds exactly the accepted one under results/auction=<id>/customer=<customer>/<record_id>.json with parameter_2's exact digits, ONE Slack alert lists exactly the rejected one, the full list is in S3 and the run's output is the summary (rejected share 0.5 -> 1 of 2); the auction run again takes nothing twice; the Step Functions API lists the run, returns its history in order and answers ExecutionDoesNotExist; the hourly schedule's event runs the auction of its gate closure; a run with an input naming no auction fails with AuctionNotClosed and the status rule alerts it.
import { DescribeExecutionCommand, ExecutionDoesNotExist, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import {
  alertsFor,
  auctionIdOf,
  type Answer,
  GATE_PERIOD_MS,
  type ApiOrder,
  auctionAfter,
  getOrder,
  historyOf,
  isOrdersAlert,
  isStatusAlert,
  listedOrders,
  listKeys,
  noAlertFor,
  orderOf,
  type OrderInput,
  platformSubmissions,
  postOrders,
  rawParameter2,
  readS3Url,
  readText,
  type Run,
  runAuction,
  startSystem,
  statesEntered,
  type System,
  uniqueId,
} from './lifecycle';

let system: System;

beforeAll(async () => {
  system = await startSystem();
});

afterAll(async () => {
  await system?.stop();
});

describe('a run of an auction without orders', () => {
  let run: Run;

  beforeAll(async () => {
    run = await runAuction(system, { close: 'now' }, 'empty');
  });

  it('succeeds with a summary of zeros for the open auction', () => {
    expect(run.status).toBe('SUCCEEDED');
    // The open auction of a fresh system is the next hourly gate after the run started.
    expect(run.summary).toEqual({
      auction_id: auctionAfter(run.description.startDate!),
      execution_name: run.name,
      total: 0,
      accepted: 0,
      rejected: 0,
      failed: 0,
    });
  });

  it('asks the platform nothing, stores nothing and sends no alert', async () => {
    expect(await statesEntered(system, run.executionArn)).not.toContain('FetchResults');
    expect((await listKeys(system, system.endpoints.bucketName, `results/auction=${run.summary!.auction_id}/`)).keys).toEqual([]);
    expect(await noAlertFor(system, run.name)).toBe(true);
  });
});

describe('two orders through one run', () => {
  // Decimal digits that a binary float would not keep: they must reach S3 exactly as sent.
  const orders: OrderInput[] = [
    { record_id: uniqueId('two-a'), parameter_1: 'abc', parameter_2: '2.1' },
    { record_id: uniqueId('two-b'), parameter_1: 'def', parameter_2: '0.1000000000000000055511151231257827' },
  ];
  let posted: Answer;
  let before: ApiOrder[];
  let auctionId: string;
  let run: Run;

  beforeAll(async () => {
    posted = await postOrders(system, 'alpha', orders);
    before = await Promise.all(orders.map((o) => orderOf(system, 'alpha', o.record_id)));
    auctionId = before[0].auction_id;
    run = await runAuction(system, { close: 'now' }, 'two-orders');
  });

  it('POSTs the orders into the open auction as received, and the run takes that auction', () => {
    expect([posted.status, posted.json]).toEqual([201, { accepted: 2 }]);
    expect(before.map((o) => [o.status, o.auction_id])).toEqual([['received', auctionId], ['received', auctionId]]);
    // Hourly gates: the auction is named after a full hour.
    expect(auctionId).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}00Z$/);
    expect(run.summary?.auction_id).toBe(auctionId);
  });

  it('outputs the summary: 2 orders, rejected share 0.5 -> 1 accepted and 1 rejected', () => {
    expect({ status: run.status, error: run.error }).toEqual({ status: 'SUCCEEDED', error: undefined });
    expect(run.summary).toEqual({ auction_id: auctionId, execution_name: run.name, total: 2, accepted: 1, rejected: 1, failed: 0 });
  });

  it('shows each order its final status with what the platform answered', async () => {
    const final = await Promise.all(orders.map((o) => orderOf(system, 'alpha', o.record_id)));
    const accepted = final.filter((o) => o.status === 'accepted');
    const rejected = final.filter((o) => o.status === 'rejected');
    expect([accepted.length, rejected.length]).toEqual([1, 1]);

    for (const order of final) {
      expect(order).toMatchObject({ auction_id: auctionId, submitted_at: expect.any(String) });
      expect(order.result).toMatchObject({ order_id: `alpha:${order.record_id}`, status: order.status });
      expect(order.reason).toBeUndefined();
    }
    expect(accepted[0].result_key).toBe(`results/auction=${auctionId}/customer=alpha/${accepted[0].record_id}.json`);
    expect(accepted[0].result).toMatchObject({ cleared_volume: expect.any(Number), clearing_price: expect.any(Number) });
    expect(rejected[0].result_key).toBeUndefined();
    expect(rejected[0].result).toMatchObject({ reason: expect.any(String) });
  });

  it('keeps parameter_2 exact in the GET answer', async () => {
    for (const order of orders) {
      expect(rawParameter2((await getOrder(system, 'alpha', order.record_id)).text)).toBe(order.parameter_2);
    }
  });

  it('stores exactly the accepted order in S3, under its key, with the exact parameter_2 digits', async () => {
    const accepted = (await Promise.all(orders.map((o) => orderOf(system, 'alpha', o.record_id)))).find((o) => o.status === 'accepted')!;
    const sent = orders.find((o) => o.record_id === accepted.record_id)!;

    const { keys } = await listKeys(system, system.endpoints.bucketName, `results/auction=${auctionId}/`);

    expect(keys).toEqual([accepted.result_key]);
    const text = await readText(system, system.endpoints.bucketName, accepted.result_key!);
    expect(rawParameter2(text)).toBe(sent.parameter_2);
    expect(JSON.parse(text)).toMatchObject({
      auction_id: auctionId,
      customer: 'alpha',
      record_id: sent.record_id,
      parameter_1: sent.parameter_1,
      result: accepted.result,
    });
  });

  it('sends ONE Slack alert for the run, naming exactly the rejected order, with the full list in S3', async () => {
    const rejected = (await Promise.all(orders.map((o) => orderOf(system, 'alpha', o.record_id)))).find((o) => o.status === 'rejected')!;

    const alerts = await alertsFor(system, run.name);

    expect(alerts).toHaveLength(1);
    expect(isOrdersAlert(alerts[0])).toBe(true);
    expect(listedOrders(alerts[0]).map((o) => [o.record_id, o.customer, o.status])).toEqual([[rejected.record_id, 'alpha', 'rejected']]);
    const fullList = /Full list: `(s3:\/\/[^`]+)`/.exec(alerts[0].raw)?.[1];
    expect(fullList).toBe(`s3://${system.endpoints.bucketName}/runs/auction=${auctionId}/${run.name}/failed-orders.json`);
    const failed = JSON.parse(await readS3Url(system, fullList!)) as Array<Record<string, unknown>>;
    expect(failed).toEqual([expect.objectContaining({ customer: 'alpha', record_id: rejected.record_id, status: 'rejected', result: rejected.result })]);
  });

  it('lists the run and returns its history in causal order through the Step Functions API', async () => {
    const { executions = [] } = await system.sfn.send(new ListExecutionsCommand({ stateMachineArn: system.endpoints.stateMachineArn }));
    expect(executions.find((e) => e.name === run.name)).toMatchObject({ status: 'SUCCEEDED', executionArn: run.executionArn });

    const events = await historyOf(system, run.executionArn);
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('ExecutionStarted');
    expect(types[types.length - 1]).toBe('ExecutionSucceeded');
    expect(types.filter((t) => t === 'MapIterationStarted')).toHaveLength(2);
    const entered = events.flatMap((e) => (e.stateEnteredEventDetails?.name ? [e.stateEnteredEventDetails.name] : []));
    const order = ['CloseAuction', 'GateSettle', 'SubmitOrders', 'FetchResults', 'StoreEachResult', 'FinalizeRun'].map((s) => entered.indexOf(s));
    expect(order.every((index, i) => index >= 0 && (i === 0 || index > order[i - 1]))).toBe(true);
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
  });

  it('takes nothing twice when the auction runs again (its scheduled run after the early close)', async () => {
    const final = await Promise.all(orders.map((o) => getOrder(system, 'alpha', o.record_id)));

    const again = await runAuction(system, { auction_id: auctionId }, 'again');

    expect(again.summary).toEqual({ auction_id: auctionId, execution_name: again.name, total: 0, accepted: 0, rejected: 0, failed: 0 });
    expect(await Promise.all(orders.map(async (o) => (await getOrder(system, 'alpha', o.record_id)).text))).toEqual(final.map((a) => a.text));
    expect((await platformSubmissions(system)).filter((s) => s.auction_id === auctionId).map((s) => s.order_id).sort()).toEqual(
      orders.map((o) => `alpha:${o.record_id}`).sort(),
    );
    expect(await noAlertFor(system, again.name)).toBe(true);
  });

  it('answers ExecutionDoesNotExist for an unknown execution', async () => {
    const unknown = run.executionArn.replace(run.name, 'no-such-run');

    await expect(system.sfn.send(new DescribeExecutionCommand({ executionArn: unknown }))).rejects.toBeInstanceOf(ExecutionDoesNotExist);
  });
});

describe('a run started by the hourly schedule', () => {
  it('runs the auction whose gate closure is the scheduled time', async () => {
    // EventBridge delivers the cron time with second precision, at or a little after the full hour.
    const gate = new Date(Math.floor(Date.now() / GATE_PERIOD_MS) * GATE_PERIOD_MS);
    const event = {
      version: '0',
      id: uniqueId('event'),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: new Date(gate.getTime() + 3000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: 'eu-west-1',
      resources: ['arn:aws:events:eu-west-1:000000000000:rule/schedule'],
      detail: {},
    };

    const run = await runAuction(system, event, 'scheduled');

    expect(run.summary).toEqual({ auction_id: auctionIdOf(gate), execution_name: run.name, total: 0, accepted: 0, rejected: 0, failed: 0 });
  });
});

describe('a run whose input names no auction', () => {
  it('fails with AuctionNotClosed, and the status rule alerts it once', async () => {
    const run = await runAuction(system, { auction_id: 'tomorrow' }, 'bad-input');

    expect({ status: run.status, error: run.error }).toEqual({ status: 'FAILED', error: 'AuctionNotClosed' });
    expect(await statesEntered(system, run.executionArn)).not.toContain('SubmitOrders');
    const alerts = await alertsFor(system, run.name);
    expect(alerts).toHaveLength(1);
    expect(isStatusAlert(alerts[0])).toBe(true);
    expect(alerts[0].text).toContain('AuctionNotClosed');
  });
});
