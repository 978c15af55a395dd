// Covers: every shipped stage config is valid and in its own namespace; the shipped platform choice per stage;
// validation of the auction period (divides an hour, or whole hours dividing a day), the run timeout (below the
// period), the gate settle (above post-orders' 29 s), polling that must fit the run, map limits, the store-result concurrency budget, table deletion protection only when plainly retained, the simulated
// platform's shares (0..1) and readiness, the external platform's https base URL, and API limits. Each rule fails
// with a message naming the setting, and only that rule fails for a config that breaks only it.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { PlatformConfig, StageConfig, stages, validateStageConfig } from '../../infra/config';

/** The problems validateStageConfig reports, one per line; empty when valid. */
function problemsOf(config: StageConfig): string[] {
  try {
    validateStageConfig(config);
    return [];
  } catch (error) {
    return (error as Error).message.split('\n- ').slice(1);
  }
}

const dev = stages.Dev;
const prod = stages.Prod;
const withAuctions = (auctions: Partial<StageConfig['auctions']>, results: Partial<StageConfig['results']> = {}): StageConfig =>
  ({ ...dev, auctions: { ...dev.auctions, ...auctions }, results: { ...dev.results, ...results } });
const withResults = (results: Partial<StageConfig['results']>): StageConfig => ({ ...dev, results: { ...dev.results, ...results } });
const simulated = dev.platform as Extract<PlatformConfig, { kind: 'simulated' }>;
const withSimulated = (platform: Partial<Extract<PlatformConfig, { kind: 'simulated' }>>): StageConfig => ({ ...dev, platform: { ...simulated, ...platform } });
const withExternal = (baseUrl: string): StageConfig => ({ ...prod, platform: { kind: 'external', baseUrl } });

describe('shipped stages', () => {
  test.each(Object.values(stages))('stage $stageName is valid and in its own namespace', (config) => {
    expect(problemsOf(config)).toEqual([]);
    expect(config.prefix).toBe(`energy-auction-${config.stageName.toLowerCase()}`);
  });

  test('Local and Dev run the simulated platform; Prod names the real one over https', () => {
    expect(stages.Local.platform).toEqual({ kind: 'simulated', readyAfterPolls: 1, rejectedShare: 0.5, malformedShare: 0, noResultShare: 0, seed: 'energy-auction' });
    expect(stages.Dev.platform).toEqual(stages.Local.platform);
    expect(stages.Prod.platform).toEqual({ kind: 'external', baseUrl: 'https://auction-platform.example.com/v1/' });
  });

  test('the failure message names the stage and every problem', () => {
    const broken = { ...withAuctions({ gateSettle: Duration.seconds(5) }, { runTimeout: Duration.hours(2) }), stageName: 'Dev' as const };
    expect(() => validateStageConfig(broken)).toThrow(/^Invalid configuration for stage Dev:\n- /);
    expect(problemsOf(broken)).toHaveLength(2);
  });
});

describe('auction period', () => {
  // A shorter period needs a shorter run (and fewer polls) to stay valid on every other rule.
  const period = (minutes: number) => withAuctions(
    { periodMinutes: minutes },
    { runTimeout: Duration.seconds(Math.max(1, minutes * 60 - 1)), maxPollAttempts: 1, pollInterval: Duration.seconds(1) },
  );
  const PERIOD_RULE = 'auctions.periodMinutes must divide an hour (e.g. 15, 30) or be whole hours that divide a day (e.g. 60, 240)';

  test.each([1, 5, 10, 15, 20, 30, 60, 120, 180, 240, 360, 480, 720, 1440])('%d minutes is a valid period', (minutes) => {
    expect(problemsOf(period(minutes))).toEqual([]);
  });

  test.each([7, 45, 90, 100, 300, 420, 2880, 0, -60, 7.5])('%d minutes is refused', (minutes) => {
    expect(problemsOf(period(minutes))).toContain(PERIOD_RULE);
  });
});

describe('run timeout', () => {
  test('must be shorter than the period so runs never overlap', () => {
    expect(problemsOf(withResults({ runTimeout: Duration.minutes(60) }))).toEqual(['results.runTimeout must be shorter than auctions.periodMinutes so runs never overlap']);
    expect(problemsOf(withResults({ runTimeout: Duration.minutes(61) }))).toContain('results.runTimeout must be shorter than auctions.periodMinutes so runs never overlap');
    expect(problemsOf(withResults({ runTimeout: Duration.seconds(3599) }))).toEqual([]);
  });

  test('follows the period: 55 minutes is too long for a 30-minute auction', () => {
    expect(problemsOf(withAuctions({ periodMinutes: 30 }))).toContain('results.runTimeout must be shorter than auctions.periodMinutes so runs never overlap');
  });
});

