// Scenarios: token bucket starts full at burst, refuses when empty, refills at rate per second (fractions add up), never beyond burst, a clock going back adds nothing; quota periods (UTC day, week from Sunday, month) and Offset in the first period only; Throttle: a bucket per key and plan, a plan's per-method throttle replacing its plan-wide one, stage limits shared by all callers and per method (`/*` `*` for each method on its own), quota counted only for admitted requests and refused with QUOTA_EXCEEDED; readThrottleSettings reads Throttle, ApiStages[].Throttle, Quota and MethodSettings (escaped paths) from a template.
import { periodStart, QuotaCounter, readThrottleSettings, Throttle, TokenBucket } from '../../local/api-gateway/throttle';
import { Resolver } from '../../local/core/cfn-resolver';
import type { StackAssembly } from '../../local/core/assembly';

/** A clock the test moves by hand. */
function manualClock(start = Date.UTC(2026, 0, 7, 12)) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const takeAll = (n: number, take: () => boolean) => Array.from({ length: n }, take).filter(Boolean).length;

describe('TokenBucket', () => {
  it('holds burst tokens at the start and refuses the next request', () => {
    const clock = manualClock();
    const bucket = new TokenBucket({ rate: 10, burst: 5 }, clock.now);

    expect(takeAll(7, () => bucket.take())).toBe(5);
  });

  it('refills rate tokens per second, in fractions, up to burst', () => {
    const clock = manualClock();
    const bucket = new TokenBucket({ rate: 4, burst: 10 }, clock.now);
    takeAll(10, () => bucket.take());

    clock.advance(100); // 0.4 tokens
    expect(bucket.take()).toBe(false);
    clock.advance(150); // 0.4 + 0.6 = 1 token
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
    clock.advance(60_000); // far more than burst
    expect(takeAll(20, () => bucket.take())).toBe(10);
  });

  it('lets a client at the rate through forever and throttles one just above it', () => {
    const clock = manualClock();
    const paced = new TokenBucket({ rate: 2, burst: 1 }, clock.now);
    const eager = new TokenBucket({ rate: 2, burst: 1 }, clock.now);
    // [admitted, throttled] over 50 s: one request per 500 ms, and two.
    const answers = { paced: [0, 0], eager: [0, 0] };
    const count = (tally: number[], ok: boolean) => tally[ok ? 0 : 1]++;
    for (let i = 0; i < 100; i++) {
      clock.advance(500);
      count(answers.paced, paced.take());
      count(answers.eager, eager.take());
      count(answers.eager, eager.take());
    }

    expect(answers).toEqual({ paced: [100, 0], eager: [100, 100] });
  });

  it('adds nothing when the clock goes back', () => {
    const clock = manualClock();
    const bucket = new TokenBucket({ rate: 100, burst: 1 }, clock.now);
    bucket.take();
    clock.advance(-5000);

    expect(bucket.take()).toBe(false);
  });
});

