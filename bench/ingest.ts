import { BatchWriteItemCommand, DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { localClientConfig } from '../local/aws-clients';
import { postOrdersLoad } from './http-load';
import type { BenchContext, Section } from './section';
import { ms, num, percentile } from './table';

export interface IngestOptions {
  /** Requests (or batches) in flight at once, for the API and the ceiling alike. */
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
 * The ceiling: the same 25-item BatchWriteItem calls post-orders makes, sent by the AWS SDK straight to the
 * same dynalite, `concurrency` in flight, for `seconds`. Items are marshalled once up front so the client's
 * own work is as small as it can be.
 */
async function batchWriteCeiling(endpoint: string, tableName: string, concurrency: number, seconds: number, prefix: string): Promise<Row> {
  const client = new DynamoDBClient({ ...localClientConfig(endpoint), maxAttempts: 1 });
  const ttl = String(Math.floor(Date.now() / 1000) + 86_400);
  const receivedAt = new Date().toISOString();
  let counter = 0;
  const batch = (): WriteRequest[] =>
    Array.from({ length: 25 }, (_, i) => ({
      PutRequest: {
        Item: {
          record_id: { S: `${prefix}-${counter++}` },
          parameter_1: { S: 'abc' },
          parameter_2: { N: `${(i % 100) + 0.1}` },
          ttl: { N: ttl },
          received_at: { S: receivedAt },
        },
      },
    }));
  const latencies: number[] = [];
  let written = 0;
  let failures = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const items = batch();
      const t0 = performance.now();
      try {
        const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: items } }));
        written += items.length - (out.UnprocessedItems?.[tableName]?.length ?? 0);
        latencies.push(performance.now() - t0);
      } catch {
        failures++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  client.destroy();
  return {
    label: 'ceiling: SDK BatchWriteItem ×25',
    ordersPerSecond: written / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    requests: latencies.length,
    failures,
  };
}

async function apiCase(ctx: BenchContext, size: number, options: IngestOptions, prefix: string): Promise<Row> {
  const e = ctx.runtime.endpoints;
  const r = await postOrdersLoad({
    url: e.api,
    apiKey: e.apiKey,
    ordersPerRequest: size,
    connections: options.concurrency,
    durationSeconds: options.secondsPerCase,
    idPrefix: prefix,
  });
  return {
    label: `API: ${size} order${size === 1 ? '' : 's'}/request`,
    ordersPerSecond: r.ordersPerSecond,
    p50: r.raw.latency.p50,
    p99: r.raw.latency.p99,
    requests: r.raw['2xx'],
    failures: r.raw.non2xx + r.raw.errors,
  };
}

/** Ingest through the local API at 1, 25 and 1000 orders per request, beside the emulator's own ceiling. */
export async function ingestSection(ctx: BenchContext, options: IngestOptions): Promise<Section> {
  const e = ctx.runtime.endpoints;
  const run = Date.now().toString(36);
  // Warm-up: starts the function's sandboxes and JIT-compiles both paths before anything is timed.
  ctx.progress('ingest: warming up');
  await apiCase(ctx, 1000, { ...options, secondsPerCase: 2 }, `bench-warm-${run}`);
  await batchWriteCeiling(e.dynamodb, e.tableName, options.concurrency, 1, `bench-warm-ceiling-${run}`);

  // The machine is shared (2 cores here), so the ceiling is measured right before and right after the
  // largest API row and averaged: the ratio then compares numbers taken under the same conditions.
  const api: Row[] = [];
  const ceilings: Row[] = [];
  const largest = Math.max(...options.orderSizes);
  for (const size of options.orderSizes) {
    if (size === largest) {
      ctx.progress(`ingest: ceiling (${options.secondsPerCase}s)`);
      ceilings.push(await batchWriteCeiling(e.dynamodb, e.tableName, options.concurrency, options.secondsPerCase, `bench-ceiling-a-${run}`));
    }
    ctx.progress(`ingest: ${size} orders/request (${options.secondsPerCase}s)`);
    api.push(await apiCase(ctx, size, options, `bench-${size}-${run}`));
  }
  ctx.progress(`ingest: ceiling again (${options.secondsPerCase}s)`);
  ceilings.push(await batchWriteCeiling(e.dynamodb, e.tableName, options.concurrency, options.secondsPerCase, `bench-ceiling-b-${run}`));
  const mean = (f: (r: Row) => number) => ceilings.reduce((sum, r) => sum + f(r), 0) / ceilings.length;
  const ceiling: Row = {
    label: 'ceiling: SDK BatchWriteItem ×25',
    ordersPerSecond: mean((r) => r.ordersPerSecond),
    p50: mean((r) => r.p50),
    p99: mean((r) => r.p99),
    requests: ceilings.reduce((sum, r) => sum + r.requests, 0),
    failures: ceilings.reduce((sum, r) => sum + r.failures, 0),
  };
  const ratio = (r: Row) => `${Math.round((r.ordersPerSecond / ceiling.ordersPerSecond) * 100)}%`;
  const row = (r: Row, vsCeiling: string) => [r.label, num(r.ordersPerSecond), ms(r.p50), ms(r.p99), num(r.requests), num(r.failures), vsCeiling];
  return {
    title: 'Ingest',
    columns: ['path', 'orders/s', 'p50', 'p99', 'requests', 'errors/non-2xx', 'of ceiling'],
    rows: [...api.map((r) => row(r, ratio(r))), row(ceiling, '100%')],
    notes: [
      `${options.concurrency} requests in flight (ceiling: ${options.concurrency} BatchWriteItem calls), ${options.secondsPerCase}s per row after a warm-up, new record ids in every request; latency is per HTTP request (ceiling: per 25-item call).`,
      `ceiling = mean of ${ceilings.map((r) => num(r.ordersPerSecond)).join(' and ')} orders/s, measured just before and after the ${largest}-order row.`,
    ],
  };
}
