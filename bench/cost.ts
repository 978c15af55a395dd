import { join, resolve } from 'node:path';
import { resourcesOfType } from '../local/core/assembly';
import { readFunctions } from '../local/lambda/functions';
import type { FunctionSpec } from '../local/lambda/runner';
import { platformOrderId } from '../src/auctions/customer';
import { MAX_BATCH_ORDERS } from '../src/platform/platform';
import { REJECTION_REASON } from '../src/platform/simulated/clearing';
import { resultKey } from '../src/results/result-key';
import prices from './prices.json';
import type { BenchContext, Section } from './section';
import { num } from './table';

/**
 * What the template cannot say, stated once. Durations are per invocation, rough figures for warm
 * functions in AWS (local timings on 2 shared cores would overstate them) for a run of ordersPerRun orders;
 * ordersPerRun sets how the per-run states and calls are shared out.
 */
export const ASSUMPTIONS = {
  ordersPerRequest: 1000,
  ordersPerRun: 10_000,
  durationMs: {
    // GetItem, 10 BatchGetItem, 1000 conditional PutItem 16 at a time (~8 ms each), parsing 1000 orders.
    'post-orders': 700,
    'close-auction': 60,
    // Two GSI queries (this auction and the previous one's stragglers), 10,000 UpdateItem 32 at a time, 10 PUTs to the platform.
    'submit-orders': 6500,
    // 10 result pages from the platform, one ~1 MB results file to S3.
    'fetch-results': 3500,
    // claim UpdateItem, S3 PUT, UpdateItem (accepted); one UpdateItem (rejected).
    'store-result': 50,
    // GSI query of the auction, the failed list to S3, one SNS publish.
    'finalize-auction': 2500,
    'slack-notifier': 300,
    // Per request of the simulated platform: parse or clear up to 1000 orders, 2-3 S3 calls.
    'auction-platform': 250,
  } as Record<string, number>,
  defaultDurationMs: 200,
  /** Express child executions are billed at 64 MB; each item costs store-result's duration plus ~20 ms orchestration. */
  expressMemoryGb: 64 / 1024,
  expressPerItemOverheadMs: 20,
  /** An order as the cost of its item sees it: the sizes DynamoDB bills follow from these. */
  sampleOrder: {
    customer: 'customer-0001',
    recordIdChars: 32,
    parameter1: 'block-base-16chr',
    parameter2: 42.5,
    clearingPrice: 123.45,
    // Scheduled executions get a 36-character name.
    executionName: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
  },
  /** submit-orders also reads the previous auction for stragglers; in steady state it is as large as this one. */
  previousAuctionShare: 1,
  /** ItemReader reads the results file once per Distributed Map run. */
  s3GetsPerLargeRun: 1,
} as const;

/** The simulated platform's function (Local and Dev only; Prod calls the real platform). */
const PLATFORM_FUNCTION = 'auction-platform';

type State = Record<string, unknown> & { Type: string };
type States = Record<string, State>;

interface Usage {
  transitions: number;
  expressRequests: number;
  expressGbSeconds: number;
  invocations: Map<string, number>;
  /** Invocations that ended in the caught OrderRejected (they write less). */
  rejectedInvocations: Map<string, number>;
  snsPublishes: number;
}

/** Every simple path from `start` to a successful end (Succeed or End), following Next, Choices and Default (not Catch). */
function successPaths(states: States, start: string): string[][] {
  const out: string[][] = [];
  const visit = (name: string, path: string[]) => {
    if (path.includes(name)) return;
    const state = states[name];
    if (!state || state.Type === 'Fail') return;
    const here = [...path, name];
    if (state.Type === 'Succeed' || state.End === true) out.push(here);
    for (const n of successors(state)) visit(n, here);
  };
  visit(start, []);
  return out;
}

function successors(state: State): string[] {
  const next = [state.Next, state.Default, ...((state.Choices as Array<{ Next?: string }> | undefined) ?? []).map((c) => c.Next)];
  return next.filter((n): n is string => typeof n === 'string');
}

