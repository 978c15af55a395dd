// Scenarios: marks received orders of the auction and the past previous auction's stragglers as submitted; skips other statuses, other runs' and other auctions' orders; a retry re-sends what this execution marked under the same batch ids; batches of at most 1000 sorted by order id named run-<hash>-NNNN; a lost condition is not sent; a future previous auction is not swept (a previous gate at exactly now is); platform failure propagates and the retry recovers; 0 orders -> no platform call; handler: metric and InvalidTaskInput.
import type { Context } from 'aws-lambda';
import { submitOrders, type SubmitDeps } from '../../src/auctions/submit-orders';
import { createHandler } from '../../src/handlers/submit-orders';
import type { StoredOrder } from '../../src/orders/order';
import { PlatformUnavailable, type AuctionPlatform, type PlatformOrder, type ResultsAnswer } from '../../src/platform/platform';
import { logger, metrics } from '../../src/shared/powertools';
import { AUCTION, InMemoryAuctionStore, NEXT_AUCTION, PREVIOUS_AUCTION, storedOrder } from '../fixtures/auction-store';

const NOW = new Date('2026-12-01T21:00:30.000Z');
const NOW_ISO = '2026-12-01T21:00:30.000Z';
/** `run-` + the first 16 hex digits of sha256("exec-1"). */
const EXEC_1_BATCH = 'run-f42b7a9069c383bb';
const context = { functionName: 'submit-orders', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

interface Batch {
  auctionId: string;
  batchId: string;
  orders: PlatformOrder[];
}

/** Records every batch; fails the calls it is told to. */
class RecordingPlatform implements AuctionPlatform {
  readonly batches: Batch[] = [];
  readonly failures: Error[] = [];
  async submitBatch(auctionId: string, batchId: string, orders: readonly PlatformOrder[]): Promise<void> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.batches.push({ auctionId, batchId, orders: [...orders] });
  }
  async fetchResults(): Promise<ResultsAnswer> {
    throw new Error('submit-orders never asks for results');
  }
}

function setup(orders: StoredOrder[], now = NOW) {
  const store = new InMemoryAuctionStore(orders);
  const platform = new RecordingPlatform();
  const deps: SubmitDeps = { orders: store, platform, now: () => now, periodMinutes: 60 };
  return { store, platform, deps };
}

const sentIds = (platform: RecordingPlatform) => platform.batches.flatMap((b) => b.orders.map((o) => o.order_id));

