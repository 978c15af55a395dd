// Scenarios: concurrent POSTs keep arriving while one run closes the open auction and then while a second run closes the next one -> every order acknowledged with 201 ends in exactly one of the two auctions with a final status (counted by that run's summary) or is still `received` in the auction that is open now; none is lost, left `submitted`, or handed to the platform twice (its bucket lists each order once, in the order's auction).
import {
  countBy,
  makeOrders,
  orderOf,
  type OrderInput,
  platformSubmissions,
  postOrders,
  type Run,
  runAuction,
  scanOrders,
  shiftAuction,
  startRun,
  startSystem,
  statesEntered,
  type System,
  type TableOrder,
  uniqueId,
  waitForRun,
} from './lifecycle';
import { sleep, waitFor } from './harness';

const WORKERS = 3;
const ORDERS_PER_REQUEST = 2;
const PAUSE_MS = 250;

let system: System;

beforeAll(async () => {
  // Waits scaled to a tenth (the 35 s gate settle takes 3.5 s): the run waits out the POSTs that saw the
  // auction open, as in AWS. The platform has results at the first poll.
  system = await startSystem({ timeScale: 0.1, functionEnv: { 'auction-platform': { PLATFORM_READY_AFTER_POLLS: '0' } } });
});

afterAll(async () => {
  await system?.stop();
});

describe('POSTs racing two gate closures', () => {
  const prefix = uniqueId('race');
  const acknowledged = new Set<string>();
  const statuses: number[] = [];
  const first = makeOrders(`${prefix}-first`, 3);
  const between = makeOrders(`${prefix}-between`, 3);
  const last = makeOrders(`${prefix}-last`, 3);
  let runs: Run[];
  let orders: Map<string, TableOrder>;
  let open: string[];

  async function post(batch: OrderInput[]): Promise<void> {
    const answer = await postOrders(system, 'default', batch);
    statuses.push(answer.status);
    if (answer.status === 201) batch.forEach((o) => acknowledged.add(o.record_id));
  }

  beforeAll(async () => {
    await post(first);
    let posting = true;
    const workers = Array.from({ length: WORKERS }, async (_, w) => {
      for (let request = 0; posting; request++) {
        await post(makeOrders(`${prefix}-w${w}-r${request}`, ORDERS_PER_REQUEST));
        await sleep(PAUSE_MS);
      }
    });
    try {
      await waitFor('the storm to start', async () => (acknowledged.size >= first.length + 2 * ORDERS_PER_REQUEST ? true : undefined));
      const one = await runAuction(system, { close: 'now' }, 'race-1');
      await post(between);
      const two = await startRun(system, { close: 'now' }, 'race-2');
      // The storm goes on for a second after the second gate closed, into the auction that is open then.
      await waitFor('run 2 to close its auction', async () => ((await statesEntered(system, two.executionArn)).includes('GateSettle') ? true : undefined));
      await sleep(1000);
      posting = false;
      await Promise.all(workers);
      runs = [one, await waitForRun(system, two)];
    } finally {
      posting = false;
      await Promise.all(workers);
    }
    await post(last);
    const mine = (await scanOrders(system)).filter((o) => o.record_id.startsWith(prefix));
    orders = new Map(mine.map((o) => [o.record_id, o]));
    open = [shiftAuction(runs[0].summary!.auction_id, 1), shiftAuction(runs[0].summary!.auction_id, 2)];
  });

  it('acknowledges every request and closes two consecutive auctions', () => {
    expect(runs.map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(runs[1].summary!.auction_id).toBe(open[0]);
    expect(statuses.filter((s) => s !== 201)).toEqual([]);
    console.log(`gate race: ${acknowledged.size} orders acknowledged, runs of ${runs.map((r) => r.summary!.total).join(' and ')}`);
  });

  it('stores every acknowledged order once, and nothing else', () => {
    expect([...acknowledged].filter((id) => !orders.has(id))).toEqual([]);
    expect([...orders.keys()].filter((id) => !acknowledged.has(id))).toEqual([]);
  });

  it('ends every order in one closed auction with a final status, or received in the open auction', () => {
    const [one, two] = runs;
    const where = (o: TableOrder) => {
      if (o.status === 'received') return o.auction_id === open[1] ? 'open' : `received in closed ${o.auction_id}`;
      if (!['accepted', 'rejected', 'failed'].includes(String(o.status))) return `${o.status} in ${o.auction_id}`;
      if (o.auction_id === one.summary!.auction_id && o.submitted_by === one.name) return 'run 1';
      if (o.auction_id === two.summary!.auction_id && o.submitted_by === two.name) return 'run 2';
      return `${o.status} in ${o.auction_id} by ${o.submitted_by}`;
    };
    const placed = countBy([...orders.values()], where);

    expect(Object.keys(placed).sort()).toEqual(['open', 'run 1', 'run 2']);
    // The orders POSTed before, between and after the runs landed where they must.
    expect(first.map((o) => where(orders.get(o.record_id)!))).toEqual(['run 1', 'run 1', 'run 1']);
    expect(between.map((o) => where(orders.get(o.record_id)!))).toEqual(['run 2', 'run 2', 'run 2']);
    expect(last.map((o) => where(orders.get(o.record_id)!))).toEqual(['open', 'open', 'open']);
  });

  it('counts exactly each run\'s orders in its summary', () => {
    for (const run of runs) {
      const taken = [...orders.values()].filter((o) => o.submitted_by === run.name);
      const counts = countBy(taken, (o) => o.status);
      expect(run.summary).toEqual({
        auction_id: run.summary!.auction_id,
        execution_name: run.name,
        total: taken.length,
        accepted: counts.accepted ?? 0,
        rejected: counts.rejected ?? 0,
        failed: 0,
      });
    }
  });

  it('hands each order to the platform once, in its own auction, and no received order at all', async () => {
    const submissions = (await platformSubmissions(system)).filter((s) => s.order_id.startsWith(`default:${prefix}`));
    const perOrder = countBy(submissions, (s) => s.order_id);

    expect(Object.entries(perOrder).filter(([, n]) => n > 1)).toEqual([]);
    const final = [...orders.values()].filter((o) => o.status !== 'received');
    expect(Object.keys(perOrder).sort()).toEqual(final.map((o) => `default:${o.record_id}`).sort());
    for (const s of submissions) expect(s.auction_id).toBe(orders.get(s.order_id.slice('default:'.length))!.auction_id);
  });

  it('shows the same through GET', async () => {
    const sample = [...first, ...between, ...last].map((o) => o.record_id);
    for (const id of sample) {
      const order = await orderOf(system, 'default', id);
      expect([order.status, order.auction_id]).toEqual([orders.get(id)!.status, orders.get(id)!.auction_id]);
    }
  });
});
