import { join, resolve } from 'node:path';
import { resourcesOfType } from '../local/assembly';
import { readFunctions } from '../local/functions';
import type { FunctionSpec } from '../local/lambda/runner';
import prices from './prices.json';
import type { BenchContext, Section } from './section';
import { num } from './table';

/**
 * What the template cannot say, stated once. Durations are per invocation, rough figures for warm
 * functions in AWS (local timings on 2 shared cores would overstate them); ordersPerRun sets how the per-run
 * states are shared out.
 */
export const ASSUMPTIONS = {
  ordersPerRequest: 1000,
  ordersPerRun: 10_000,
  /** Run reaches results at the first poll and has failures, so it takes the alert path. */
  durationMs: { 'post-orders': 400, 'store-result': 40, 'fetch-results': 300, 'summarize-run': 2000, 'slack-notifier': 300 } as Record<string, number>,
  defaultDurationMs: 200,
  /** Express child executions are billed at 64 MB; each item costs store-result's duration plus ~20 ms orchestration. */
  expressMemoryGb: 64 / 1024,
  expressPerItemOverheadMs: 20,
  /** Objects a function writes per successful invocation (from the code, not the template). */
  s3PutsPerInvocation: { 'store-result': 1, 'fetch-results': 1, 'summarize-run': 1 } as Record<string, number>,
  /** ResultWriter's manifest and results file per Distributed Map run; the ItemReader and summarize-run read ~3 objects. */
  resultWriterPutsPerRun: 2,
  s3GetsPerLargeRun: 3,
} as const;

type State = Record<string, unknown> & { Type: string };
type States = Record<string, State>;

interface Usage {
  transitions: number;
  expressRequests: number;
  expressGbSeconds: number;
  invocations: Map<string, number>;
  snsPublishes: number;
  s3Puts: number;
  s3Gets: number;
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
    const next = [state.Next, state.Default, ...((state.Choices as Array<{ Next?: string }> | undefined) ?? []).map((c) => c.Next)];
    for (const n of next) if (typeof n === 'string') visit(n, here);
  };
  visit(start, []);
  return out;
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

class CostModel {
  readonly usage: Usage = { transitions: 0, expressRequests: 0, expressGbSeconds: 0, invocations: new Map(), snsPublishes: 0, s3Puts: 0, s3Gets: 0 };

  constructor(
    private readonly functionOf: (arn: string) => FunctionSpec | undefined,
    private readonly subscribersOf: (topicArn: string) => FunctionSpec[],
    private readonly rejectedShare: number,
  ) {}

