// Scenarios: ingestOrders against an in-memory OrderStore (no AWS): one auction for the whole request, closed auctions skipped up to MAX_AUCTIONS_AHEAD then NoOpenAuctionError, locked orders refused before any write (expired ones are not locked), a refusal during putAll restores every sent order to its live image or deletes it (an expired image counts as none) and names the refused ids by body index, nothing is restored when nothing was refused; one order is written without a read (refused -> 409 naming its auction, read only when the store cannot tell); OpenAuctionMemo serves 500 ms per arrival auction, never earlier than its read.
import type { AuctionId } from '../../src/auctions/auction-id';
import { NoOpenAuctionError, OrdersLockedError } from '../../src/orders/errors';
import { ingestOrders, MAX_AUCTIONS_AHEAD, OpenAuctionMemo } from '../../src/orders/ingest';
import type { StoredOrder } from '../../src/orders/order';
import type { OrderStore, PutAllOutcome, RestoreEntry } from '../../src/orders/order-store';

const NOW = new Date('2026-03-10T20:15:30.678Z');
const NOW_SECONDS = Math.floor(NOW.getTime() / 1000);
const CONFIG = { maxOrders: 1000, ttlHours: 24, auctionPeriodMinutes: 60 };

/** Records what the domain asks of its store; `refuse` names ids the "run" takes during putAll. */
class FakeStore implements OrderStore {
  readonly closed = new Set<AuctionId>();
  readonly existing = new Map<string, StoredOrder>();
  readonly refuse = new Set<string>();
  readonly written: StoredOrder[] = [];
  readonly restored: Array<{ entries: readonly RestoreEntry[]; receivedAt: string }> = [];
  readonly lookedUp: AuctionId[] = [];
  readonly read: string[][] = [];
  /** Auction the store names for a refused id; undefined: it cannot tell (like an emulator without ALL_OLD). */
  refusedAuction: string | undefined = 'A';

  async isAuctionClosed(auctionId: AuctionId) {
    this.lookedUp.push(auctionId);
    return this.closed.has(auctionId);
  }
  async getOrders(_customer: string, recordIds: readonly string[]) {
    this.read.push([...recordIds]);
    return new Map(recordIds.flatMap((id) => (this.existing.has(id) ? [[id, this.existing.get(id)!] as const] : [])));
  }
  async getOrder() {
    return undefined;
  }
  async putAll(orders: readonly StoredOrder[]): Promise<PutAllOutcome> {
    const refused = orders.filter((order) => this.refuse.has(order.record_id)).map((order) => ({ record_id: order.record_id, auction_id: this.refusedAuction }));
    const sent = orders.filter((order) => !this.refuse.has(order.record_id));
    this.written.push(...sent);
    return { refused, sent: sent.map((order) => order.record_id) };
  }
  async restore(_customer: string, entries: readonly RestoreEntry[], receivedAt: string) {
    this.restored.push({ entries, receivedAt });
  }
}

function stored(recordId: string, overrides: Partial<StoredOrder> = {}): StoredOrder {
  return {
    customer: 'c1',
    record_id: recordId,
    parameter_1: 'old',
    parameter_2: '1',
    ttl: NOW_SECONDS + 3600,
    received_at: '2026-03-10T20:00:00.000Z',
    status: 'received',
    auction_id: '2026-03-10T2100Z',
    ...overrides,
  };
}

const body = (...ids: string[]) => JSON.stringify(ids.map((id) => ({ record_id: id, parameter_1: 'new', parameter_2: 2.5 })));

function ingest(store: FakeStore, text: string, memo?: OpenAuctionMemo, now = NOW) {
  return ingestOrders(text, 'c1', CONFIG, { store, now: () => now, openAuctions: memo });
}

it('stores every order of the request in the one open auction', async () => {
  const store = new FakeStore();
  store.closed.add('2026-03-10T2100Z');

  const result = await ingest(store, body('a', 'b'));

  expect(result).toEqual({ accepted: 2, auctionId: '2026-03-10T2200Z' });
  expect(store.lookedUp).toEqual(['2026-03-10T2100Z', '2026-03-10T2200Z']);
  expect(store.written.map((order) => [order.record_id, order.customer, order.auction_id, order.status, order.parameter_2])).toEqual([
    ['a', 'c1', '2026-03-10T2200Z', 'received', '2.5'],
    ['b', 'c1', '2026-03-10T2200Z', 'received', '2.5'],
  ]);
  expect(store.restored).toEqual([]);
});