describe('gate settle', () => {
  test.each([0, 10_000, 29_000])('%d ms is refused: a POST that saw the auction open may still be writing', (ms) => {
    expect(problemsOf(withAuctions({ gateSettle: Duration.millis(ms) }))).toEqual([
      "auctions.gateSettle must be longer than post-orders' 29 s timeout plus its 500 ms reuse of the open auction",
    ]);
  });

  test.each([30, 35, 120])('%d s is accepted', (seconds) => {
    expect(problemsOf(withAuctions({ gateSettle: Duration.seconds(seconds) }))).toEqual([]);
  });
});

describe('polling and maps', () => {
  test('settle plus every poll must fit inside the run', () => {
    // 35 s + 54 x 60 s = 3275 s < 3300 s; one more attempt reaches 3335 s.
    expect(problemsOf(withResults({ maxPollAttempts: 54 }))).toEqual([]);
    expect(problemsOf(withResults({ maxPollAttempts: 55 }))).toEqual(['auctions.gateSettle + results.pollInterval x results.maxPollAttempts must fit inside results.runTimeout']);
  });

  test.each([
    ['no poll attempt', { maxPollAttempts: 0 }, 'results.maxPollAttempts and results.mapConcurrency must be at least 1'],
    ['no map concurrency', { mapConcurrency: 0 }, 'results.maxPollAttempts and results.mapConcurrency must be at least 1'],
    ['an inline limit above 2000', { inlineOrdersLimit: 2001 }, 'results.inlineOrdersLimit and results.batchSize must be 1..2000 (Step Functions history and payload limits), results.batchConcurrency at least 1'],
    ['an empty batch', { batchSize: 0 }, 'results.inlineOrdersLimit and results.batchSize must be 1..2000 (Step Functions history and payload limits), results.batchConcurrency at least 1'],
    ['no batch concurrency', { batchConcurrency: 0 }, 'results.inlineOrdersLimit and results.batchSize must be 1..2000 (Step Functions history and payload limits), results.batchConcurrency at least 1'],
  ])('refuses %s', (_name, results, message) => {
    expect(problemsOf(withResults(results))).toEqual([message]);
  });

  test('nested Maps may not ask for more store-result invocations than the stage\'s budget', () => {
    expect(problemsOf(withResults({ mapConcurrency: 10, batchConcurrency: 2, storeConcurrencyBudget: 20 }))).toEqual([]);
    expect(problemsOf(withResults({ mapConcurrency: 10, batchConcurrency: 3, storeConcurrencyBudget: 20 })))
      .toEqual(['results.mapConcurrency x results.batchConcurrency (30) must not exceed results.storeConcurrencyBudget (20)']);
  });
});

describe('orders table', () => {
  test('deletion protection only with a plainly retained table (a rolled-back create cannot delete a protected one)', () => {
    expect(problemsOf({ ...dev, tableDeletionProtection: true, tableRemovalPolicy: RemovalPolicy.RETAIN })).toEqual([]);
    for (const policy of [RemovalPolicy.DESTROY, RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE]) {
      expect(problemsOf({ ...dev, tableDeletionProtection: true, tableRemovalPolicy: policy }))
        .toEqual(['tableDeletionProtection needs tableRemovalPolicy RETAIN: CloudFormation cannot delete a protected table when a create rolls back']);
    }
  });
});

describe('auction platform', () => {
  test.each(['rejectedShare', 'malformedShare', 'noResultShare'] as const)('simulated %s must be a share between 0 and 1', (share) => {
    for (const value of [-0.1, 1.5, Number.NaN]) {
      expect(problemsOf(withSimulated({ [share]: value }))).toEqual([`platform.${share} must be between 0 and 1`]);
    }
    for (const value of [0, 0.5, 1]) expect(problemsOf(withSimulated({ [share]: value }))).toEqual([]);
  });

  test('simulated readiness is a whole number of polls', () => {
    expect(problemsOf(withSimulated({ readyAfterPolls: -1 }))).toEqual(['platform.readyAfterPolls must be a whole number >= 0']);
    expect(problemsOf(withSimulated({ readyAfterPolls: 1.5 }))).toEqual(['platform.readyAfterPolls must be a whole number >= 0']);
    expect(problemsOf(withSimulated({ readyAfterPolls: 0 }))).toEqual([]);
  });

  test.each(['http://auction-platform.example.com/v1/', 'ftp://auction-platform.example.com/', 'auction-platform.example.com', 'https://', ''])('an external platform at %j is refused', (baseUrl) => {
    expect(problemsOf(withExternal(baseUrl))).toEqual(['platform.baseUrl must be an https:// URL']);
  });

  test('an external platform over https is accepted', () => {
    expect(problemsOf(withExternal('https://platform.example.org/api/'))).toEqual([]);
  });
});

describe('API limits', () => {
  test.each([
    ['no orders per request', { maxOrdersPerRequest: 0 }],
    ['a burst below the rate', { rateLimit: 100, burstLimit: 50 }],
  ])('refuses %s', (_name, api) => {
    expect(problemsOf({ ...dev, api: { ...dev.api, ...api } })).toEqual(['api.maxOrdersPerRequest must be positive and api.burstLimit at least api.rateLimit']);
  });
});