/** The shortest loop from `start` back to it (e.g. poll, wait, poll again), without `start` at its end. */
function loopFrom(states: States, start: string): string[] | undefined {
  const queue: string[][] = [[start]];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const path = queue.shift() as string[];
    for (const n of successors(states[path[path.length - 1]] ?? { Type: 'Fail' })) {
      if (n === start) return path;
      if (seen.has(n) || states[n]?.Type === 'Fail') continue;
      seen.add(n);
      queue.push([...path, n]);
    }
  }
  return undefined;
}

/** The path an item takes when its task raises `error` and a Catch for it leads on to a successful end. */
function caughtPath(states: States, start: string, error: string): string[] | undefined {
  const first = states[start];
  const catcher = ((first?.Catch as Array<{ ErrorEquals: string[]; Next: string }> | undefined) ?? []).find((c) => c.ErrorEquals.includes(error));
  if (!catcher) return undefined;
  const rest = successPaths(states, catcher.Next).sort((a, b) => b.length - a.length)[0];
  return rest ? [start, ...rest] : undefined;
}

function longest(paths: string[][]): string[] {
  return [...paths].sort((a, b) => b.length - a.length)[0] ?? [];
}

const add = (map: Map<string, number>, key: string, n: number) => map.set(key, (map.get(key) ?? 0) + n);

class CostModel {
  readonly usage: Usage = { transitions: 0, expressRequests: 0, expressGbSeconds: 0, invocations: new Map(), rejectedInvocations: new Map(), snsPublishes: 0 };

  constructor(
    private readonly functionOf: (arn: string) => FunctionSpec | undefined,
    private readonly subscribersOf: (topicArn: string) => FunctionSpec[],
    private readonly rejectedShare: number,
  ) {}

  invoke(fn: FunctionSpec | undefined, times: number, rejected = false): void {
    if (!fn) return;
    add(this.usage.invocations, fn.label, times);
    if (rejected) add(this.usage.rejectedInvocations, fn.label, times);
  }

  /** One SNS publish `times` over, and the Lambda subscribers it invokes. */
  publish(topicArn: string, times: number): void {
    this.usage.snsPublishes += times;
    for (const fn of this.subscribersOf(topicArn)) this.invoke(fn, times);
  }

  /** Adds what `path` costs when walked `times` times over `items` items; `express` = inside an Express child. */
  walk(states: States, path: string[], times: number, items: number, express: boolean, rejected = false): void {
    for (const name of path) {
      const state = states[name];
      if (!express) this.usage.transitions += times;
      if (state.Type === 'Task') {
        const resource = String(state.Resource);
        const params = (state.Parameters ?? {}) as Record<string, unknown>;
        if (resource.endsWith(':states:::sns:publish')) {
          this.publish(String(params.TopicArn), times);
        } else {
          const arn = resource.endsWith(':states:::lambda:invoke') ? String(params.FunctionName) : resource;
          // The task that raised the caught error is the first on a rejected path.
          this.invoke(this.functionOf(arn), times, rejected && name === path[0]);
        }
      }
      if (state.Type === 'Map') this.map(state, times, items, express);
    }
  }

