import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { OPEN_AUCTION_REUSE_MS } from '../src/orders/ingest';

/** Every region this product runs in. One, by decision (SPEC 2.6). */
export const REGION = 'eu-west-1';

/**
 * Concurrent Lambda executions the deployed stages count on in the one account they share. AWS's default
 * quota is 1,000, but new accounts start lower and are raised with use (README "Deploy" says how to check
 * it). Dev and Prod close their auctions at the same minute, so their store-result budgets add up; the
 * other half is left to the API and the other functions.
 */
export const ACCOUNT_LAMBDA_CONCURRENCY = 100;

/** Name of the pipeline stack's own alerts topic, which the Dev stage's notifier subscribes to. */
export const PIPELINE_ALERTS_TOPIC = 'energy-auction-pipeline-alerts';

export type StageName = 'Local' | 'Dev' | 'Prod';

/**
 * Local and Dev run the simulated platform, a small service of the app reached over HTTP like a real one;
 * Prod names the real platform. Its API key lives in a Secrets Manager secret either way.
 */
export type PlatformConfig =
  | {
      readonly kind: 'simulated';
      /** Polls of an auction that answer `{"results": false}` before its results are ready. */
      readonly readyAfterPolls: number;
      /** Share of each batch's orders the platform rejects. */
      readonly rejectedShare: number;
      /** Share of polls answered with a deliberately malformed answer (InvalidAuctionResults). */
      readonly malformedShare: number;
      /** Share of orders the platform never answers for (they fail with NoResult). */
      readonly noResultShare: number;
      /** Makes every answer a pure function of the seed and the orders. */
      readonly seed: string;
    }
  | {
      readonly kind: 'external';
      /** Base URL of the platform's API, e.g. `https://auction.example.com/v1/`. */
      readonly baseUrl: string;
    };

/** Per-stage settings: the one place where stages differ. Passed down as props, never read globally. */
export interface StageConfig {
  readonly stageName: StageName;
  /** Prefix for physical names and the `stage` tag, e.g. `energy-auction-dev`. */
  readonly prefix: string;
  readonly api: {
    /** Steady-state requests per second allowed by the usage plan and the stage. */
    readonly rateLimit: number;
    /** Requests allowed in a burst above the rate. */
    readonly burstLimit: number;
    /** Largest number of orders in one POST. */
    readonly maxOrdersPerRequest: number;
    /** Largest request body in bytes; larger bodies get 413. */
    readonly maxBodyBytes: number;
  };
  readonly orders: {
    /** How long an order is kept before DynamoDB's TTL removes it. */
    readonly ttlHours: number;
  };
  readonly auctions: {
    /**
     * Minutes between two gate closures, aligned to midnight UTC; it must divide a day. The run of an
     * auction starts at its gate closure (a cron schedule), so this is also the schedule period.
     */
    readonly periodMinutes: number;
    /**
     * Pause between closing an auction and reading its orders, longer than post-orders' timeout: a POST
     * that saw the auction open has written (or failed) by then. Later stragglers go to the next run.
     */
    readonly gateSettle: Duration;
  };
  /** The auction platform the run hands orders to and polls. */
  readonly platform: PlatformConfig;
  readonly results: {
    /** Hard limit of a run; below the auction period so two runs never overlap. */
    readonly runTimeout: Duration;
    /** Pause between two questions to the auction platform while results are not ready. */
    readonly pollInterval: Duration;
    /** Questions asked before the run fails with ResultsNotReady. */
    readonly maxPollAttempts: number;
    /** store-result invocations running at once inside the Map (and inside each batch of a large run). */
    readonly mapConcurrency: number;
    /** Largest result set that travels in the state; larger ones go through S3 and a Distributed Map. */
    readonly inlineOrdersLimit: number;
    /** Orders per child execution of the Distributed Map. */
    readonly batchSize: number;
    /** Child executions running at once. */
    readonly batchConcurrency: number;
    /**
     * Most store-result invocations one run may hold at once (mapConcurrency x batchConcurrency must fit):
     * the stage's share of the account's Lambda concurrency, so a large run is slowed by its own Map, not
     * throttled by Lambda (whose TooManyRequests retries would eat the EXPRESS children's 5 minutes).
     */
    readonly storeConcurrencyBudget: number;
    /** Days before a run's working files (orders file, map results, failure list) expire. */
    readonly workFilesExpireAfterDays: number;
    /** Days before stored results move to infrequent access, and before they expire. */
    readonly infrequentAccessAfterDays: number;
    readonly expireAfterDays: number;
  };
  readonly logRetention: RetentionDays;
  /**
   * What happens to the orders table when the stack is deleted or the table replaced. RETAIN_ON_UPDATE_OR_DELETE
   * keeps it then but lets a first create that rolls back delete it, so the retry does not meet "already exists".
   */
  readonly tableRemovalPolicy: RemovalPolicy;
  /**
   * DynamoDB deletion protection: nobody, CloudFormation included, can delete the table. A create that rolls
   * back cannot delete it either, so a protected table must be plainly retained and have a generated name
   * (the retry then creates a new one instead of failing on the name).
   */
  readonly tableDeletionProtection: boolean;
}