  private invoke(fn: FunctionSpec | undefined, times: number, succeeded: boolean): void {
    if (!fn) return;
    this.usage.invocations.set(fn.label, (this.usage.invocations.get(fn.label) ?? 0) + times);
    if (succeeded) this.usage.s3Puts += times * (ASSUMPTIONS.s3PutsPerInvocation[fn.label] ?? 0);
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
          this.usage.snsPublishes += times;
          for (const fn of this.subscribersOf(String(params.TopicArn))) this.invoke(fn, times, true);
        } else {
          const arn = resource.endsWith(':states:::lambda:invoke') ? String(params.FunctionName) : resource;
          // The task that raised the caught error is the first on a rejected path: invoked, but wrote nothing.
          this.invoke(this.functionOf(arn), times, !(rejected && name === path[0]));
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
    if (distributed) {
      if (state.ItemReader) this.usage.s3Gets += times * ASSUMPTIONS.s3GetsPerLargeRun;
      if (state.ResultWriter) this.usage.s3Puts += times * ASSUMPTIONS.resultWriterPutsPerRun;
    }
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

function usd(value: number): string {
  return value >= 0.01 || value === 0 ? `$${num(value, 2)}` : `$${value.toPrecision(2)}`;
}

/** AWS cost per million orders from the synthesized Local stage (same constructs as Dev/Prod) and bench/prices.json. */
export function costSection(ctx: BenchContext): Section {
  const { stack, resolver } = ctx;
  const e = ctx.runtime.endpoints;
  const specs = readFunctions(stack, resolver, { dynamodb: e.dynamodb, s3: e.s3, secretsmanager: e.secretsmanager, stepfunctions: e.stepfunctions, sns: e.secretsmanager }, join(resolve(__dirname, '..'), '.local', 'bench', 'inline'));
  const arch = new Map(resourcesOfType(stack.template, 'AWS::Lambda::Function').map(([id, r]) => [id, String((r.Properties?.Architectures as string[] | undefined)?.[0] ?? 'x86_64')]));
  const functionOf = (arn: string) => specs.find((s) => arn === s.arn || arn.startsWith(`${s.arn}:`) || arn === s.name);
  const subscriptions = resourcesOfType(stack.template, 'AWS::SNS::Subscription').map(([, r]) => resolver.resolve(r.Properties ?? {}) as Record<string, string>);
  const subscribersOf = (topicArn: string) =>
    subscriptions.filter((s) => s.TopicArn === topicArn && s.Protocol === 'lambda').flatMap((s) => functionOf(s.Endpoint) ?? []);
  const fetch = specs.find((s) => s.label === 'fetch-results');
  const rejectedShare = Number(fetch?.env.AUCTION_REJECTED_SHARE ?? 0);
  const inlineLimit = Number(fetch?.env.ORDERS_INLINE_LIMIT ?? Infinity);

  const [machineId, machine] = resourcesOfType(stack.template, 'AWS::StepFunctions::StateMachine')[0];
  const p = machine.Properties ?? {};
  const text = p.DefinitionString ? resolver.resolveString(p.DefinitionString, `State machine ${machineId}`) : JSON.stringify(resolver.resolve(p.Definition));
  const definition = JSON.parse(text) as { StartAt: string; States: States };

  // The run: results ready at the first poll, through the Map the run size selects, with an alert at the end.
  const n = ASSUMPTIONS.ordersPerRun;
  const wantsDistributed = n > inlineLimit;
  const isDistributed = (s: State) => ((s.ItemProcessor as { ProcessorConfig?: { Mode?: string } } | undefined)?.ProcessorConfig?.Mode ?? 'INLINE') === 'DISTRIBUTED';
  const candidates = successPaths(definition.States, definition.StartAt).filter((path) =>
    path.some((name) => definition.States[name].Type === 'Map' && isDistributed(definition.States[name]) === wantsDistributed),
  );
  const runPath = longest(candidates.length ? candidates : successPaths(definition.States, definition.StartAt));
  const model = new CostModel(functionOf, subscribersOf, rejectedShare);
  model.walk(definition.States, runPath, 1, n, false);
  const u = model.usage;

  // Everything below is per million orders.
  const perRun = 1e6 / n;
  const requests = 1e6 / ASSUMPTIONS.ordersPerRequest;
  const invocations = new Map<string, number>([['post-orders', requests]]);
  for (const [label, count] of u.invocations) invocations.set(label, (invocations.get(label) ?? 0) + count * perRun);
  let lambdaRequests = 0;
  let lambdaCompute = 0;
  let gbSecondsTotal = 0;
  const computeDetail: string[] = [];
  for (const [label, count] of invocations) {
    const spec = specs.find((s) => s.label === label);
    if (!spec) continue;
    const ms = ASSUMPTIONS.durationMs[label] ?? ASSUMPTIONS.defaultDurationMs;
    const gbSeconds = count * (spec.memoryMb / 1024) * (ms / 1000);
    const a = arch.get(spec.logicalId) === 'arm64' ? 'arm64' : 'x86_64';
    lambdaRequests += count;
    lambdaCompute += gbSeconds * prices.lambda.gbSecond[a];
    gbSecondsTotal += gbSeconds;
    computeDetail.push(`${label} ${num(count)} × ${spec.memoryMb} MB ${a} × ${ms} ms`);
  }
  const wru = 1; // 5 attributes, record_id ≤ 128 chars: always under 1 KB, so one write request unit per order.
  const rows: Array<[string, string, string, number]> = [
    ['API Gateway (REST)', `${num(requests)} requests`, `$${prices.apiGateway.restRequestsPerMillion}/M`, (requests / 1e6) * prices.apiGateway.restRequestsPerMillion],
    ['Lambda requests', `${num(lambdaRequests)} invocations`, `$${prices.lambda.requestsPerMillion}/M`, (lambdaRequests / 1e6) * prices.lambda.requestsPerMillion],
    ['Lambda compute', `${num(gbSecondsTotal)} GB-s`, `$${prices.lambda.gbSecond.arm64}/GB-s arm64`, lambdaCompute],
    ['DynamoDB on-demand writes', `${num(1e6 * wru)} WRU (${wru}/order)`, `$${prices.dynamodb.onDemandWriteRequestUnitsPerMillion}/M`, wru * prices.dynamodb.onDemandWriteRequestUnitsPerMillion],
    ['Step Functions standard', `${num(u.transitions * perRun)} transitions (${num(u.transitions)}/run)`, `$${prices.stepFunctions.standardTransitionsPerThousand}/1k`, ((u.transitions * perRun) / 1000) * prices.stepFunctions.standardTransitionsPerThousand],
    ['Step Functions express (children)', `${num(u.expressRequests * perRun)} executions, ${num(u.expressGbSeconds * perRun, 1)} GB-s`, `$${prices.stepFunctions.expressRequestsPerMillion}/M + $${prices.stepFunctions.expressGbSecond}/GB-s`, ((u.expressRequests * perRun) / 1e6) * prices.stepFunctions.expressRequestsPerMillion + u.expressGbSeconds * perRun * prices.stepFunctions.expressGbSecond],
    ['S3 requests', `${num(u.s3Puts * perRun)} PUT, ${num(u.s3Gets * perRun)} GET`, `$${prices.s3.putPerThousand}/1k PUT`, ((u.s3Puts * perRun) / 1000) * prices.s3.putPerThousand + ((u.s3Gets * perRun) / 1000) * prices.s3.getPerThousand],
    ['SNS', `${num(u.snsPublishes * perRun)} publishes`, `$${prices.sns.publishesPerMillion}/M`, ((u.snsPublishes * perRun) / 1e6) * prices.sns.publishesPerMillion],
  ];
  const total = rows.reduce((sum, r) => sum + r[3], 0);
  const mapStates = runPath.filter((s) => definition.States[s].Type === 'Map');
  return {
    title: 'Cost per million orders',
    columns: ['service', 'usage per 1M orders', 'price (eu-west-1)', 'USD'],
    rows: [...rows.map(([a, b, c, d]) => [a, b, c, usd(d)]), ['**total**', '', '', `**${usd(total)}**`]],
    notes: [
      `prices ${prices.asOf} (bench/prices.json). From the template: memory and architecture per function, the state machine's path (${runPath.length} states: ${mapStates.join(', ')}), batch sizes, SNS subscriptions, rejected share ${rejectedShare}.`,
      `Lambda compute: ${computeDetail.join('; ')}.`,
      `assumed: ${ASSUMPTIONS.ordersPerRequest} orders per API request, ${num(n)} orders per run (results ready at the first poll, failures alerted), durations ${Object.entries(ASSUMPTIONS.durationMs).map(([k, v]) => `${k} ${v} ms`).join(', ')}; not counted: free tiers, CloudWatch logs/metrics/alarms, X-Ray traces, KMS requests, storage (orders expire after 24 h).`,
    ],
  };
}
