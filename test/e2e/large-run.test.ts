// Scenarios: a 10,000-order auction end to end: three customers POST it in requests of 1000, one run takes it through the S3 hand-over and the Distributed Map (20 child executions of 500), the summary counts 5000 accepted and 5000 rejected (share 0.5 per platform batch of 1000), S3 holds exactly one object per accepted order (a listing of several pages), every order has its final status, ONE alert lists the first 20 with "and N more" and the full list of all 5000 in S3, and every execution's history and largest state payload stay far below the Step Functions limits (localStatistics, GetExecutionHistory).
import { DescribeMapRunCommand, ListExecutionsCommand, ListMapRunsCommand } from '@aws-sdk/client-sfn';
import {
  alertsFor,
  type Customer,
  countBy,
  historyOf,
  listedOrders,
  listKeys,
  localStatistics,
  makeOrders,
  orderOf,
  postUntilAccepted,
  readS3Url,
  type Run,
  runAuction,
  scanOrders,
  startSystem,
  type System,
  type TableOrder,
  uniqueId,
} from './lifecycle';

const ORDERS = 10_000;
const PER_REQUEST = 1000;
const CUSTOMERS: Customer[] = ['default', 'alpha', 'beta'];
const HISTORY_LIMIT = 25_000;
const PAYLOAD_LIMIT = 256 * 1024;
/** "Far below": at most half of each limit. */
const MARGIN = 0.5;

let system: System;
let run: Run;
let orders: TableOrder[];
let auctionId: string;
const prefix = uniqueId('large');
const timings: string[] = [];

beforeAll(async () => {
  system = await startSystem();
  let started = Date.now();
  let attempts = 0;
  for (let request = 0; request < ORDERS / PER_REQUEST; request++) {
    const customer = CUSTOMERS[request % CUSTOMERS.length];
    attempts += await postUntilAccepted(system, customer, makeOrders(`${prefix}-${request}`, PER_REQUEST));
  }
  timings.push(`POST ${ORDERS} orders in ${attempts} requests: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  auctionId = (await orderOf(system, 'default', `${prefix}-0-0000`)).auction_id;
  started = Date.now();
  run = await runAuction(system, { close: 'now' }, 'large', 600_000);
  timings.push(`run: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  orders = (await scanOrders(system)).filter((o) => o.record_id.startsWith(prefix));
}, 900_000);

afterAll(async () => {
  console.log(`10,000-order auction: ${timings.join('; ')}`);
  await system?.stop();
});

it('succeeds with the summary of the whole auction', () => {
  expect({ status: run.status, error: run.error, cause: run.cause?.slice(0, 300) }).toEqual({ status: 'SUCCEEDED', error: undefined, cause: undefined });
  expect(run.summary).toEqual({ auction_id: auctionId, execution_name: run.name, total: ORDERS, accepted: 5000, rejected: 5000, failed: 0 });
});

it('gives every order its final status in the auction', () => {
  expect(orders).toHaveLength(ORDERS);
  expect(countBy(orders, (o) => `${o.status} in ${o.auction_id}`)).toEqual({ [`accepted in ${auctionId}`]: 5000, [`rejected in ${auctionId}`]: 5000 });
  expect(countBy(orders, (o) => o.customer)).toEqual({ default: 4000, alpha: 3000, beta: 3000 });
});

it('stores exactly one S3 object per accepted order, each under its customer', async () => {
  const listing = await listKeys(system, system.endpoints.bucketName, `results/auction=${auctionId}/`);

  expect(listing.pages).toBeGreaterThan(1);
  expect(listing.keys).toHaveLength(5000);
  expect(new Set(listing.keys)).toEqual(new Set(orders.filter((o) => o.status === 'accepted').map((o) => o.result_key)));
  expect(listing.keys.every((key) => /^results\/auction=[^/]+\/customer=(default|alpha|beta)\/[^/]+\.json$/.test(key))).toBe(true);
});

it('takes the orders through the Distributed Map in 20 child executions of 500', async () => {
  const { mapRuns = [] } = await system.sfn.send(new ListMapRunsCommand({ executionArn: run.executionArn }));
  expect(mapRuns).toHaveLength(1);
  const mapRun = await system.sfn.send(new DescribeMapRunCommand({ mapRunArn: mapRuns[0].mapRunArn }));

  expect(mapRun.itemCounts).toMatchObject({ total: ORDERS, succeeded: ORDERS, failed: 0 });
  expect(mapRun.executionCounts).toMatchObject({ total: 20, succeeded: 20, failed: 0 });
});

it('sends ONE alert listing the first 20 rejected orders, the count of the rest and the full list of all 5000', async () => {
  const alerts = await alertsFor(system, run.name);

  expect(alerts).toHaveLength(1);
  const listed = listedOrders(alerts[0]);
  expect(listed).toHaveLength(20);
  expect(listed.every((o) => o.status === 'rejected')).toBe(true);
  expect(alerts[0].raw).toContain('and 4980 more');
  const fullList = /Full list: `(s3:\/\/[^`]+)`/.exec(alerts[0].raw)?.[1];
  expect(fullList).toBe(`s3://${system.endpoints.bucketName}/runs/auction=${auctionId}/${run.name}/failed-orders.json`);
  const failed = JSON.parse(await readS3Url(system, fullList!)) as Array<{ customer: string; record_id: string; status: string }>;
  const rejected = orders.filter((o) => o.status === 'rejected').map((o) => `${o.customer}:${o.record_id}`);
  expect(failed.map((f) => `${f.customer}:${f.record_id}`).sort()).toEqual(rejected.sort());
  expect(failed.every((f) => f.status === 'rejected')).toBe(true);
  // The alert shows the first 20 of that list.
  expect(listed.map((o) => `${o.customer}:${o.record_id}`)).toEqual(failed.slice(0, 20).map((f) => `${f.customer}:${f.record_id}`));
});

it('keeps every execution far below 25,000 history events and 256 KiB of state payload', async () => {
  const { mapRuns = [] } = await system.sfn.send(new ListMapRunsCommand({ executionArn: run.executionArn }));
  const children = (await system.sfn.send(new ListExecutionsCommand({ mapRunArn: mapRuns[0].mapRunArn, maxResults: 1000 }))).executions ?? [];
  expect(children).toHaveLength(20);

  const parent = await localStatistics(system, run.executionArn);
  const perChild = await Promise.all(children.map((c) => localStatistics(system, String(c.executionArn))));
  const all = [parent, ...perChild];
  console.log(`10,000-order auction: history events parent ${parent.historyEventCount}, child max ${Math.max(...perChild.map((s) => s.historyEventCount))}; largest payload ${Math.max(...all.map((s) => s.maxStatePayloadBytes))} bytes`);

  for (const stats of all) {
    expect(stats.historyEventCount).toBeLessThan(HISTORY_LIMIT * MARGIN);
    expect(stats.maxStatePayloadBytes).toBeLessThan(PAYLOAD_LIMIT * MARGIN);
  }
  expect(perChild.every((s) => s.type === 'EXPRESS' && s.historyEventCount > 0)).toBe(true);
  // The runtime counts the events GetExecutionHistory returns, for the parent and for a child.
  const parentEvents = await historyOf(system, run.executionArn, false);
  expect(parentEvents).toHaveLength(parent.historyEventCount);
  expect(await historyOf(system, String(children[0].executionArn), false)).toHaveLength(perChild[0].historyEventCount);
  expect(parentEvents.map((e) => e.type)).toEqual(expect.arrayContaining(['MapRunStarted', 'MapRunSucceeded', 'ExecutionSucceeded']));
});