const common = {
  api: { rateLimit: 50, burstLimit: 100, maxOrdersPerRequest: 1000, maxBodyBytes: 1024 * 1024 },
  orders: { ttlHours: 24 },
  auctions: { periodMinutes: 60, gateSettle: Duration.seconds(35) },
  results: {
    runTimeout: Duration.minutes(55),
    pollInterval: Duration.seconds(60),
    maxPollAttempts: 30,
    mapConcurrency: 10,
    inlineOrdersLimit: 1000,
    batchSize: 500,
    batchConcurrency: 20,
    storeConcurrencyBudget: 200,
    workFilesExpireAfterDays: 14,
    infrequentAccessAfterDays: 30,
    expireAfterDays: 365,
  },
};

const simulatedPlatform: PlatformConfig = {
  kind: 'simulated',
  readyAfterPolls: 1,
  rejectedShare: 0.5,
  malformedShare: 0,
  noResultShare: 0,
  seed: 'energy-auction',
};

export const stages: Record<StageName, StageConfig> = {
  Local: {
    ...common,
    stageName: 'Local',
    prefix: 'energy-auction-local',
    platform: simulatedPlatform,
    // The local gateway throttles as API Gateway does: limits no test or benchmark on one machine reaches
    // (within the account's 10,000/s and 5,000 burst); test/e2e/local-throttling.test.ts shows low ones biting.
    api: { ...common.api, rateLimit: 5000, burstLimit: 5000 },
    logRetention: RetentionDays.ONE_WEEK,
    tableRemovalPolicy: RemovalPolicy.DESTROY,
    tableDeletionProtection: false,
  },
  Dev: {
    ...common,
    stageName: 'Dev',
    prefix: 'energy-auction-dev',
    platform: simulatedPlatform,
    // 10 x 2 store-result at once: Dev shares the account (and the gate closure minute) with Prod.
    results: { ...common.results, batchConcurrency: 2, storeConcurrencyBudget: 20 },
    logRetention: RetentionDays.ONE_MONTH,
    tableRemovalPolicy: RemovalPolicy.DESTROY,
    tableDeletionProtection: false,
  },
  Prod: {
    ...common,
    stageName: 'Prod',
    prefix: 'energy-auction-prod',
    // The real platform; its API key is put into the stage's platform secret by an operator.
    platform: { kind: 'external', baseUrl: 'https://auction-platform.example.com/v1/' },
    api: { ...common.api, rateLimit: 200, burstLimit: 400 },
    // 10 x 3 store-result at once: 100,000 orders take minutes, far inside the run timeout.
    results: { ...common.results, batchConcurrency: 3, storeConcurrencyBudget: 30 },
    logRetention: RetentionDays.SIX_MONTHS,
    tableRemovalPolicy: RemovalPolicy.RETAIN,
    tableDeletionProtection: true,
  },
};

/**
 * Fails synth early when settings contradict each other, e.g. a run that could outlive the schedule
 * period and overlap the next one.
 */
