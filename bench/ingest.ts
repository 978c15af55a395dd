import { BatchGetItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { localClientConfig } from '../local/core/aws-clients';
import { auctionFor } from '../src/auctions/auction-id';
import { postOrdersLoad } from './http-load';
import type { BenchContext, Section } from './section';
import { ms, num, percentile } from './table';

export interface IngestOptions {
  /** Requests in flight at once (fewer for large requests, see MAX_ORDERS_IN_FLIGHT). */
  readonly concurrency: number;
  readonly secondsPerCase: number;
  readonly orderSizes: readonly number[];
}

interface Row {
  readonly label: string;
  readonly ordersPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly requests: number;
  readonly failures: number;
}

/**
 * post-orders writes one conditional PutItem per order, 16 at a time per request. On the emulator 8
 * requests of 1000 orders in flight would each outlast the function's 29 s timeout, so large requests get
 * fewer connections: at most this many orders in flight through the API (and in the ceiling).
 */
const MAX_ORDERS_IN_FLIGHT = 2000;
/** Requests of at least this many orders are sent as a fixed number per connection instead of for a time. */
const COUNTED_FROM_ORDERS = 100;
const REQUESTS_PER_CONNECTION = 4;
/** The same numbers post-orders uses (src/adapters/dynamodb-order-store.ts). */
const WRITES_IN_FLIGHT_PER_REQUEST = 16;
const BATCH_GET_KEYS = 100;
const AUCTION_PARTITION = '#auction';
const REPLACEABLE = 'attribute_not_exists(record_id) OR #status = :received OR #ttl <= :now';

const connectionsFor = (size: number, concurrency: number) => Math.max(1, Math.min(concurrency, Math.floor(MAX_ORDERS_IN_FLIGHT / size)));

/**
 * The ceiling: the DynamoDB calls post-orders makes for one request of `size` orders (GetItem of the auction's
 * control item, BatchGetItem of the named orders, one conditional PutItem per order, 16 in flight), sent by
 * the AWS SDK straight to the same dynalite, `requests` such requests at once, for `seconds`. Latency is per
 * PutItem call.
 */
async function dynamoCeiling(ctx: BenchContext, size: number, requests: number, seconds: number, prefix: string): Promise<Row> {
  const e = ctx.runtime.endpoints;
  const client = new DynamoDBClient({ ...localClientConfig(e.dynamodb), maxAttempts: 1 });
  const table = e.tableName;
  const ttl = String(Math.floor(Date.now() / 1000) + 86_400);
  const receivedAt = new Date().toISOString();
  const auctionId = auctionFor(new Date(), 60);
  const customers = Object.keys(e.apiKeys);
  const latencies: number[] = [];
  let written = 0;
  let failures = 0;
  let counter = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const attempt = async (call: () => Promise<unknown>) => {
    try {
      await call();
      return true;
    } catch {
      failures++;
      return false;
    }
  };
  const request = async () => {
    while (performance.now() < deadline) {
      const n = counter++;
      const customer = customers[n % customers.length];
      const ids = Array.from({ length: size }, (_, i) => `${prefix}-${n}-${i}`);
      await attempt(() => client.send(new GetItemCommand({ TableName: table, Key: { customer: { S: AUCTION_PARTITION }, record_id: { S: auctionId } }, ConsistentRead: true })));
      for (let i = 0; i < ids.length; i += BATCH_GET_KEYS) {
        const keys = ids.slice(i, i + BATCH_GET_KEYS).map((id) => ({ customer: { S: customer }, record_id: { S: id } }));
        await attempt(() => client.send(new BatchGetItemCommand({ RequestItems: { [table]: { Keys: keys, ConsistentRead: true } } })));
      }
      let next = 0;
      const writer = async () => {
        while (next < ids.length) {
          const id = ids[next++];
          const t0 = performance.now();
          const ok = await attempt(() =>
            client.send(new PutItemCommand({
              TableName: table,
              Item: {
                customer: { S: customer },
                record_id: { S: id },
                parameter_1: { S: 'abc' },
                parameter_2: { N: `${(next % 100) + 0.1}` },
                ttl: { N: ttl },
                received_at: { S: receivedAt },
                status: { S: 'received' },
                auction_id: { S: auctionId },
              },
              ConditionExpression: REPLACEABLE,
              ExpressionAttributeNames: { '#status': 'status', '#ttl': 'ttl' },
              ExpressionAttributeValues: { ':received': { S: 'received' }, ':now': { N: String(Math.floor(Date.parse(receivedAt) / 1000)) } },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            })),
          );
          if (ok) {
            written++;
            latencies.push(performance.now() - t0);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(WRITES_IN_FLIGHT_PER_REQUEST, size) }, writer));
    }
  };
  await Promise.all(Array.from({ length: requests }, request));
  const elapsed = (performance.now() - started) / 1000;
  client.destroy();
  return {
    label: `ceiling: SDK calls of ${size}-order requests`,
    ordersPerSecond: written / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    requests: latencies.length,
    failures,
  };
}

async function apiCase(ctx: BenchContext, size: number, options: IngestOptions, prefix: string): Promise<Row> {
  const e = ctx.runtime.endpoints;
  const connections = connectionsFor(size, options.concurrency);
  const r = await postOrdersLoad({
    url: e.api,
    apiKey: Object.values(e.apiKeys),
    ordersPerRequest: size,
    connections,
    durationSeconds: options.secondsPerCase,
    amount: size >= COUNTED_FROM_ORDERS ? connections * REQUESTS_PER_CONNECTION : undefined,
    idPrefix: prefix,
  });
  return {
    label: `API: ${size} order${size === 1 ? '' : 's'}/request`,
    ordersPerSecond: r.ordersPerSecond,
    p50: r.raw.latency.p50,
    p99: r.raw.latency.p99,
    requests: r.raw['2xx'],
    failures: r.raw.non2xx + r.raw.errors + r.raw.timeouts,
  };
}

/**
 * Ingest through the local API at 1, 25 and 1000 orders per request (spread over the runtime's customers),
 * beside the emulator's own ceiling for the same DynamoDB calls.
 */
export async function ingestSection(ctx: BenchContext, options: IngestOptions): Promise<Section> {
  const run = Date.now().toString(36);
  const largest = Math.max(...options.orderSizes);
  const ceilingRequests = connectionsFor(largest, options.concurrency);
  // Warm-up: starts the function's sandboxes and JIT-compiles both paths before anything is timed.
  ctx.progress('ingest: warming up');
  await apiCase(ctx, 25, { ...options, secondsPerCase: 3 }, `bench-warm-${run}`);
  await dynamoCeiling(ctx, largest, ceilingRequests, 1, `bench-warm-ceiling-${run}`);

  // The machine is shared (2 cores here), so the ceiling is measured right before and right after the
  // largest API row and averaged: the ratio then compares numbers taken under the same conditions.
  const api: Row[] = [];
  const ceilings: Row[] = [];
  for (const size of options.orderSizes) {
    if (size === largest) {
      ctx.progress(`ingest: ceiling (${options.secondsPerCase}s)`);
      ceilings.push(await dynamoCeiling(ctx, largest, ceilingRequests, options.secondsPerCase, `bench-ceiling-a-${run}`));
    }
    const counted = size >= COUNTED_FROM_ORDERS;
    ctx.progress(`ingest: ${size} orders/request (${counted ? `${connectionsFor(size, options.concurrency) * REQUESTS_PER_CONNECTION} requests` : `${options.secondsPerCase}s`})`);
    api.push(await apiCase(ctx, size, options, `bench-${size}-${run}`));
  }
  ctx.progress(`ingest: ceiling again (${options.secondsPerCase}s)`);
  ceilings.push(await dynamoCeiling(ctx, largest, ceilingRequests, options.secondsPerCase, `bench-ceiling-b-${run}`));
  const mean = (f: (r: Row) => number) => ceilings.reduce((sum, r) => sum + f(r), 0) / ceilings.length;
  const ceiling: Row = {
    label: ceilings[0].label,
    ordersPerSecond: mean((r) => r.ordersPerSecond),
    p50: mean((r) => r.p50),
    p99: mean((r) => r.p99),
    requests: ceilings.reduce((sum, r) => sum + r.requests, 0),
    failures: ceilings.reduce((sum, r) => sum + r.failures, 0),
  };
  const ratio = (r: Row) => `${Math.round((r.ordersPerSecond / ceiling.ordersPerSecond) * 100)}%`;
  const row = (r: Row, vsCeiling: string) => [r.label, num(r.ordersPerSecond), ms(r.p50), ms(r.p99), num(r.requests), num(r.failures), vsCeiling];
  const inFlight = options.orderSizes.map((size) => `${size}/request: ${connectionsFor(size, options.concurrency)}`).join(', ');
  return {
    title: 'Ingest',
    columns: ['path', 'orders/s', 'p50', 'p99', 'requests', 'errors/non-2xx', 'of ceiling'],
    rows: [...api.map((r) => row(r, ratio(r))), row(ceiling, '100%')],
    notes: [
      `requests in flight (${inFlight}; at most ${num(MAX_ORDERS_IN_FLIGHT)} orders), new record ids in every request, sent in turn with the keys of ${Object.keys(ctx.runtime.endpoints.apiKeys).length} customers; requests of fewer than ${COUNTED_FROM_ORDERS} orders for ${options.secondsPerCase}s per row, larger ones ${REQUESTS_PER_CONNECTION} per connection; after a warm-up. Latency is per HTTP request.`,
      `ceiling: per request of ${largest} orders the calls post-orders makes (GetItem of the auction, BatchGetItem of ${BATCH_GET_KEYS} keys, one conditional PutItem per order, ${WRITES_IN_FLIGHT_PER_REQUEST} in flight), ${ceilingRequests} such requests at once, from the SDK straight to dynalite; latency per PutItem; mean of ${ceilings.map((r) => num(r.ordersPerSecond)).join(' and ')} orders/s, measured just before and after the ${largest}-order row.`,
    ],
  };
}