describe('submitOrders', () => {
  beforeEach(() => jest.restoreAllMocks());

  it('marks the received orders of the auction and the stragglers of the past previous auction, and sends them', async () => {
    // Arrange
    const { store, platform, deps } = setup([
      storedOrder('a1', { parameter_1: 'x', parameter_2: '2.1' }),
      storedOrder('a2', { customer: 'beta', parameter_2: '-0.000001' }),
      // A POST that saw the previous gate open just before it closed.
      storedOrder('late', { auction_id: PREVIOUS_AUCTION, received_at: '2026-12-01T19:59:59.950Z', parameter_2: '12345678901234567890' }),
    ]);

    // Act
    const closed = await submitOrders(AUCTION, 'exec-1', deps);

    // Assert
    expect(closed).toEqual({ auction_id: AUCTION, submitted: 3 });
    expect(platform.batches).toEqual([{
      auctionId: AUCTION,
      batchId: `${EXEC_1_BATCH}-0000`,
      orders: [
        { order_id: 'alpha:a1', parameter_1: 'x', parameter_2: '2.1' },
        { order_id: 'alpha:late', parameter_1: 'abc', parameter_2: '12345678901234567890' },
        { order_id: 'beta:a2', parameter_1: 'abc', parameter_2: '-0.000001' },
      ],
    }]);
    for (const [customer, recordId] of [['alpha', 'a1'], ['beta', 'a2'], ['alpha', 'late']]) {
      expect(store.get(customer, recordId)).toMatchObject({ status: 'submitted', auction_id: AUCTION, submitted_at: NOW_ISO, submitted_by: 'exec-1' });
    }
  });

  it('skips orders that are already past received, submitted by another run, or in another auction', async () => {
    // Arrange
    const others = [
      storedOrder('done-1', { status: 'accepted', submitted_by: 'exec-0' }),
      storedOrder('done-2', { status: 'rejected', submitted_by: 'exec-0' }),
      storedOrder('done-3', { status: 'failed', submitted_by: 'exec-0', reason: 'NoResult' }),
      storedOrder('theirs', { status: 'submitted', submitted_by: 'exec-0' }),
      storedOrder('next', { auction_id: NEXT_AUCTION, received_at: '2026-12-01T21:00:10.000Z' }),
      storedOrder('old', { auction_id: '2026-12-01T1900Z', received_at: '2026-12-01T18:30:00.000Z' }),
    ];
    const { store, platform, deps } = setup([storedOrder('fresh'), ...others]);

    // Act
    const closed = await submitOrders(AUCTION, 'exec-1', deps);

    // Assert
    expect(closed.submitted).toBe(1);
    expect(sentIds(platform)).toEqual(['alpha:fresh']);
    for (const order of others) expect(store.get(order.customer, order.record_id)).toEqual(order);
  });

  it('re-sends what this execution already marked, under the same batch ids, when the step is retried', async () => {
    // Arrange
    const { store, platform, deps } = setup([
      storedOrder('b1', { status: 'submitted', submitted_by: 'exec-1', submitted_at: '2026-12-01T21:00:20.000Z' }),
      storedOrder('a1'),
    ]);

    // Act
    const first = await submitOrders(AUCTION, 'exec-1', deps);
    const retried = await submitOrders(AUCTION, 'exec-1', deps);

    // Assert
    expect(first).toEqual({ auction_id: AUCTION, submitted: 2 });
    expect(retried).toEqual(first);
    expect(platform.batches).toHaveLength(2);
    expect(platform.batches[0].batchId).toBe(`${EXEC_1_BATCH}-0000`);
    expect(platform.batches[1]).toEqual(platform.batches[0]);
    expect(sentIds(platform)).toEqual(['alpha:a1', 'alpha:b1', 'alpha:a1', 'alpha:b1']);
    // The earlier mark is kept, not rewritten.
    expect(store.get('alpha', 'b1')?.submitted_at).toBe('2026-12-01T21:00:20.000Z');
  });

  it('sends batches of at most 1000 orders sorted by order id, numbered from 0000', async () => {
    // Arrange: 2001 orders of two customers, stored out of order.
    const orders = Array.from({ length: 2001 }, (_, i) => storedOrder(`order-${String(2000 - i).padStart(4, '0')}`, { customer: i % 2 ? 'beta' : 'alpha' }));
    const { platform, deps } = setup(orders);

    // Act
    const closed = await submitOrders(AUCTION, 'exec-1', deps);

    // Assert
    expect(closed.submitted).toBe(2001);
    expect(platform.batches.map((b) => [b.batchId, b.orders.length])).toEqual([
      [`${EXEC_1_BATCH}-0000`, 1000],
      [`${EXEC_1_BATCH}-0001`, 1000],
      [`${EXEC_1_BATCH}-0002`, 1],
    ]);
    // alpha holds the even numbers (1001 orders), beta the odd ones (1000).
    expect(platform.batches[0].orders[0].order_id).toBe('alpha:order-0000');
    expect(platform.batches[0].orders[999].order_id).toBe('alpha:order-1998');
    expect(platform.batches[1].orders[0].order_id).toBe('alpha:order-2000');
    expect(platform.batches[1].orders[1].order_id).toBe('beta:order-0001');
    expect(platform.batches[2].orders).toEqual([{ order_id: 'beta:order-1999', parameter_1: 'abc', parameter_2: '4' }]);
    const ids = sentIds(platform);
    expect(new Set(ids).size).toBe(2001);
    expect(ids.every((id, i) => i === 0 || ids[i - 1] < id)).toBe(true);
  });

  it('names the batches after the execution', async () => {
    // Arrange
    const { platform, deps } = setup([storedOrder('a1')]);

    // Act
    await submitOrders(AUCTION, 'exec-2', deps);

    // Assert: `run-` + the first 16 hex digits of sha256("exec-2").
    expect(platform.batches.map((b) => b.batchId)).toEqual(['run-5d3d6a955f18eb68-0000']);
  });

  it('does not send an order whose conditional mark was lost to a concurrent replace', async () => {
    // Arrange: between the read and the mark, a POST replaces a2 into the next auction.
    const { store, platform, deps } = setup([storedOrder('a1'), storedOrder('a2')]);
    const mark = store.markSubmitted.bind(store);
    jest.spyOn(store, 'markSubmitted').mockImplementation(async (order, ...rest) => {
      if (order.record_id === 'a2') store.put(storedOrder('a2', { auction_id: NEXT_AUCTION, received_at: '2026-12-01T21:00:29.000Z', parameter_2: '5' }));
      return mark(order, ...rest);
    });

    // Act
    const closed = await submitOrders(AUCTION, 'exec-1', deps);

    // Assert
    expect(closed.submitted).toBe(1);
    expect(sentIds(platform)).toEqual(['alpha:a1']);
    expect(store.get('alpha', 'a2')).toMatchObject({ status: 'received', auction_id: NEXT_AUCTION, parameter_2: '5' });
  });

  it('does not sweep a previous auction whose gate is still in the future', async () => {
    // Arrange: a manual run of the 23:00 auction at 21:00:30; the 22:00 auction is still open.
    const later = '2026-12-01T2300Z';
    const { store, platform, deps } = setup([
      storedOrder('open', { auction_id: NEXT_AUCTION, received_at: '2026-12-01T21:00:10.000Z' }),
      storedOrder('named', { auction_id: later, received_at: '2026-12-01T21:00:05.000Z' }),
    ]);

    // Act
    const closed = await submitOrders(later, 'exec-1', deps);

    // Assert
    expect(closed).toEqual({ auction_id: later, submitted: 1 });
    expect(sentIds(platform)).toEqual(['alpha:named']);
    expect(store.get('alpha', 'open')).toMatchObject({ status: 'received', auction_id: NEXT_AUCTION });
  });

  it('sweeps a previous auction whose gate is exactly now', async () => {
    // Arrange
    const { store, deps } = setup([storedOrder('straggler')], new Date('2026-12-01T21:00:00.000Z'));

    // Act
    await submitOrders(NEXT_AUCTION, 'exec-1', deps);

    // Assert
    expect(store.get('alpha', 'straggler')).toMatchObject({ status: 'submitted', auction_id: NEXT_AUCTION });
  });

  it('lets a platform failure propagate, and the retry sends the marked orders under the same batch id', async () => {
    // Arrange
    const { store, platform, deps } = setup([storedOrder('a1'), storedOrder('a2')]);
    const down = new PlatformUnavailable('Platform answered 503 three times');
    platform.failures.push(down);

    // Act
    const failed = submitOrders(AUCTION, 'exec-1', deps);

    // Assert
    await expect(failed).rejects.toBe(down);
    expect(platform.batches).toEqual([]);
    expect(store.get('alpha', 'a1')).toMatchObject({ status: 'submitted', submitted_by: 'exec-1' });

    // Act: the state machine retries the step.
    const retried = await submitOrders(AUCTION, 'exec-1', deps);

    // Assert
    expect(retried.submitted).toBe(2);
    expect(platform.batches.map((b) => b.batchId)).toEqual([`${EXEC_1_BATCH}-0000`]);
    expect(sentIds(platform)).toEqual(['alpha:a1', 'alpha:a2']);
  });

  it('lets a store failure propagate before anything is sent', async () => {
    // Arrange
    const { store, platform, deps } = setup([storedOrder('a1')]);
    const unavailable = Object.assign(new Error('Orders table unavailable'), { name: 'OrderStoreUnavailable' });
    jest.spyOn(store, 'markSubmitted').mockRejectedValue(unavailable);

    // Act / Assert
    await expect(submitOrders(AUCTION, 'exec-1', deps)).rejects.toBe(unavailable);
    expect(platform.batches).toEqual([]);
  });

  it('calls no platform for an auction without orders', async () => {
    // Arrange
    const { platform, deps } = setup([]);
    const submit = jest.spyOn(platform, 'submitBatch');

    // Act
    const closed = await submitOrders(AUCTION, 'exec-1', deps);

    // Assert
    expect(closed).toEqual({ auction_id: AUCTION, submitted: 0 });
    expect(submit).not.toHaveBeenCalled();
  });
});

