import type { StackAssembly } from '../core/assembly';
import { resourcesOfType } from '../core/assembly';
import type { Resolver } from '../core/cfn-resolver';

/** Milliseconds since the epoch; injectable so tests move time by hand. */
export type Clock = () => number;

/** Rate (tokens per second) and burst (bucket size) of one throttle setting. */
export interface Limits {
  readonly rate: number;
  readonly burst: number;
}

/**
 * API Gateway's token bucket: it holds at most `burst` tokens, starts full, refills `rate` tokens per second,
 * and a request takes one token or is throttled.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly limits: Limits,
    private readonly clock: Clock = Date.now,
  ) {
    this.tokens = limits.burst;
    this.last = clock();
  }

  /** Takes a token if there is one. */
  take(): boolean {
    const now = this.clock();
    this.tokens = Math.min(this.limits.burst, this.tokens + (Math.max(0, now - this.last) / 1000) * this.limits.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** A usage plan's request quota: `limit` requests per UTC day, week (from Sunday) or month. */
export interface Quota {
  readonly limit: number;
  /** Requests subtracted from the limit in the first period. */
  readonly offset: number;
  readonly period: 'DAY' | 'WEEK' | 'MONTH';
}

/** Start (ms) of the quota period that contains `now`. */
export function periodStart(period: Quota['period'], now: number): number {
  const d = new Date(now);
  if (period === 'MONTH') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  return period === 'WEEK' ? day - d.getUTCDay() * 86_400_000 : day;
}

/** Counts one key's requests against its plan's quota, period by period. */
export class QuotaCounter {
  private readonly first: number;
  private period: number;
  private used = 0;

  constructor(
    readonly quota: Quota,
    private readonly clock: Clock = Date.now,
  ) {
    this.first = periodStart(quota.period, clock());
    this.period = this.first;
  }

  /** Counts the request if the quota has room for it. */
  take(): boolean {
    const period = periodStart(this.quota.period, this.clock());
    if (period !== this.period) [this.period, this.used] = [period, 0];
    const available = this.quota.limit - (period === this.first ? this.quota.offset : 0);
    if (this.used >= available) return false;
    this.used += 1;
    return true;
  }
}

/** One usage plan's settings for one API stage. */
interface PlanLimits {
  readonly throttle?: Limits;
  /** Per-method throttles of the plan's API stage, by `resourcePath/METHOD` (e.g. `/orders/POST`). */
  readonly methods: Record<string, Limits>;
  readonly quota?: Quota;
}

export interface ThrottleSettings {
  /** Usage plans (logical ids) that include this API, with their limits. */
  readonly plans: Record<string, PlanLimits>;
  /** The stage's MethodSettings throttles, by `resourcePath METHOD` with `*` wildcards. */
  readonly stage: Record<string, Limits>;
}

const refOf = (value: unknown): string | undefined => (value && typeof value === 'object' ? ((value as { Ref?: unknown }).Ref as string | undefined) : undefined);

/** Both numbers, or none; a negative value is API Gateway's "not set". */
function limitsOf(rate: unknown, burst: unknown, where: string): Limits | undefined {
  if (rate === undefined && burst === undefined) return undefined;
  const [r, b] = [Number(rate), Number(burst)];
  if (!Number.isFinite(r) || !Number.isFinite(b)) throw new Error(`${where}: throttle needs a numeric rate and burst limit, got ${JSON.stringify({ rate, burst })}`);
  return r < 0 || b < 0 ? undefined : { rate: r, burst: b };
}

/** `/~1orders~1{id}` (MethodSettings' escaped form) -> `/orders/{id}`; `/*` stays the wildcard. */
const unescapePath = (path: string) => (path === '/*' ? '*' : `/${path.slice(1).replace(/~1/g, '/').replace(/~0/g, '~')}`.replace(/^\/\//, '/'));

/**
 * Reads what throttles one API stage in the template: the usage plans that include it (Throttle, per-method
 * ApiStages[].Throttle, Quota) and the stage's MethodSettings (ThrottlingRateLimit / ThrottlingBurstLimit,
 * from the Stage resource or the Deployment's StageDescription).
 */
export function readThrottleSettings(stack: StackAssembly, resolver: Resolver, apiLogicalId: string, stageName: string): ThrottleSettings {
  const template = stack.template;
  const plans: Record<string, PlanLimits> = {};
  for (const [id, plan] of resourcesOfType(template, 'AWS::ApiGateway::UsagePlan')) {
    // Only the settings read here are resolved: the rest (names, tags) may hold intrinsics the runtime has no value for.
    const p = { Throttle: resolver.resolve(plan.Properties?.Throttle), Quota: resolver.resolve(plan.Properties?.Quota) } as Record<string, unknown>;
    const raw = (plan.Properties?.ApiStages as Array<Record<string, unknown>> | undefined) ?? [];
    const stages = raw.filter((s) => refOf(s.ApiId) === apiLogicalId);
    if (stages.length === 0) continue;
    const throttle = (p.Throttle ?? {}) as Record<string, unknown>;
    const methods: Record<string, Limits> = {};
    for (const stage of stages) {
      for (const [method, t] of Object.entries((resolver.resolve(stage.Throttle ?? {}) as Record<string, Record<string, unknown>>))) {
        const limits = limitsOf(t.RateLimit, t.BurstLimit, `UsagePlan ${id} method ${method}`);
        if (limits) methods[method] = limits;
      }
    }
    const q = p.Quota as Record<string, unknown> | undefined;
    const period = String(q?.Period ?? 'DAY');
    if (q && !['DAY', 'WEEK', 'MONTH'].includes(period)) throw new Error(`UsagePlan ${id}: quota period ${period} is not DAY, WEEK or MONTH`);
    plans[id] = {
      throttle: limitsOf(throttle.RateLimit, throttle.BurstLimit, `UsagePlan ${id}`),
      methods,
      quota: q?.Limit === undefined ? undefined : { limit: Number(q.Limit), offset: Number(q.Offset ?? 0), period: period as Quota['period'] },
    };
  }

  const settings: Array<Record<string, unknown>> = [];
  for (const [, stage] of resourcesOfType(template, 'AWS::ApiGateway::Stage')) {
    const p = { StageName: resolver.resolve(stage.Properties?.StageName), MethodSettings: resolver.resolve(stage.Properties?.MethodSettings) } as Record<string, unknown>;
    if (refOf(stage.Properties?.RestApiId) === apiLogicalId && p.StageName === stageName) settings.push(...((p.MethodSettings as Array<Record<string, unknown>>) ?? []));
  }
  for (const [, deployment] of resourcesOfType(template, 'AWS::ApiGateway::Deployment')) {
    const p = { StageName: resolver.resolve(deployment.Properties?.StageName), StageDescription: resolver.resolve(deployment.Properties?.StageDescription) } as Record<string, unknown>;
    const description = p.StageDescription as Record<string, unknown> | undefined;
    if (refOf(deployment.Properties?.RestApiId) !== apiLogicalId || p.StageName !== stageName || !description) continue;
    const stageWide = limitsOf(description.ThrottlingRateLimit, description.ThrottlingBurstLimit, `Deployment of ${apiLogicalId}`);
    if (stageWide) settings.push({ ResourcePath: '/*', HttpMethod: '*', ThrottlingRateLimit: stageWide.rate, ThrottlingBurstLimit: stageWide.burst });
    settings.push(...((description.MethodSettings as Array<Record<string, unknown>>) ?? []));
  }
  const stage: Record<string, Limits> = {};
  for (const s of settings) {
    const limits = limitsOf(s.ThrottlingRateLimit, s.ThrottlingBurstLimit, `Stage ${stageName} of ${apiLogicalId}`);
    if (limits) stage[`${unescapePath(String(s.ResourcePath ?? '/*'))} ${String(s.HttpMethod ?? '*').toUpperCase()}`] = limits;
  }
  return { plans, stage };
}

/** What a request is refused with, as a gateway response type. */
export type Refusal = 'THROTTLED' | 'QUOTA_EXCEEDED';

/**
 * Throttles one API stage as API Gateway applies its settings: first the caller's usage plans (per key and
 * plan: the method's own throttle if the plan sets one, else the plan's), then the stage's per-method
 * limits (shared by all callers; `/*` `*` applies to each method on its own), then the plans' quotas.
 * Only a request that passes every check uses quota.
 */
export class Throttle {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly quotas = new Map<string, QuotaCounter>();

  constructor(
    private readonly settings: ThrottleSettings,
    private readonly clock: Clock = Date.now,
  ) {}

  /** `plans`: the calling key's usage plans (none for a method without ApiKeyRequired). */
  admit(request: { resourcePath: string; method: string; key?: string; plans: Iterable<string> }): Refusal | undefined {
    const plans = [...request.plans].filter((id) => id in this.settings.plans);
    for (const id of plans) {
      const plan = this.settings.plans[id];
      const methodKey = `${request.resourcePath}/${request.method}`;
      const own = plan.methods[methodKey];
      const limits = own ?? plan.throttle;
      if (limits && !this.bucket(`plan ${id} ${request.key} ${own ? methodKey : ''}`, limits).take()) return 'THROTTLED';
    }
    const s = this.settings.stage;
    const stage = s[`${request.resourcePath} ${request.method}`] ?? s[`${request.resourcePath} *`] ?? s['* *'];
    if (stage && !this.bucket(`stage ${request.resourcePath} ${request.method}`, stage).take()) return 'THROTTLED';
    for (const id of plans) {
      const quota = this.settings.plans[id].quota;
      if (!quota) continue;
      const name = `${id} ${request.key}`;
      let counter = this.quotas.get(name);
      if (!counter) this.quotas.set(name, (counter = new QuotaCounter(quota, this.clock)));
      if (!counter.take()) return 'QUOTA_EXCEEDED';
    }
    return undefined;
  }

  private bucket(name: string, limits: Limits): TokenBucket {
    let bucket = this.buckets.get(name);
    if (!bucket) this.buckets.set(name, (bucket = new TokenBucket(limits, this.clock)));
    return bucket;
  }
}
