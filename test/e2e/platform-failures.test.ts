// Scenarios (runtime in the test process, the platform switched per test with setFunctionEnv): a platform that cannot be reached when the orders are handed over fails the run with OrdersNotSubmitted, and when asked for results with ResultsNotFetched, each failing the run's orders with its reason and alerting once; a platform that never becomes ready is asked 30 times, then the run fails with ResultsNotReady, every order is `failed` with reason ResultsNotReady and ONE alert names them (beside the status rule's message); a malformed answer fails the run with InvalidAuctionResults, stores nothing and fails every order with that reason; orders the platform never answers for (PLATFORM_NO_RESULT_SHARE 0.5) fail with NoResult while the answered ones are accepted or rejected, and the alert lists both kinds.
import { createServer, type AddressInfo } from 'node:net';
import {
  alertsFor,
  type Customer,
  historyOf,
  isOrdersAlert,
  isStatusAlert,
  listedOrders,
  listKeys,
  makeOrders,
  orderOf,
  type OrderInput,
  platformPolls,
  postOrders,
  type Run,
  runAuction,
  startSystem,
  statesEntered,
  type System,
  uniqueId,
} from './lifecycle';

let system: System;

beforeAll(async () => {
  system = await startSystem({ inProcess: true });
});

afterAll(async () => {
  await system?.stop();
});

/** POSTs the orders (customer, orders) and answers the auction they went to. */
async function postAll(batches: Array<[Customer, OrderInput[]]>): Promise<string> {
  for (const [customer, orders] of batches) expect((await postOrders(system, customer, orders)).status).toBe(201);
  const [customer, orders] = batches[0];
  return (await orderOf(system, customer, orders[0].record_id)).auction_id;
}

async function statusesOf(batches: Array<[Customer, OrderInput[]]>) {
  const rows = await Promise.all(batches.flatMap(([customer, orders]) => orders.map(async (o) => ({ customer, ...(await orderOf(system, customer, o.record_id)) }))));
  return rows;
}