export function validateStageConfig(config: StageConfig): void {
  const { results, auctions, platform, api } = config;
  const problems: string[] = [];
  const period = auctions.periodMinutes;
  // Gate closures every `period` minutes from midnight must be one cron expression (minutes or hours).
  if (!Number.isInteger(period) || period < 1 || (period < 60 ? 60 % period !== 0 : period % 60 !== 0 || 1440 % period !== 0)) {
    problems.push('auctions.periodMinutes must divide an hour (e.g. 15, 30) or be whole hours that divide a day (e.g. 60, 240)');
  }
  if (results.runTimeout.toSeconds() >= period * 60) {
    problems.push('results.runTimeout must be shorter than auctions.periodMinutes so runs never overlap');
  }
  // A POST that saw the auction open finishes within its 29 s timeout, and may have read the auction up to
  // OPEN_AUCTION_REUSE_MS before it started.
  if (auctions.gateSettle.toMilliseconds() <= 29_000 + OPEN_AUCTION_REUSE_MS) {
    problems.push(`auctions.gateSettle must be longer than post-orders' 29 s timeout plus its ${OPEN_AUCTION_REUSE_MS} ms reuse of the open auction`);
  }
  if (auctions.gateSettle.toSeconds() + results.pollInterval.toSeconds() * results.maxPollAttempts >= results.runTimeout.toSeconds()) {
    problems.push('auctions.gateSettle + results.pollInterval x results.maxPollAttempts must fit inside results.runTimeout');
  }
  if (results.maxPollAttempts < 1 || results.mapConcurrency < 1) {
    problems.push('results.maxPollAttempts and results.mapConcurrency must be at least 1');
  }
  // One inline Map item costs about 5 history events and up to ~250 bytes of state: keep both limits far away.
  if (results.inlineOrdersLimit > 2000 || results.batchSize > 2000 || results.batchSize < 1 || results.batchConcurrency < 1) {
    problems.push('results.inlineOrdersLimit and results.batchSize must be 1..2000 (Step Functions history and payload limits), results.batchConcurrency at least 1');
  }
  if (results.mapConcurrency * results.batchConcurrency > results.storeConcurrencyBudget) {
    problems.push(`results.mapConcurrency x results.batchConcurrency (${results.mapConcurrency * results.batchConcurrency}) must not exceed results.storeConcurrencyBudget (${results.storeConcurrencyBudget})`);
  }
  if (config.tableDeletionProtection && config.tableRemovalPolicy !== RemovalPolicy.RETAIN) {
    problems.push('tableDeletionProtection needs tableRemovalPolicy RETAIN: CloudFormation cannot delete a protected table when a create rolls back');
  }
  if (platform.kind === 'simulated') {
    for (const [name, value] of Object.entries({ rejectedShare: platform.rejectedShare, malformedShare: platform.malformedShare, noResultShare: platform.noResultShare })) {
      if (!(value >= 0 && value <= 1)) problems.push(`platform.${name} must be between 0 and 1`);
    }
    if (!Number.isInteger(platform.readyAfterPolls) || platform.readyAfterPolls < 0) problems.push('platform.readyAfterPolls must be a whole number >= 0');
  } else if (!/^https:\/\/[^/]+/.test(platform.baseUrl)) {
    problems.push('platform.baseUrl must be an https:// URL');
  }
  if (api.maxOrdersPerRequest < 1 || api.burstLimit < api.rateLimit) {
    problems.push('api.maxOrdersPerRequest must be positive and api.burstLimit at least api.rateLimit');
  }
  if (problems.length > 0) {
    throw new Error(`Invalid configuration for stage ${config.stageName}:\n- ${problems.join('\n- ')}`);
  }
}

/**
 * Fails synth when the stages deployed into one account could together ask for more concurrent
 * store-result invocations than half of ACCOUNT_LAMBDA_CONCURRENCY.
 */
export function validateAccountConcurrency(deployed: readonly StageConfig[], accountConcurrency = ACCOUNT_LAMBDA_CONCURRENCY): void {
  const total = deployed.reduce((sum, config) => sum + config.results.storeConcurrencyBudget, 0);
  if (total > accountConcurrency / 2) {
    const parts = deployed.map((config) => `${config.stageName} ${config.results.storeConcurrencyBudget}`).join(' + ');
    throw new Error(`The stages of one account may run ${parts} = ${total} store-result invocations at once, more than half of the ${accountConcurrency} concurrent Lambda executions assumed for the account (ACCOUNT_LAMBDA_CONCURRENCY); lower results.storeConcurrencyBudget or raise the quota and the constant.`);
  }
}

/** Where the pipeline pulls the source from; all three come from CDK context. */
export interface SourceConfig {
  /** `owner/name` of the GitHub repository. */
  readonly repo: string;
  readonly branch: string;
  /** ARN of an AVAILABLE CodeConnections (or CodeStar Connections) connection to GitHub. */
  readonly connectionArn: string;
}

const CONNECTION_ARN = /^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection\/[\w-]+$/;

/**
 * Reads the pipeline source from context. Returns undefined when no connection is configured, so a
 * fresh clone can still synthesize the application stages; throws with the fix when values are wrong.
 */
export function sourceFromContext(get: (key: string) => unknown): SourceConfig | undefined {
  const connectionArn = get('connectionArn');
  if (connectionArn === undefined || connectionArn === '') return undefined;
  const repo = get('repo');
  const branch = get('branch');
  const problems: string[] = [];
  if (typeof connectionArn !== 'string' || !CONNECTION_ARN.test(connectionArn)) {
    problems.push(`context "connectionArn" must be a CodeConnections ARN (arn:aws:codeconnections:${REGION}:<account>:connection/<id>), got ${JSON.stringify(connectionArn)}`);
  }
  if (typeof repo !== 'string' || !/^[\w.-]+\/[\w.-]+$/.test(repo)) {
    problems.push(`context "repo" must be "owner/name", got ${JSON.stringify(repo)}`);
  }
  if (typeof branch !== 'string' || branch === '') {
    problems.push(`context "branch" must be a branch name, got ${JSON.stringify(branch)}`);
  }
  if (problems.length > 0) {
    throw new Error(`Cannot build the deployment pipeline:\n- ${problems.join('\n- ')}\nSet them in cdk.json or with -c key=value.`);
  }
  return { repo: repo as string, branch: branch as string, connectionArn: connectionArn as string };
}
