import { randomUUID } from 'node:crypto';
import type { StackAssembly } from '../core/assembly';
import { resourcesOfType } from '../core/assembly';
import { ACCOUNT, REGION, Resolver } from '../core/cfn-resolver';
import { CronSchedule, parseCron } from './cron';
import { log } from '../core/log';

/** An EventBridge event as delivered to targets. */
export interface BusEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

interface Target {
  readonly id: string;
  readonly arn: string;
  /** The role EventBridge assumes to reach the target (state machines); others need a resource policy. */
  readonly roleArn?: string;
  readonly input?: string;
  readonly inputPath?: string;
  readonly transformer?: { InputPathsMap?: Record<string, string>; InputTemplate: string };
}

interface Rule {
  readonly name: string;
  readonly arn: string;
  readonly pattern?: Record<string, unknown>;
  readonly scheduleMs?: number;
  readonly cron?: CronSchedule;
  readonly schedule?: string;
  readonly targets: Target[];
}

/** How a target ARN is reached locally; supplied by the runtime (state machine, topic, function). */
export type Deliver = (targetArn: string, payload: string, source: string, via: { readonly ruleArn: string; readonly roleArn?: string }) => void;

const OPERATORS = new Set(['prefix', 'suffix', 'anything-but', 'exists', 'equals-ignore-case', 'numeric']);

function validatePattern(pattern: unknown, where: string): void {
  if (Array.isArray(pattern)) {
    for (const rule of pattern) {
      if (rule && typeof rule === 'object') {
        for (const op of Object.keys(rule)) if (!OPERATORS.has(op)) throw new Error(`${where}: event pattern operator "${op}" is not supported locally`);
      }
    }
  } else if (pattern && typeof pattern === 'object') {
    for (const [k, v] of Object.entries(pattern)) validatePattern(v, `${where}.${k}`);
  }
}

