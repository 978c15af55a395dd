// Scenarios: 16 concurrent POST /orders of 25 unique orders each while DynamoDB is stopped part-way and started again -> every answer is 201 or 503 with Retry-After and the SPEC error shape (never 500); clients repeat 503s with the same body; afterwards every order acknowledged with 201 is in the table as `received` in an hourly auction and the table holds nothing that was never sent; a GET while DynamoDB is down -> 503 with Retry-After in the error shape, and the order again once it is back.
import { errorShape, getOrder, makeOrders, postOrders, scanOrders, startSystem, type System, uniqueId } from './lifecycle';

// Four sandboxes serve post-orders locally: 16 requests in flight keep every wait far below the gateway's
// 29 s integration timeout even on a busy machine, so each answer is the handler's own (201 or 503).
const REQUESTS = 16;
const ORDERS_PER_REQUEST = 25;
const MAX_ATTEMPTS = 5;
// DynamoDB stops once this many requests have been answered, so the outage falls in the middle of the ingest.
const STOP_AFTER_ANSWERS = 4;
// ...and starts again once this many 503s were answered, or when no request is left in flight.
const START_AFTER_503S = 3;

let runtime: System;

beforeAll(async () => {
  // A short write budget so requests that meet the outage give up (503) quickly; the logic is the same as with the default.
  runtime = await startSystem({ inProcess: true, faultInjection: true, functionEnv: { 'post-orders': { WRITE_RETRY_BUDGET_MS: '300' } } });
});

afterEach(async () => {
  await runtime.faults!.clear();
});

afterAll(async () => {
  await runtime?.stop();
});

/** Resolves once when `ready()` holds, checked whenever the counters change. */
class Trigger {
  private resolve!: () => void;
  readonly fired = new Promise<void>((r) => (this.resolve = r));
  private done = false;
  constructor(
    private readonly ready: () => boolean,
    private readonly action: () => Promise<void>,
  ) {}
  check(): void {
    if (this.done || !this.ready()) return;
    this.done = true;
    void this.action().then(this.resolve);
  }
}

it('acknowledges only stored orders and answers 503, never 500, while DynamoDB is down', async () => {
  const prefix = uniqueId('fault-ddb');
  const bodies = Array.from({ length: REQUESTS }, (_, r) => makeOrders(`${prefix}-${r}`, ORDERS_PER_REQUEST));
  const answers: Array<{ request: number; status: number; retryAfter: string | null; body: unknown }> = [];
  const acknowledged = new Set<string>();
  let inFlight = 0;
  let waitingForDynamo = 0;

  const stop = new Trigger(() => answers.length >= STOP_AFTER_ANSWERS, () => runtime.faults!.stopDynamo());
  const start = new Trigger(
    () => answers.filter((a) => a.status === 503).length >= START_AFTER_503S || (inFlight === 0 && waitingForDynamo > 0),
    async () => {
      await stop.fired;
      await runtime.faults!.startDynamo();
    },
  );
  const changed = () => {
    stop.check();
    start.check();
  };

  const client = async (request: number): Promise<number> => {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      inFlight++;
      const res = await postOrders(runtime, 'default', bodies[request]);
      inFlight--;
      answers.push({ request, status: res.status, retryAfter: res.headers['retry-after'] ?? null, body: res.json });
      if (res.status === 201) for (const order of bodies[request]) acknowledged.add(order.record_id);
      if (res.status !== 503) {
        changed();
        return res.status;
      }
      // Retry-After says when; the test instead repeats as soon as DynamoDB is back, so it never sleeps.
      waitingForDynamo++;
      changed();
      await start.fired;
      waitingForDynamo--;
    }
    return 503;
  };

  const finals = await Promise.all(bodies.map((_, r) => client(r)));

  const statuses = new Set(answers.map((a) => a.status));
  expect([...statuses].filter((s) => s !== 201 && s !== 503)).toEqual([]);
  const unavailable = answers.filter((a) => a.status === 503);
  expect(unavailable.length).toBeGreaterThan(0); // the outage was really hit
  for (const answer of unavailable) {
    expect(Number(answer.retryAfter)).toBeGreaterThan(0);
    expect(answer.body).toEqual({ error: { code: 'SERVICE_UNAVAILABLE', message: expect.any(String), details: [] } });
  }
  expect(finals).toEqual(Array(REQUESTS).fill(201));

  const items = (await scanOrders(runtime)).filter((o) => o.record_id.startsWith(prefix));
  const stored = new Set(items.map((o) => o.record_id));
  const sent = new Set(bodies.flat().map((o) => o.record_id));
  expect([...acknowledged].filter((id) => !stored.has(id))).toEqual([]);
  expect([...stored].filter((id) => !sent.has(id))).toEqual([]);
  expect(stored.size).toBe(REQUESTS * ORDERS_PER_REQUEST);
  for (const item of items) expect(item).toMatchObject({ customer: 'default', status: 'received', auction_id: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}00Z$/) });
});

it('answers a GET 503 with Retry-After while DynamoDB is down, and the order once it is back', async () => {
  const [order] = makeOrders(uniqueId('fault-get'), 1);
  expect((await postOrders(runtime, 'default', [order])).status).toBe(201);
  await runtime.faults!.stopDynamo();

  const down = await getOrder(runtime, 'default', order.record_id);

  expect([down.status, down.json]).toEqual([503, errorShape('SERVICE_UNAVAILABLE')]);
  expect(Number(down.headers['retry-after'])).toBeGreaterThan(0);
  expect(down.text).not.toMatch(/dynamo|ECONNREFUSED|stack/i);
  await runtime.faults!.startDynamo();
  expect((await getOrder(runtime, 'default', order.record_id)).json).toMatchObject({ record_id: order.record_id, status: 'received' });
});
