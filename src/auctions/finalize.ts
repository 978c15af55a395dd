import type { AuctionId } from './auction-id';
import type { AuctionStore } from './auction-store';
import { forEachLimited } from './submit-orders';
import type { FailedOrder, FailedOrdersAlert, RunSummary } from './run';
import type { FailureReason, StoredOrder } from '../orders/order';

export interface FinalizeDeps {
  readonly orders: AuctionStore;
  readonly now: () => Date;
  /** Orders listed in the alert itself; the full list goes to S3. */
  readonly alertLimit: number;
  /** Writes the full list of failed orders and answers its `s3://` location. */
  readonly writeFailedList: (failed: FailedOrder[]) => Promise<string>;
  readonly concurrency?: number;
}

export interface FinalizedRun {
  readonly summary: RunSummary;
  /** Present when any order was rejected or failed: the ONE alert of the run. */
  readonly alert?: FailedOrdersAlert;
  /** Orders this call moved from submitted to failed. */
  readonly failedNow: number;
}

const byOrder = (a: FailedOrder, b: FailedOrder) =>
  a.customer === b.customer ? (a.record_id < b.record_id ? -1 : 1) : a.customer < b.customer ? -1 : 1;

/**
 * The end of every run, whatever happened (SPEC 2.3.4-5): the orders this execution submitted that are
 * still `submitted` fail with `reason`, then the summary is counted from the orders themselves (the one
 * place it is computed) and the rejected and failed ones become one alert. Orders still `received` are
 * not this run's: they arrived after the gate and belong to the next one. Nor are orders another
 * execution submitted: a scheduled run of an auction that a "close now" run took early must not fail
 * (or alert about) the orders that run is still storing.
 */
export async function finalizeAuction(auctionId: AuctionId, executionName: string, reason: FailureReason, deps: FinalizeDeps): Promise<FinalizedRun> {
  const now = deps.now();
  const orders: StoredOrder[] = [];
  for await (const page of deps.orders.ordersOf(auctionId)) {
    orders.push(...page.filter((o) => o.status !== 'received' && o.submitted_by === executionName));
  }

  let failedNow = 0;
  await forEachLimited(orders.filter((o) => o.status === 'submitted'), deps.concurrency ?? 32, async (order) => {
    if (await deps.orders.failIfSubmitted(order, auctionId, reason, now)) {
      Object.assign(order, { status: 'failed', reason });
      failedNow++;
    }
  });

  const count = (status: StoredOrder['status']) => orders.filter((o) => o.status === status).length;
  const summary: RunSummary = {
    auction_id: auctionId,
    execution_name: executionName,
    total: orders.length,
    accepted: count('accepted'),
    rejected: count('rejected'),
    // A submitted order another writer still holds counts as failed: the run is over for it.
    failed: count('failed') + count('submitted'),
  };
  const failed: FailedOrder[] = orders
    .filter((o) => o.status === 'rejected' || o.status === 'failed' || o.status === 'submitted')
    .map((o) => ({
      customer: o.customer,
      record_id: o.record_id,
      status: o.status === 'rejected' ? 'rejected' : 'failed',
      parameter_1: o.parameter_1,
      parameter_2: o.parameter_2,
      ...(o.result ? { result: o.result } : {}),
      ...(o.status === 'rejected' ? {} : { reason: o.reason ?? reason }),
    } satisfies FailedOrder))
    .sort(byOrder);
  if (failed.length === 0) return { summary, failedNow };

  const fullList = await deps.writeFailedList(failed);
  const alert: FailedOrdersAlert = {
    kind: 'failed-orders',
    summary,
    orders: failed.slice(0, deps.alertLimit),
    more: Math.max(0, failed.length - deps.alertLimit),
    full_list: fullList,
  };
  return { summary, alert, failedNow };
}