/** A local URL nothing listens on: every request to it is refused. */
async function unreachableUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}/v1/`;
}

describe.each([
  ['when the orders are handed over', 'submit-orders', 'OrdersNotSubmitted', 'NotSubmitted'],
  ['when asked for results', 'fetch-results', 'ResultsNotFetched', 'ResultsNotFetched'],
])('a platform that cannot be reached %s', (_when, fn, error, reason) => {
  const batches: Array<[Customer, OrderInput[]]> = [['alpha', makeOrders(uniqueId(`unreachable-${fn}`), 2)]];
  let run: Run;

  beforeAll(async () => {
    // One attempt per call, so the adapter's own backoff (real time) does not slow the test down.
    system.setFunctionEnv(fn, { PLATFORM_BASE_URL: await unreachableUrl(), PLATFORM_MAX_ATTEMPTS: '1' });
    await postAll(batches);
    run = await runAuction(system, { close: 'now' }, `unreachable-${fn}`);
  });

  // Back to the template's platform URL. (setFunctionEnv(fn, {}) would leave the override in place: a
  // runtime finding; replacing it with another variable works.)
  afterAll(() => system.setFunctionEnv(fn, { PLATFORM_MAX_ATTEMPTS: '1' }));

  it(`fails the run with ${error} and every order of it with reason ${reason}`, async () => {
    expect({ status: run.status, error: run.error }).toEqual({ status: 'FAILED', error });
    for (const order of await statusesOf(batches)) expect(order).toMatchObject({ status: 'failed', reason });
  });

  it('sends ONE alert naming the orders, beside the status rule\'s message', async () => {
    const alerts = await alertsFor(system, run.name, 2);

    expect(alerts.filter(isStatusAlert)).toHaveLength(1);
    const ordersAlerts = alerts.filter(isOrdersAlert);
    expect(ordersAlerts).toHaveLength(1);
    expect(listedOrders(ordersAlerts[0]).map((o) => [o.record_id, o.status]).sort()).toEqual(batches[0][1].map((o) => [o.record_id, 'failed']).sort());
  });
});

describe('a platform that never has results', () => {
  const batches: Array<[Customer, OrderInput[]]> = [['alpha', makeOrders(uniqueId('never-a'), 2)], ['beta', makeOrders(uniqueId('never-b'), 1)]];
  let auctionId: string;
  let run: Run;

  beforeAll(async () => {
    system.setFunctionEnv('auction-platform', { PLATFORM_READY_AFTER_POLLS: '1000000' });
    auctionId = await postAll(batches);
    run = await runAuction(system, { close: 'now' }, 'never-ready');
  });

  it('is asked 30 times, then the run fails with ResultsNotReady', async () => {
    expect({ status: run.status, error: run.error }).toEqual({ status: 'FAILED', error: 'ResultsNotReady' });
    expect((await statesEntered(system, run.executionArn)).filter((s) => s === 'FetchResults')).toHaveLength(30);
    expect(await platformPolls(system, auctionId)).toBe(30);
  });

  it('fails every order of the run with reason ResultsNotReady', async () => {
    for (const order of await statusesOf(batches)) {
      expect(order).toMatchObject({ status: 'failed', reason: 'ResultsNotReady', auction_id: auctionId, submitted_at: expect.any(String) });
      expect(order.result).toBeUndefined();
    }
  });

  it('sends ONE alert naming every failed order, beside the status rule\'s message about the run', async () => {
    const alerts = await alertsFor(system, run.name, 2);

    expect(alerts).toHaveLength(2);
    const [ordersAlert] = alerts.filter(isOrdersAlert);
    expect(alerts.filter(isStatusAlert)).toHaveLength(1);
    expect(alerts.filter(isStatusAlert)[0].text).toContain('ResultsNotReady');
    const listed = listedOrders(ordersAlert);
    expect(listed.map((o) => [o.customer, o.record_id, o.status]).sort()).toEqual(
      batches.flatMap(([customer, orders]) => orders.map((o) => [customer, o.record_id, 'failed'])).sort(),
    );
    expect(listed.every((o) => o.line.includes('ResultsNotReady'))).toBe(true);
  });
});

describe('a platform answering malformed results', () => {
  const batches: Array<[Customer, OrderInput[]]> = [['alpha', makeOrders(uniqueId('malformed'), 3)]];
  let auctionId: string;
  let run: Run;

  beforeAll(async () => {
    system.setFunctionEnv('auction-platform', { PLATFORM_MALFORMED_SHARE: '1' });
    auctionId = await postAll(batches);
    run = await runAuction(system, { close: 'now' }, 'malformed');
  });

  it('fails the run with InvalidAuctionResults at the first answer, storing nothing', async () => {
    expect({ status: run.status, error: run.error }).toEqual({ status: 'FAILED', error: 'InvalidAuctionResults' });
    expect((await statesEntered(system, run.executionArn)).filter((s) => s === 'FetchResults')).toHaveLength(1);
    // fetch-results hands on an excerpt of what the platform said, for the history and the logs.
    const exited = (await historyOf(system, run.executionArn)).find((e) => e.type === 'TaskStateExited' && e.stateExitedEventDetails?.name === 'FetchResults');
    const answer = (JSON.parse(String(exited?.stateExitedEventDetails?.output)) as { auction: { results: unknown; invalid: string } }).auction;
    expect(answer).toEqual({ results: 'invalid', invalid: expect.stringMatching(/^page 1: \{"results":/) });
    expect((await listKeys(system, system.endpoints.bucketName, `results/auction=${auctionId}/`)).keys).toEqual([]);
  });

  it('fails every order with reason InvalidAuctionResults and alerts once about them', async () => {
    for (const order of await statusesOf(batches)) expect(order).toMatchObject({ status: 'failed', reason: 'InvalidAuctionResults' });
    const ordersAlerts = (await alertsFor(system, run.name, 2)).filter(isOrdersAlert);
    expect(ordersAlerts).toHaveLength(1);
    expect(listedOrders(ordersAlerts[0]).map((o) => o.record_id).sort()).toEqual(batches[0][1].map((o) => o.record_id).sort());
  });
});

describe('a platform that answers for only some orders', () => {
  // Of 4 orders round(4 x 0.5) = 2 get no answer; of the 2 answered, round(2 x 0.5) = 1 is rejected.
  const batches: Array<[Customer, OrderInput[]]> = [['beta', makeOrders(uniqueId('partial'), 4)]];
  let auctionId: string;
  let run: Run;

  beforeAll(async () => {
    system.setFunctionEnv('auction-platform', { PLATFORM_NO_RESULT_SHARE: '0.5', PLATFORM_REJECTED_SHARE: '0.5' });
    auctionId = await postAll(batches);
    run = await runAuction(system, { close: 'now' }, 'no-result');
  });

  it('succeeds, counting the unanswered orders as failed', () => {
    expect(run.summary).toEqual({ auction_id: auctionId, execution_name: run.name, total: 4, accepted: 1, rejected: 1, failed: 2 });
  });

  it('fails the unanswered orders with reason NoResult and keeps the platform\'s answer on the others', async () => {
    const orders = await statusesOf(batches);
    const failed = orders.filter((o) => o.status === 'failed');

    expect(failed).toHaveLength(2);
    for (const order of failed) {
      expect(order.reason).toBe('NoResult');
      expect(order.result).toBeUndefined();
    }
    expect(orders.filter((o) => o.status === 'accepted').map((o) => o.result_key)).toEqual([expect.stringContaining(`results/auction=${auctionId}/customer=beta/`)]);
    expect(orders.filter((o) => o.status === 'rejected').map((o) => o.result?.status)).toEqual(['rejected']);
  });

  it('sends ONE alert listing the rejected order and the two NoResult failures', async () => {
    const orders = await statusesOf(batches);

    const alerts = await alertsFor(system, run.name);

    expect(alerts).toHaveLength(1);
    const listed = listedOrders(alerts[0]);
    expect(listed.map((o) => [o.record_id, o.status]).sort()).toEqual(orders.filter((o) => o.status !== 'accepted').map((o) => [o.record_id, o.status]).sort());
    expect(listed.filter((o) => o.status === 'failed').every((o) => o.line.includes('NoResult'))).toBe(true);
  });
});