describe('quotas', () => {
  it('starts periods at 00:00 UTC, on Sundays and on the first of the month', () => {
    const wednesday = Date.UTC(2026, 0, 7, 15, 30);

    expect(new Date(periodStart('DAY', wednesday)).toISOString()).toBe('2026-01-07T00:00:00.000Z');
    expect(new Date(periodStart('WEEK', wednesday)).toISOString()).toBe('2026-01-04T00:00:00.000Z');
    expect(new Date(periodStart('MONTH', wednesday)).toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });

  it('subtracts Offset in the first period only and starts over in the next', () => {
    const clock = manualClock(Date.UTC(2026, 0, 7, 23));
    const quota = new QuotaCounter({ limit: 3, offset: 1, period: 'DAY' }, clock.now);

    expect(takeAll(5, () => quota.take())).toBe(2);
    clock.advance(3_600_000);
    expect(takeAll(5, () => quota.take())).toBe(3);
  });
});

describe('Throttle', () => {
  const orders = { resourcePath: '/orders', method: 'POST' };

  it('keeps a bucket per key and plan, and a method throttle of the plan apart from the plan-wide one', () => {
    const clock = manualClock();
    const throttle = new Throttle({
      plans: { Plan: { throttle: { rate: 1, burst: 2 }, methods: { '/orders/{id}/GET': { rate: 1, burst: 3 } } } },
      stage: {},
    }, clock.now);
    const admit = (key: string, request = orders) => throttle.admit({ ...request, key, plans: ['Plan'] });

    expect([admit('a'), admit('a'), admit('a')]).toEqual([undefined, undefined, 'THROTTLED']);
    expect([admit('b'), admit('b')]).toEqual([undefined, undefined]);
    const get = { resourcePath: '/orders/{id}', method: 'GET' };
    expect([admit('a', get), admit('a', get), admit('a', get), admit('a', get)]).toEqual([undefined, undefined, undefined, 'THROTTLED']);
  });

  it('shares the stage limit across callers, per method', () => {
    const clock = manualClock();
    const throttle = new Throttle({ plans: {}, stage: { '* *': { rate: 1, burst: 2 }, '/orders/{id} GET': { rate: 1, burst: 1 } } }, clock.now);
    const admit = (key: string, request: { resourcePath: string; method: string }) => throttle.admit({ ...request, key, plans: [] });
    const get = { resourcePath: '/orders/{id}', method: 'GET' };

    expect([admit('a', orders), admit('b', orders), admit('c', orders)]).toEqual([undefined, undefined, 'THROTTLED']);
    expect([admit('a', get), admit('b', get)]).toEqual([undefined, 'THROTTLED']);
    expect(throttle.admit({ resourcePath: '/other', method: 'PUT', plans: [] })).toBeUndefined();
  });

  it('counts quota only for admitted requests and refuses with QUOTA_EXCEEDED', () => {
    const clock = manualClock();
    const throttle = new Throttle({ plans: { Plan: { throttle: { rate: 1, burst: 1 }, methods: {}, quota: { limit: 2, offset: 0, period: 'DAY' } } }, stage: {} }, clock.now);
    const admit = () => throttle.admit({ ...orders, key: 'a', plans: ['Plan'] });

    expect([admit(), admit()]).toEqual([undefined, 'THROTTLED']);
    clock.advance(1000);
    expect(admit()).toBeUndefined();
    clock.advance(1000);
    expect(admit()).toBe('QUOTA_EXCEEDED');
    clock.advance(86_400_000);
    expect(admit()).toBeUndefined();
  });
});

describe('readThrottleSettings', () => {
  it('reads the plans of the API and the stage\'s MethodSettings', () => {
    const stack = {
      stackName: 'S',
      template: {
        Resources: {
          Api: { Type: 'AWS::ApiGateway::RestApi', Properties: { Name: 'api' } },
          Other: { Type: 'AWS::ApiGateway::RestApi', Properties: { Name: 'other' } },
          Stage: {
            Type: 'AWS::ApiGateway::Stage',
            Properties: {
              RestApiId: { Ref: 'Api' },
              StageName: 'v1',
              MethodSettings: [
                { ResourcePath: '/*', HttpMethod: '*', ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
                { ResourcePath: '/~1orders~1{id}', HttpMethod: 'GET', ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 },
                { ResourcePath: '/~1orders', HttpMethod: 'POST', MetricsEnabled: true },
              ],
            },
          },
          Plan: {
            Type: 'AWS::ApiGateway::UsagePlan',
            Properties: {
              ApiStages: [{ ApiId: { Ref: 'Api' }, Stage: { Ref: 'Stage' }, Throttle: { '/orders/POST': { RateLimit: 1, BurstLimit: 2 } } }],
              Throttle: { RateLimit: 10, BurstLimit: 20 },
              Quota: { Limit: 1000, Period: 'MONTH' },
            },
          },
          OtherPlan: { Type: 'AWS::ApiGateway::UsagePlan', Properties: { ApiStages: [{ ApiId: { Ref: 'Other' } }], Throttle: { RateLimit: 1, BurstLimit: 1 } } },
        },
      },
    } as unknown as StackAssembly;

    expect(readThrottleSettings(stack, new Resolver(stack), 'Api', 'v1')).toEqual({
      plans: { Plan: { throttle: { rate: 10, burst: 20 }, methods: { '/orders/POST': { rate: 1, burst: 2 } }, quota: { limit: 1000, offset: 0, period: 'MONTH' } } },
      stage: { '* *': { rate: 50, burst: 100 }, '/orders/{id} GET': { rate: 5, burst: 10 } },
    });
  });
});
