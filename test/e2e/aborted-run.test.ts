// Scenarios: while a run waits for results its orders are `submitted` and binding (a re-POST -> 409 ORDER_LOCKED, nothing changed); the run stopped with StopExecution ends ABORTED, the execution-status rule invokes finalize-auction, which fails every order with reason RunAborted and sends ONE alert naming them, beside the rule's message about the aborted run.
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import {
  alertsFor,
  errorShape,
  getOrder,
  historyOf,
  isOrdersAlert,
  isStatusAlert,
  listedOrders,
  makeOrders,
  orderOf,
  postOrders,
  startRun,
  startSystem,
  type System,
  uniqueId,
  waitForRun,
} from './lifecycle';
import { waitFor } from './harness';

let system: System;

beforeAll(async () => {
  // Waits really wait (scaled down), and the platform never has results, so the run is still polling when stopped.
  system = await startSystem({ timeScale: 0.05, functionEnv: { 'auction-platform': { PLATFORM_READY_AFTER_POLLS: '1000000' } } });
});

afterAll(async () => {
  await system?.stop();
});

it('keeps submitted orders binding, and finalizes and alerts an aborted run', async () => {
  const orders = makeOrders(uniqueId('aborted'), 2);
  expect((await postOrders(system, 'alpha', orders)).status).toBe(201);
  const execution = await startRun(system, { close: 'now' }, 'aborted');
  await waitFor('the run to wait for results', async () => {
    const events = await historyOf(system, execution.executionArn, false);
    return events.some((e) => e.type === 'WaitStateEntered' && e.stateEnteredEventDetails?.name === 'WaitForResults') ? true : undefined;
  }, 60_000);

  // Submitted: binding, so a re-POST is refused and changes nothing.
  const submitted = await Promise.all(orders.map((o) => getOrder(system, 'alpha', o.record_id)));
  for (const answer of submitted) expect(answer.json).toMatchObject({ status: 'submitted', submitted_at: expect.any(String) });
  const refused = await postOrders(system, 'alpha', [{ ...orders[0], parameter_1: 'changed' }]);
  expect([refused.status, refused.json]).toEqual([409, errorShape('ORDER_LOCKED')]);
  expect((await getOrder(system, 'alpha', orders[0].record_id)).text).toBe(submitted[0].text);

  await system.sfn.send(new StopExecutionCommand({ executionArn: execution.executionArn }));
  const run = await waitForRun(system, execution);

  expect(run.status).toBe('ABORTED');
  const finished = await waitFor('the status rule to finalize the orders', async () => {
    const now = await Promise.all(orders.map((o) => orderOf(system, 'alpha', o.record_id)));
    return now.every((o) => o.status !== 'submitted') ? now : undefined;
  }, 60_000);
  for (const order of finished) expect(order).toMatchObject({ status: 'failed', reason: 'RunAborted' });

  const alerts = await alertsFor(system, run.name, 2);
  expect(alerts).toHaveLength(2);
  expect(alerts.filter(isStatusAlert).map((a) => a.text)).toEqual([expect.stringContaining('Execution ABORTED')]);
  const [ordersAlert] = alerts.filter(isOrdersAlert);
  expect(listedOrders(ordersAlert).map((o) => [o.record_id, o.status])).toEqual(orders.map((o) => [o.record_id, 'failed']));
  expect(listedOrders(ordersAlert).every((o) => o.line.includes('RunAborted'))).toBe(true);
});