function matchOne(rule: unknown, value: unknown): boolean {
  if (rule === null || typeof rule !== 'object') return rule === value;
  const [[op, arg]] = Object.entries(rule as Record<string, unknown>);
  const s = typeof value === 'string' ? value : undefined;
  switch (op) {
    case 'prefix':
      return s !== undefined && s.startsWith(String(arg));
    case 'suffix':
      return s !== undefined && s.endsWith(String(arg));
    case 'equals-ignore-case':
      return s !== undefined && s.toLowerCase() === String(arg).toLowerCase();
    case 'anything-but':
      return value !== undefined && !(Array.isArray(arg) ? arg : [arg]).some((a) => matchOne(a, value));
    case 'numeric': {
      if (typeof value !== 'number') return false;
      const ops = arg as Array<string | number>;
      for (let i = 0; i < ops.length; i += 2) {
        const [o, n] = [ops[i], Number(ops[i + 1])];
        const ok = o === '=' ? value === n : o === '<' ? value < n : o === '<=' ? value <= n : o === '>' ? value > n : value >= n;
        if (!ok) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/** EventBridge pattern semantics: every key must match; a list matches when any entry does. */
export function matchesPattern(pattern: Record<string, unknown>, event: unknown): boolean {
  const obj = (event ?? {}) as Record<string, unknown>;
  return Object.entries(pattern).every(([key, rule]) => {
    const value = obj[key];
    if (Array.isArray(rule)) {
      const exists = rule.find((r) => r && typeof r === 'object' && 'exists' in r) as { exists: boolean } | undefined;
      if (exists) return (value !== undefined) === exists.exists;
      const values = Array.isArray(value) ? value : [value];
      return rule.some((r) => values.some((v) => matchOne(r, v)));
    }
    if (rule && typeof rule === 'object') return value !== null && typeof value === 'object' && matchesPattern(rule as Record<string, unknown>, value);
    return false;
  });
}

function pathGet(path: string, value: unknown): unknown {
  if (path === '$') return value;
  return path
    .replace(/^\$\.?/, '')
    .split(/\.|\[(\d+)\]/)
    .filter((p) => p !== undefined && p !== '')
    .reduce<unknown>((v, key) => (v === null || v === undefined ? undefined : (v as Record<string, unknown>)[key]), value);
}

function rateMs(expression: string, where: string): number {
  const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (!m) throw new Error(`${where}: schedule ${expression} is not supported locally (rate(N minutes|hours|days) or cron(...))`);
  const unit = m[2].startsWith('minute') ? 60_000 : m[2].startsWith('hour') ? 3_600_000 : 86_400_000;
  return Number(m[1]) * unit;
}

/** EventBridge's `time`: ISO-8601 with seconds precision. */
const eventTime = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** setTimeout takes at most 2^31-1 ms; longer waits are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * EventBridge rules of the template: `rate()` schedules fire on a timer scaled by LOCAL_TIME_SCALE,
 * `cron()` schedules at their cron times on the real clock (0 turns both off), pattern rules receive
 * the events the runtime emits (execution status changes).
 */
export class LocalEvents {
  private readonly rules: Rule[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(stack: StackAssembly, resolver: Resolver, private readonly deliver: Deliver) {
    for (const [id, res] of resourcesOfType(stack.template, 'AWS::Events::Rule')) {
      const p = resolver.resolve(res.Properties ?? {}) as Record<string, unknown>;
      if (p.State === 'DISABLED') continue;
      if (p.EventBusName && p.EventBusName !== 'default') throw new Error(`Rule ${id}: custom event bus ${String(p.EventBusName)} is not supported locally`);
      const pattern = p.EventPattern as Record<string, unknown> | undefined;
      if (pattern) validatePattern(pattern, `Rule ${id}`);
      const schedule = p.ScheduleExpression as string | undefined;
      const cronText = schedule ? /^cron\((.*)\)$/.exec(schedule.trim())?.[1] : undefined;
      let cron: CronSchedule | undefined;
      try {
        cron = cronText === undefined ? undefined : parseCron(cronText);
      } catch (error) {
        throw new Error(`Rule ${id}: ${(error as Error).message}`);
      }
      const targets = ((p.Targets as Array<Record<string, unknown>>) ?? []).map((t) => ({
        id: String(t.Id),
        arn: String(t.Arn),
        roleArn: t.RoleArn === undefined ? undefined : String(t.RoleArn),
        input: t.Input as string | undefined,
        inputPath: t.InputPath as string | undefined,
        transformer: t.InputTransformer as Target['transformer'],
      }));
      this.rules.push({
        name: resolver.physicalName(id),
        arn: resolver.getAtt(id, 'Arn'),
        pattern,
        schedule,
        cron,
        scheduleMs: schedule && !cron ? rateMs(schedule, `Rule ${id}`) : undefined,
        targets,
      });
    }
  }

  get targetArns(): string[] {
    return this.rules.flatMap((r) => r.targets.map((t) => t.arn));
  }

  /** Starts the schedules. */
  start(timeScale: number): void {
    for (const rule of this.rules.filter((r) => r.scheduleMs !== undefined || r.cron)) {
      if (timeScale === 0) {
        log('events', `schedule ${rule.schedule} of ${rule.name} is off (LOCAL_TIME_SCALE=0); start runs with npm run pipeline`);
        continue;
      }
      if (rule.cron) {
        const first = rule.cron.next(new Date());
        const scaled = timeScale === 1 ? '' : ' (cron follows the real clock; LOCAL_TIME_SCALE scales rate() only)';
        log('events', `schedule ${rule.schedule} of ${rule.name}: next at ${first ? eventTime(first) : 'never'}${scaled}`);
        this.armCron(rule, rule.cron, first);
        continue;
      }
      const period = Math.max(1000, (rule.scheduleMs as number) * timeScale);
      log('events', `schedule ${rule.schedule} of ${rule.name}: every ${Math.round(period / 1000)}s`);
      this.timers.add(setInterval(() => this.fire(rule, this.scheduled(rule, new Date())), period));
    }
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /** Waits for the cron time (re-arming past setTimeout's limit), delivers it, then arms the next one. */
  private armCron(rule: Rule, cron: CronSchedule, at: Date | undefined): void {
    if (!at) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (Date.now() < at.getTime()) return this.armCron(rule, cron, at);
      this.fire(rule, this.scheduled(rule, at));
      // After a pause (a suspended laptop) the missed times are skipped, not delivered in a burst.
      this.armCron(rule, cron, cron.next(new Date(Math.max(Date.now(), at.getTime()))));
    }, Math.min(MAX_TIMER_MS, Math.max(0, at.getTime() - Date.now())));
    this.timers.add(timer);
  }

  private scheduled(rule: Rule, time: Date): BusEvent {
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: ACCOUNT,
      time: eventTime(time),
      region: REGION,
      resources: [rule.arn],
      detail: {},
    };
  }

  /** Puts an event on the default bus: every matching pattern rule delivers it to its targets. */
  put(event: BusEvent): void {
    for (const rule of this.rules) if (rule.pattern && matchesPattern(rule.pattern, event)) this.fire(rule, event);
  }

  private fire(rule: Rule, event: BusEvent): void {
    for (const target of rule.targets) {
      let payload: string;
      if (target.input !== undefined) payload = target.input;
      else if (target.inputPath) payload = JSON.stringify(pathGet(target.inputPath, event));
      else if (target.transformer) payload = this.transform(target.transformer, event, rule);
      else payload = JSON.stringify(event);
      log('events', `${rule.name}: ${event['detail-type']} -> ${target.arn.split(':').slice(2, 3)} ${target.arn.split(':').pop()}`);
      this.deliver(target.arn, payload, `rule ${rule.name}`, { ruleArn: rule.arn, roleArn: target.roleArn });
    }
  }

  private transform(t: NonNullable<Target['transformer']>, event: BusEvent, rule: Rule): string {
    const values: Record<string, unknown> = {
      'aws.events.rule-arn': rule.arn,
      'aws.events.rule-name': rule.name,
      'aws.events.event.ingestion-time': event.time,
      'aws.events.event.json': event,
    };
    for (const [k, path] of Object.entries(t.InputPathsMap ?? {})) values[k] = pathGet(path, event);
    return t.InputTemplate.replace(/<([\w.-]+)>/g, (whole, key: string) => {
      if (!(key in values)) return whole;
      const v = values[key];
      return typeof v === 'string' ? v : JSON.stringify(v ?? null);
    });
  }
}