it('gives up after the auction of arrival and 24 more are closed', async () => {
  const store = new FakeStore();
  // 21:00 on the 10th to 21:00 on the 11th: 25 hourly auctions, all closed early.
  for (let h = 0; h <= 24; h++) {
    const iso = new Date(Date.UTC(2026, 2, 10, 21 + h)).toISOString();
    store.closed.add(`${iso.slice(0, 10)}T${iso.slice(11, 13)}00Z`);
  }

  await expect(ingest(store, body('a'))).rejects.toBeInstanceOf(NoOpenAuctionError);
  expect(MAX_AUCTIONS_AHEAD).toBe(24);
  expect(store.lookedUp).toHaveLength(25);
  expect(store.written).toEqual([]);
});

it('refuses locked orders before writing anything; expired ones do not lock', async () => {
  const store = new FakeStore();
  store.existing.set('b', stored('b', { status: 'submitted', auction_id: '2026-03-10T2000Z' }));
  store.existing.set('c', stored('c', { status: 'accepted', ttl: NOW_SECONDS }));

  const error = await ingest(store, body('a', 'b', 'c')).catch((e: unknown) => e);

  expect(error).toBeInstanceOf(OrdersLockedError);
  expect((error as OrdersLockedError).locked).toEqual([{ index: 1, record_id: 'b', auction_id: '2026-03-10T2000Z' }]);
  expect(store.written).toEqual([]);
});

it('undoes every sent order when the run took one during the write: live image back, otherwise delete', async () => {
  const store = new FakeStore();
  store.existing.set('a', stored('a'));
  store.existing.set('c', stored('c', { ttl: NOW_SECONDS - 10 })); // expired: as good as none
  store.refuse.add('b');

  const error = await ingest(store, body('a', 'b', 'c', 'd')).catch((e: unknown) => e);

  expect((error as OrdersLockedError).locked).toEqual([{ index: 1, record_id: 'b', auction_id: 'A' }]);
  expect(store.restored).toEqual([
    {
      receivedAt: NOW.toISOString(),
      entries: [
        { record_id: 'a', previous: stored('a') },
        { record_id: 'c', previous: undefined },
        { record_id: 'd', previous: undefined },
      ],
    },
  ]);
});

describe('one order', () => {
  it('is written without a read first', async () => {
    const store = new FakeStore();

    await ingest(store, body('a'));

    expect(store.read).toEqual([]);
    expect(store.written.map((order) => order.record_id)).toEqual(['a']);
  });

  it('refused by its condition: 409 naming the auction, nothing restored', async () => {
    const store = new FakeStore();
    store.refuse.add('a');

    const error = await ingest(store, body('a')).catch((e: unknown) => e);

    expect((error as OrdersLockedError).locked).toEqual([{ index: 0, record_id: 'a', auction_id: 'A' }]);
    expect(store.restored).toEqual([]);
    expect(store.read).toEqual([]);
  });

  it('reads the order to name its auction when the store could not tell', async () => {
    const store = new FakeStore();
    store.refuse.add('a');
    store.refusedAuction = undefined;
    store.existing.set('a', stored('a', { status: 'submitted', auction_id: '2026-03-10T2000Z' }));

    const error = await ingest(store, body('a')).catch((e: unknown) => e);

    expect((error as OrdersLockedError).locked).toEqual([{ index: 0, record_id: 'a', auction_id: '2026-03-10T2000Z' }]);
    expect(store.read).toEqual([['a']]);
  });
});

describe('OpenAuctionMemo', () => {
  const later = (ms: number) => new Date(NOW.getTime() + ms);

  it('serves requests of the same arrival auction for 500 ms after the read, then reads again', async () => {
    const store = new FakeStore();
    const memo = new OpenAuctionMemo();

    await ingest(store, body('a'), memo);
    await ingest(store, body('b'), memo, later(500));
    expect(store.lookedUp).toEqual(['2026-03-10T2100Z']);

    await ingest(store, body('c'), memo, later(501));
    expect(store.lookedUp).toEqual(['2026-03-10T2100Z', '2026-03-10T2100Z']);
  });

  it('never answers for another arrival auction or for a time before its read', () => {
    const memo = new OpenAuctionMemo(500);
    memo.remember('2026-03-10T2100Z', '2026-03-10T2200Z', NOW);

    expect(memo.recall('2026-03-10T2100Z', later(200))).toBe('2026-03-10T2200Z');
    expect(memo.recall('2026-03-10T2200Z', later(200))).toBeUndefined();
    expect(memo.recall('2026-03-10T2100Z', later(-1))).toBeUndefined();
  });
});
