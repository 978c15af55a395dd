import autocannon from 'autocannon';

export interface LoadOptions {
  readonly url: string;
  /** One key, or several customers' keys used in turn (request i goes with key i mod n). */
  readonly apiKey: string | readonly string[];
  readonly ordersPerRequest: number;
  readonly connections: number;
  readonly durationSeconds: number;
  /** Send exactly this many requests instead of running for durationSeconds. */
  readonly amount?: number;
  /** Prefix of the generated record ids; every request gets fresh ids. */
  readonly idPrefix: string;
  /** Keep the ids of every 201 answer (load test); costs memory, so off for throughput runs. */
  readonly trackAcknowledged?: boolean;
}

export interface LoadResult {
  readonly raw: autocannon.Result;
  /** Orders in 201 answers per second of the run. */
  readonly ordersPerSecond: number;
  readonly acknowledged: Set<string>;
  /** With trackAcknowledged: keys (ordersBody prefixes) of requests sent but never answered, cut off when the clock stopped. */
  readonly unanswered: string[];
  /** Status code → count, for everything that was not a 201. */
  readonly otherStatuses: Record<string, number>;
}

/** A request body with `count` unique orders; built as text because JSON.stringify is slower for this shape. */
export function ordersBody(prefix: string, count: number): { body: string; ids: string[] } {
  const ids: string[] = [];
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = `${prefix}-${i}`;
    ids.push(id);
    parts.push(`{"record_id":"${id}","parameter_1":"abc","parameter_2":${(i % 100) + 0.1}}`);
  }
  return { body: `[${parts.join(',')}]`, ids };
}

/**
 * Closed-loop POST /orders load with autocannon: `connections` clients each send one request at a time,
 * every request with new record ids (so the store grows as in production and upserts do not flatter it).
 */
export async function postOrdersLoad(options: LoadOptions): Promise<LoadResult> {
  let counter = 0;
  const acknowledged = new Set<string>();
  const otherStatuses: Record<string, number> = {};
  type Ctx = { key?: string; ids?: string[] };
  const inFlight = new Set<string>();
  const keys = typeof options.apiKey === 'string' ? [options.apiKey] : [...options.apiKey];
  if (keys.length === 0) throw new Error('postOrdersLoad needs at least one API key');
  const raw = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSeconds,
    ...(options.amount !== undefined ? { amount: options.amount } : {}),
    pipelining: 1,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path: '/orders',
        setupRequest: (request, context) => {
          const n = counter++;
          const key = `${options.idPrefix}-${n}`;
          const { body, ids } = ordersBody(key, options.ordersPerRequest);
          if (options.trackAcknowledged) {
            Object.assign(context as Ctx, { key, ids });
            inFlight.add(key);
          }
          // Ids are unique per request, so they stay unique per customer whichever key sends them.
          return { ...request, headers: { 'content-type': 'application/json', 'x-api-key': keys[n % keys.length] }, body };
        },
        onResponse: (status, _body, context) => {
          if (options.trackAcknowledged) inFlight.delete((context as Ctx).key ?? '');
          if (status === 201) {
            if (options.trackAcknowledged) for (const id of (context as Ctx).ids ?? []) acknowledged.add(id);
          } else {
            otherStatuses[status] = (otherStatuses[status] ?? 0) + 1;
          }
        },
      },
    ],
  });
  return { raw, ordersPerSecond: (raw['2xx'] * options.ordersPerRequest) / raw.duration, acknowledged, unanswered: [...inFlight], otherStatuses };
}
