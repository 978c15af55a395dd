// Scenarios: S3 PUTs of 2 of 6 accepted results fail always (500) -> store-result is retried (4 invocations of 3 SDK attempts each, counted from the PUTs S3 saw), those 2 orders end `failed` with reason ResultStoreUnavailable (GET, summary, ONE alert naming exactly them) while the other 4 are accepted and stored once each; the same 2 keys failing once (503 SlowDown) -> the SDK's retry stores everything, nothing fails, no alert.
import {
  alertsFor,
  listedOrders,
  listKeys,
  makeOrders,
  noAlertFor,
  orderOf,
  postOrders,
  runAuction,
  startSystem,
  type System,
  uniqueId,
} from './lifecycle';

// The Map's StoreResult task: 1 invocation + 3 retries on ResultStoreUnavailable; the AWS SDK's standard
// retry mode makes 3 attempts per PutObject on a 5xx before store-result sees the error.
const INVOCATIONS = 4;
const SDK_ATTEMPTS = 3;

let system: System;

beforeAll(async () => {
  system = await startSystem({ inProcess: true, faultInjection: true, functionEnv: { 'auction-platform': { PLATFORM_REJECTED_SHARE: '0' } } });
});

afterEach(async () => {
  await system.faults!.clear();
});

afterAll(async () => {
  await system?.stop();
});

/** 6 orders of which the ones at `failing` get S3 faults on their result keys. */
function scenario(label: string) {
  const orders = makeOrders(uniqueId(label), 6);
  const failing = [orders[1], orders[3]];
  const keyPattern = new RegExp(`^results/auction=[^/]+/customer=default/(${failing.map((o) => o.record_id).join('|')})\\.json$`);
  const putsOf = (recordId: string) => system.faults!.s3Puts().filter((p) => p.key.endsWith(`/customer=default/${recordId}.json`));
  return { orders, failing, keyPattern, putsOf };
}

it('retries the failing results, records them as failed with ResultStoreUnavailable, stores the others and alerts once', async () => {
  const { orders, failing, keyPattern, putsOf } = scenario('s3-always');
  system.faults!.failS3Puts({ keyPattern, times: 'always', status: 500 });
  expect((await postOrders(system, 'default', orders)).status).toBe(201);

  const run = await runAuction(system, { close: 'now' }, 's3-always');

  expect(run.summary).toMatchObject({ total: 6, accepted: 4, rejected: 0, failed: 2 });
  const stored = orders.filter((o) => !failing.includes(o));
  for (const order of failing) {
    expect(await orderOf(system, 'default', order.record_id)).toMatchObject({ status: 'failed', reason: 'ResultStoreUnavailable' });
    const puts = putsOf(order.record_id);
    expect(puts).toHaveLength(INVOCATIONS * SDK_ATTEMPTS);
    expect(puts.every((p) => p.status === 500)).toBe(true);
  }
  for (const order of stored) {
    expect(await orderOf(system, 'default', order.record_id)).toMatchObject({ status: 'accepted' });
    expect(putsOf(order.record_id).map((p) => p.status)).toEqual([200]);
  }
  const { keys } = await listKeys(system, system.endpoints.bucketName, `results/auction=${run.summary!.auction_id}/`);
  expect(keys.sort()).toEqual(stored.map((o) => `results/auction=${run.summary!.auction_id}/customer=default/${o.record_id}.json`).sort());

  const alerts = await alertsFor(system, run.name);
  expect(alerts).toHaveLength(1);
  const listed = listedOrders(alerts[0]);
  expect(listed.map((o) => [o.record_id, o.status]).sort()).toEqual(failing.map((o) => [o.record_id, 'failed']).sort());
  expect(listed.every((o) => o.line.includes('ResultStoreUnavailable'))).toBe(true);
});

it('stores everything when the same keys fail only once, and sends no alert', async () => {
  const { orders, failing, keyPattern, putsOf } = scenario('s3-once');
  system.faults!.failS3Puts({ keyPattern, times: 1, status: 503 });
  expect((await postOrders(system, 'default', orders)).status).toBe(201);

  const run = await runAuction(system, { close: 'now' }, 's3-once');

  expect(run.summary).toMatchObject({ total: 6, accepted: 6, rejected: 0, failed: 0 });
  for (const order of orders) expect(await orderOf(system, 'default', order.record_id)).toMatchObject({ status: 'accepted' });
  for (const order of failing) expect(putsOf(order.record_id).map((p) => p.status)).toEqual([503, 200]);
  expect(await noAlertFor(system, run.name)).toBe(true);
});