  private map(state: State, times: number, items: number, express: boolean): void {
    const processor = (state.ItemProcessor ?? state.Iterator) as { StartAt: string; States: States; ProcessorConfig?: Record<string, string> };
    const distributed = processor.ProcessorConfig?.Mode === 'DISTRIBUTED';
    const childExpress = distributed && processor.ProcessorConfig?.ExecutionType === 'EXPRESS';
    const batch = Number((state.ItemBatcher as Record<string, unknown> | undefined)?.MaxItemsPerBatch ?? 0) || undefined;
    const iterations = batch ? Math.ceil(items / batch) : items;
    const childItems = batch ? Math.min(batch, items) : 1;
    if (childExpress) {
      this.usage.expressRequests += times * iterations;
      const perItemMs = (ASSUMPTIONS.durationMs['store-result'] ?? ASSUMPTIONS.defaultDurationMs) + ASSUMPTIONS.expressPerItemOverheadMs;
      const inner = Object.values(processor.States).find((s) => s.Type === 'Map');
      const parallel = Number(inner?.MaxConcurrency ?? 1) || 1;
      this.usage.expressGbSeconds += times * iterations * ASSUMPTIONS.expressMemoryGb * ((Math.ceil(childItems / parallel) * perItemMs) / 1000);
    }
    const inExpress = express || childExpress;
    const paths = successPaths(processor.States, processor.StartAt);
    const rejectedPath = childItems === 1 ? caughtPath(processor.States, processor.StartAt, 'OrderRejected') : undefined;
    if (rejectedPath) {
      this.walk(processor.States, longest(paths), times * iterations * (1 - this.rejectedShare), childItems, inExpress);
      this.walk(processor.States, rejectedPath, times * iterations * this.rejectedShare, childItems, inExpress, true);
    } else {
      this.walk(processor.States, longest(paths), times * iterations, childItems, inExpress);
    }
  }
}

/**
 * DynamoDB's size of an item (developer guide, "Item sizes"): names and strings in UTF-8 bytes, a number
 * about 1 byte per 2 significant digits + 1, a map or list 3 bytes + 1 per element, a set the sum of its members.
 */
function itemBytes(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number') return Math.ceil(String(Math.abs(value)).replace('.', '').replace(/^0+/, '').length / 2) + 1;
  if (typeof value === 'boolean' || value === null) return 1;
  if (value instanceof Set) return [...value].reduce((sum: number, v) => sum + itemBytes(v), 0);
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + itemBytes(v) + 1, 0);
  if (typeof value === 'object') return Object.entries(value as Record<string, unknown>).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + itemBytes(v) + 1, 3);
  return 0;
}

/** A top-level item: the same, without a map's own 3 + 1 bytes per attribute. */
function topLevelBytes(item: Record<string, unknown>): number {
  return Object.entries(item).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + itemBytes(v), 0);
}

/** The order's item at each step, as src/adapters/dynamodb-*-store.ts writes it (sizes only: values are samples). */
function sampleItems() {
  const s = ASSUMPTIONS.sampleOrder;
  const auctionId = '2026-12-01T2100Z';
  const recordId = 'r'.repeat(s.recordIdChars);
  const iso = '2026-12-01T20:41:07.123Z';
  const received = { customer: s.customer, record_id: recordId, parameter_1: s.parameter1, parameter_2: s.parameter2, ttl: 1796244067, received_at: iso, status: 'received', auction_id: auctionId };
  const submitted = { ...received, status: 'submitted', submitted_at: iso, submitted_by: s.executionName };
  const orderId = platformOrderId(s.customer, recordId);
  const accepted = {
    ...submitted,
    status: 'accepted',
    finished_at: iso,
    result: { order_id: orderId, status: 'accepted', cleared_volume: s.parameter2, clearing_price: s.clearingPrice },
    result_key: resultKey(auctionId, s.customer, recordId),
  };
  const rejected = { ...submitted, status: 'rejected', finished_at: iso, result: { order_id: orderId, status: 'rejected', clearing_price: s.clearingPrice, reason: REJECTION_REASON } };
  return { received, submitted, accepted, rejected };
}

function usd(value: number): string {
  return value >= 0.01 || value === 0 ? `$${num(value, 2)}` : `$${value.toPrecision(2)}`;
}

/**
 * AWS cost per million orders from the synthesized Local stage (same constructs as Dev/Prod) and bench/prices.json:
 * the run's path through the state machine definition, the functions' memory and architecture, the table's
 * indexes, the topic's subscribers and the simulated platform's settings come from the template; what each
 * function calls per order comes from the code (named in the notes).
 */