describe('submit-orders handler', () => {
  let addMetric: jest.SpyInstance;

  beforeAll(() => logger.setLogLevel('SILENT'));

  beforeEach(() => {
    jest.restoreAllMocks();
    delete process.env.AUCTION_PERIOD_MINUTES;
    addMetric = jest.spyOn(metrics, 'addMetric');
    jest.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => {
      metrics.clearMetrics();
      return metrics;
    });
    jest.spyOn(metrics, 'captureColdStartMetric').mockImplementation(() => undefined);
  });

  it('submits the auction the run closed and counts the orders', async () => {
    // Arrange
    const store = new InMemoryAuctionStore([storedOrder('a1'), storedOrder('a2')]);
    const platform = new RecordingPlatform();
    const handler = createHandler({ store: () => store, platform: () => platform, now: () => NOW });

    // Act
    const closed = await handler({ auction_id: AUCTION, execution_name: 'exec-1' }, context);

    // Assert
    expect(closed).toEqual({ auction_id: AUCTION, submitted: 2 });
    expect(sentIds(platform)).toEqual(['alpha:a1', 'alpha:a2']);
    expect(addMetric).toHaveBeenCalledWith('OrdersSubmitted', 'Count', 2);
  });

  it.each([
    ['no auction_id', { execution_name: 'exec-1' }],
    ['an auction_id off the period', { auction_id: '2026-12-01T2130Z', execution_name: 'exec-1' }],
    ['no execution_name', { auction_id: AUCTION }],
    ['no event', undefined],
  ])('refuses %s as InvalidTaskInput and submits nothing', async (_case, event) => {
    // Arrange
    const store = new InMemoryAuctionStore([storedOrder('a1')]);
    const platform = new RecordingPlatform();
    const handler = createHandler({ store: () => store, platform: () => platform, now: () => NOW });

    // Act / Assert
    await expect(handler(event, context)).rejects.toMatchObject({ name: 'InvalidTaskInput', message: 'Expected {auction_id, execution_name}' });
    expect(platform.batches).toEqual([]);
    expect(store.get('alpha', 'a1')?.status).toBe('received');
  });
});