export function costSection(ctx: BenchContext): Section {
  const { stack, resolver } = ctx;
  const e = ctx.runtime.endpoints;
  const specs = readFunctions(stack, resolver, { dynamodb: e.dynamodb, s3: e.s3, secretsmanager: e.secretsmanager, stepfunctions: e.stepfunctions, sns: e.secretsmanager }, join(resolve(__dirname, '..'), '.local', 'bench', 'inline'));
  const arch = new Map(resourcesOfType(stack.template, 'AWS::Lambda::Function').map(([id, r]) => [id, String((r.Properties?.Architectures as string[] | undefined)?.[0] ?? 'x86_64')]));
  const functionOf = (arn: string) => specs.find((s) => arn === s.arn || arn.startsWith(`${s.arn}:`) || arn === s.name);
  const byLabel = (label: string) => specs.find((s) => s.label === label);
  const subscriptions = resourcesOfType(stack.template, 'AWS::SNS::Subscription').map(([, r]) => resolver.resolve(r.Properties ?? {}) as Record<string, string>);
  const subscribersOf = (topicArn: string) =>
    subscriptions.filter((s) => s.TopicArn === topicArn && s.Protocol === 'lambda').flatMap((s) => functionOf(s.Endpoint) ?? []);
  const platform = byLabel(PLATFORM_FUNCTION);
  const rejectedShare = Number(platform?.env.PLATFORM_REJECTED_SHARE ?? 0);
  const notReadyPolls = Number(platform?.env.PLATFORM_READY_AFTER_POLLS ?? 0);
  const inlineLimit = Number(byLabel('fetch-results')?.env.RESULTS_INLINE_LIMIT ?? Infinity);

  const [machineId, machine] = resourcesOfType(stack.template, 'AWS::StepFunctions::StateMachine')[0];
  const p = machine.Properties ?? {};
  const text = p.DefinitionString ? resolver.resolveString(p.DefinitionString, `State machine ${machineId}`) : JSON.stringify(resolver.resolve(p.Definition));
  const definition = JSON.parse(text) as { StartAt: string; States: States };

  // The run: through the Map its size selects, to the summary; with failures when the platform rejects any.
  const n = ASSUMPTIONS.ordersPerRun;
  const wantsDistributed = n > inlineLimit;
  const isDistributed = (s: State) => ((s.ItemProcessor as { ProcessorConfig?: { Mode?: string } } | undefined)?.ProcessorConfig?.Mode ?? 'INLINE') === 'DISTRIBUTED';
  const candidates = successPaths(definition.States, definition.StartAt).filter((path) =>
    path.some((name) => definition.States[name].Type === 'Map' && isDistributed(definition.States[name]) === wantsDistributed),
  );
  const runPath = longest(candidates.length ? candidates : successPaths(definition.States, definition.StartAt));
  const model = new CostModel(functionOf, subscribersOf, rejectedShare);
  model.walk(definition.States, runPath, 1, n, false);
  // Polls answered "not ready": the first task of the run path that a loop leads back to, and that loop.
  const pollState = runPath.find((name) => definition.States[name].Type === 'Task' && loopFrom(definition.States, name));
  const pollLoop = pollState ? (loopFrom(definition.States, pollState) as string[]) : [];
  model.walk(definition.States, pollLoop, notReadyPolls, n, false);
  // finalize-auction publishes the run's ONE alert itself (src/handlers/finalize-auction.ts) when any order failed.
  const finalize = byLabel('finalize-auction');
  const alertsPerRun = rejectedShare > 0 ? 1 : 0;
  if (finalize?.env.ALERTS_TOPIC_ARN) model.publish(finalize.env.ALERTS_TOPIC_ARN, alertsPerRun);
  const u = model.usage;

  // Everything below is per million orders.
  const perRun = 1e6 / n;
  const requests = 1e6 / ASSUMPTIONS.ordersPerRequest;
  const runs = (label: string) => (u.invocations.get(label) ?? 0) * perRun;
  const invocations = new Map<string, number>([['post-orders', requests]]);
  for (const [label, count] of u.invocations) add(invocations, label, count * perRun);
  const batches = Math.ceil(n / MAX_BATCH_ORDERS);
  const polls = notReadyPolls + 1;
  // Per run, the platform answers one PUT per batch, every first-page poll and one GET per further page.
  const platformRequests = (batches + polls + (batches - 1)) * perRun;
  invocations.set(PLATFORM_FUNCTION, platformRequests);

  const lambda = (labels: string[]) => {
    let count = 0;
    let compute = 0;
    let gbSeconds = 0;
    const detail: string[] = [];
    for (const label of labels) {
      const spec = byLabel(label);
      const times = invocations.get(label) ?? 0;
      if (!spec || times === 0) continue;
      const ms = ASSUMPTIONS.durationMs[label] ?? ASSUMPTIONS.defaultDurationMs;
      const gbs = times * (spec.memoryMb / 1024) * (ms / 1000);
      const a = arch.get(spec.logicalId) === 'arm64' ? 'arm64' : 'x86_64';
      count += times;
      gbSeconds += gbs;
      compute += gbs * prices.lambda.gbSecond[a];
      detail.push(`${label} ${num(times)} × ${spec.memoryMb} MB ${a} × ${ms} ms`);
    }
    return { count, compute, gbSeconds, detail };
  };
  const productLambda = lambda([...invocations.keys()].filter((l) => l !== PLATFORM_FUNCTION));
  const platformLambda = lambda([PLATFORM_FUNCTION]);

  // DynamoDB, per order, from the calls in src/adapters/dynamodb-order-store.ts and dynamodb-auction-store.ts.
  const [, tableResource] = resourcesOfType(stack.template, 'AWS::DynamoDB::Table')[0];
  const indexes = ((tableResource.Properties?.GlobalSecondaryIndexes ?? []) as Array<{ IndexName: string; KeySchema: Array<{ AttributeName: string }>; Projection?: { ProjectionType?: string } }>);
  const items = sampleItems();
  const sizes = Object.fromEntries(Object.entries(items).map(([k, v]) => [k, topLevelBytes(v)])) as Record<keyof typeof items, number>;
  const wru = (bytes: number) => Math.ceil(bytes / 1024);
  // Every index whose keys the item has gets a write too; with projection ALL the index item is the whole item.
  const gsiWrites = (item: Record<string, unknown>, bytes: number) =>
    indexes.filter((ix) => ix.KeySchema.every((k) => k.AttributeName in item)).reduce((sum, ix) => sum + (ix.Projection?.ProjectionType === 'ALL' ? wru(bytes) : 1), 0);
  const write = (item: Record<string, unknown>, bytes: number) => ({ table: wru(bytes), gsi: gsiWrites(item, bytes) });
  const accepted = 1 - rejectedShare;
  const storeResults = (invocations.get('store-result') ?? 0) / 1e6;
  const writes = {
    // One conditional PutItem per order (a new item: it enters the index).
    post: write(items.received, sizes.received),
    // markSubmitted: UpdateItem received -> submitted, billed on the larger image.
    submit: write(items.submitted, sizes.submitted),
    // Accepted: claimForResult (SET auction_id to its own value, counted as an index write) + recordOutcome; rejected: recordOutcome.
    store: {
      table: storeResults * (accepted * (wru(sizes.submitted) + wru(sizes.accepted)) + rejectedShare * wru(sizes.rejected)),
      gsi: storeResults * (accepted * (gsiWrites(items.submitted, sizes.submitted) + gsiWrites(items.accepted, sizes.accepted)) + rejectedShare * gsiWrites(items.rejected, sizes.rejected)),
    },
    // close-auction: the control item and the run item (neither carries auction_id, so no index write); finalize: claimAlert.
    perRun: { table: (runs('close-auction') * 2 + runs('finalize-auction') * alertsPerRun) / 1e6, gsi: 0 },
  };
  const finishedBytes = accepted * sizes.accepted + rejectedShare * sizes.rejected;
  const queryRru = (bytes: number) => (0.5 * bytes) / 4096; // eventually consistent (GSIs have no other), per 4 KB read
  const reads = {
    // GetItem of the auction's control item per request (strongly consistent) + BatchGetItem of every named order
    // (strongly consistent: 1 RRU per item of up to 4 KB, also for an item that does not exist yet).
    post: 1 / ASSUMPTIONS.ordersPerRequest + Math.max(1, Math.ceil(sizes.received / 4096)),
    // ordersOf(this auction) + ordersOf(previous auction, finished) through the index.
    submit: (runs('submit-orders') / perRun) * (queryRru(sizes.received) + ASSUMPTIONS.previousAuctionShare * queryRru(finishedBytes)),
    // ordersOf(this auction) once more.
    finalize: (runs('finalize-auction') / perRun) * queryRru(finishedBytes),
  };
  const wruPerOrder = [writes.post, writes.submit, writes.store, writes.perRun].reduce((s, w) => s + w.table + w.gsi, 0);
  const gsiPerOrder = [writes.post, writes.submit, writes.store].reduce((s, w) => s + w.gsi, 0);
  const rruPerOrder = reads.post + reads.submit + reads.finalize;

  // S3: one object per accepted result (store-result), the results file of a large run (fetch-results), the
  // failed list of a run with failures (finalize-auction); the Distributed Map's ItemReader reads the file.
  const largeRuns = wantsDistributed ? perRun : 0;
  const acceptedResults = (invocations.get('store-result') ?? 0) - (u.rejectedInvocations.get('store-result') ?? 0) * perRun;
  const s3Puts = acceptedResults + largeRuns + alertsPerRun * perRun;
  const s3Gets = largeRuns * ASSUMPTIONS.s3GetsPerLargeRun;
  // The simulated platform's bucket: a batch object per PUT; per first-page poll LIST, GET and PUT of its poll
  // counter, and the first batch once ready; per further page LIST and GET (src/platform/simulated).
  const platformPuts = (batches + polls) * perRun;
  const platformLists = (polls + batches - 1) * perRun;
  const platformGets = (polls + batches) * perRun;

  const rows: Array<[string, string, string, number]> = [
    ['API Gateway (REST)', `${num(requests)} requests`, `$${prices.apiGateway.restRequestsPerMillion}/M`, (requests / 1e6) * prices.apiGateway.restRequestsPerMillion],
    ['Lambda requests', `${num(productLambda.count)} invocations`, `$${prices.lambda.requestsPerMillion}/M`, (productLambda.count / 1e6) * prices.lambda.requestsPerMillion],
    ['Lambda compute', `${num(productLambda.gbSeconds)} GB-s`, `$${prices.lambda.gbSecond.arm64}/GB-s arm64`, productLambda.compute],
    ['DynamoDB writes (on-demand)', `${num(1e6 * wruPerOrder)} WRU (${num(wruPerOrder, 2)}/order, ${num(gsiPerOrder, 2)} of it the index)`, `$${prices.dynamodb.onDemandWriteRequestUnitsPerMillion}/M`, wruPerOrder * prices.dynamodb.onDemandWriteRequestUnitsPerMillion],
    ['DynamoDB reads (on-demand)', `${num(1e6 * rruPerOrder)} RRU (${num(rruPerOrder, 2)}/order)`, `$${prices.dynamodb.onDemandReadRequestUnitsPerMillion}/M`, rruPerOrder * prices.dynamodb.onDemandReadRequestUnitsPerMillion],
    ['Step Functions standard', `${num(u.transitions * perRun)} transitions (${num(u.transitions)}/run)`, `$${prices.stepFunctions.standardTransitionsPerThousand}/1k`, ((u.transitions * perRun) / 1000) * prices.stepFunctions.standardTransitionsPerThousand],
    ['Step Functions express (children)', `${num(u.expressRequests * perRun)} executions, ${num(u.expressGbSeconds * perRun, 1)} GB-s`, `$${prices.stepFunctions.expressRequestsPerMillion}/M + $${prices.stepFunctions.expressGbSecond}/GB-s`, ((u.expressRequests * perRun) / 1e6) * prices.stepFunctions.expressRequestsPerMillion + u.expressGbSeconds * perRun * prices.stepFunctions.expressGbSecond],
    ['S3 requests', `${num(s3Puts)} PUT, ${num(s3Gets)} GET`, `$${prices.s3.putPerThousand}/1k PUT`, (s3Puts / 1000) * prices.s3.putPerThousand + (s3Gets / 1000) * prices.s3.getPerThousand],
    ['SNS', `${num(u.snsPublishes * perRun)} publishes`, `$${prices.sns.publishesPerMillion}/M`, ((u.snsPublishes * perRun) / 1e6) * prices.sns.publishesPerMillion],
  ];
  const platformRows: Array<[string, string, string, number]> = [
    ['simulated platform (Dev only): API Gateway', `${num(platformRequests)} requests`, `$${prices.apiGateway.restRequestsPerMillion}/M`, (platformRequests / 1e6) * prices.apiGateway.restRequestsPerMillion],
    ['simulated platform (Dev only): Lambda', `${num(platformLambda.count)} invocations, ${num(platformLambda.gbSeconds, 1)} GB-s`, `$${prices.lambda.requestsPerMillion}/M + GB-s`, (platformLambda.count / 1e6) * prices.lambda.requestsPerMillion + platformLambda.compute],
    ['simulated platform (Dev only): S3', `${num(platformPuts)} PUT, ${num(platformLists)} LIST, ${num(platformGets)} GET`, `$${prices.s3.putPerThousand}/1k PUT or LIST`, ((platformPuts + platformLists) / 1000) * prices.s3.putPerThousand + (platformGets / 1000) * prices.s3.getPerThousand],
  ];
  const total = rows.reduce((sum, r) => sum + r[3], 0);
  const platformTotal = platformRows.reduce((sum, r) => sum + r[3], 0);
  const mapStates = runPath.filter((s) => definition.States[s].Type === 'Map');
  const index = indexes[0];
  const storageBytes = sizes.accepted + 100; // DynamoDB adds 100 bytes of overhead per item, in the table and in each index
  const storageGbDays = (1e6 * storageBytes) / 1e9;
  const storageUsd = (gbDays: number) => (gbDays / 30) * prices.dynamodb.storageGbMonth;
  const f2 = (x: number) => num(x, 2);
  const sampleMaxId = topLevelBytes({ ...items.accepted, record_id: 'r'.repeat(128), result_key: items.accepted.result_key.replace(items.accepted.record_id, 'r'.repeat(128)), result: { ...items.accepted.result, order_id: items.accepted.result.order_id.replace(items.accepted.record_id, 'r'.repeat(128)) } });
  return {
    title: 'Cost per million orders',
    columns: ['service', 'usage per 1M orders', 'price (eu-west-1)', 'USD'],
    rows: [
      ...rows.map(([a, b, c, d]) => [a, b, c, usd(d)]),
      ['**total**', '', '', `**${usd(total)}**`],
      ...platformRows.map(([a, b, c, d]) => [a, b, c, usd(d)]),
      ['**total with the simulated platform (Dev)**', '', '', `**${usd(total + platformTotal)}**`],
    ],
    notes: [
      `prices ${prices.asOf} (bench/prices.json). From the template: memory and architecture per function, the state machine's path (${runPath.length} states: ${mapStates.join(', ')}; plus ${notReadyPolls} "not ready" poll loop${notReadyPolls === 1 ? '' : 's'} of ${pollLoop.length} states: ${pollLoop.join(' → ')}), batch sizes, inline limit ${inlineLimit}, the table's index ${index ? `${index.IndexName} (projection ${index.Projection?.ProjectionType})` : '(none)'}, SNS subscriptions, and the simulated platform's settings (rejected share ${rejectedShare}, ready after ${notReadyPolls} poll${notReadyPolls === 1 ? '' : 's'}), which the model also takes for the real platform.`,
      `assumed: ${ASSUMPTIONS.ordersPerRequest} orders per API request, ${num(n)} orders per run (${batches} platform batches of ${MAX_BATCH_ORDERS}), every order gets a result, the previous auction as large as this one; record_id of ${ASSUMPTIONS.sampleOrder.recordIdChars} characters; durations ${Object.entries(ASSUMPTIONS.durationMs).map(([k, v]) => `${k} ${v} ms`).join(', ')}.`,
      `Lambda compute: ${productLambda.detail.join('; ')}.`,
      `DynamoDB writes per order: post-orders PutItem ${writes.post.table} + index ${writes.post.gsi}; submit-orders UpdateItem ${writes.submit.table} + index ${writes.submit.gsi}; store-result ${f2(writes.store.table)} + index ${f2(writes.store.gsi)} (accepted: claim UpdateItem + outcome UpdateItem, each with its index write; rejected: one UpdateItem + index); per run close-auction 2 and finalize-auction 1 (control items, not in the index) = ${num(writes.perRun.table, 4)}/order. Items: received ${sizes.received} B, submitted ${sizes.submitted} B, accepted ${sizes.accepted} B (${sampleMaxId} B with a 128-character record_id), rejected ${sizes.rejected} B: each under 1 KB, so 1 WRU per write; a write whose condition fails (409, a result for an unknown order) costs the same and is not counted.`,
      `DynamoDB reads per order: post-orders ${num(reads.post, 3)} (BatchGetItem strongly consistent, 1 RRU per named order, + GetItem of the auction per request); submit-orders ${num(reads.submit, 3)} and finalize-auction ${num(reads.finalize, 3)} (Query of the index, eventually consistent, 0.5 RRU per 4 KB: this auction's received items, the previous auction's finished ones, then this auction's finished ones). GET /orders is not counted (1 RRU per call).`,
      `DynamoDB storage, not in the total: with projection ALL the index holds a second copy of every order, so an order kept 24 h takes ${storageBytes} B in the table and ${storageBytes} B in the index (accepted item + 100 B overhead each): ${f2(2 * storageGbDays)} GB-days per million orders, ${usd(storageUsd(2 * storageGbDays))} at $${prices.dynamodb.storageGbMonth}/GB-month (${usd(storageUsd(storageGbDays))} of it the index); point-in-time recovery bills the table's size again.`,
      `S3: one PUT per accepted result, ${wantsDistributed ? 'the results file per run (fetch-results, above the inline limit), ' : ''}the failed list per run (finalize-auction); ${wantsDistributed ? 'the ItemReader GET per run. ' : ''}SNS: finalize-auction's one alert per run with rejected or failed orders, delivered to ${subscribersOf(finalize?.env.ALERTS_TOPIC_ARN ?? '').map((s) => s.label).join(', ') || 'no function'}.`,
      `simulated platform (Dev only; Prod calls the real one): per run ${batches} batch PUTs + ${polls} first-page poll${polls === 1 ? '' : 's'} + ${batches - 1} further pages through its own REST API and function (${platformLambda.detail.join('; ')}); its bucket: a batch object per PUT, per poll LIST + GET + PUT of the poll counter, per page LIST + GET.`,
      'not counted: free tiers, CloudWatch logs (the state machine logs level ALL with execution data, one log event per history event), metrics, alarms, X-Ray traces, KMS requests (topic and secrets), Secrets Manager reads (cached per sandbox), EventBridge, GET /orders.',
    ],
  };
}
