import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';

/** Every region this product runs in. One, by decision (SPEC 2.6). */
export const REGION = 'eu-west-1';

export type StageName = 'Local' | 'Dev' | 'Prod';

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
  readonly results: {
    /** How often EventBridge starts a run. */
    readonly scheduleRate: Duration;
    /** Hard limit of a run; below the schedule rate so two runs never overlap. */
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
    /** Days before a run's working files (orders file, map results, failure list) expire. */
    readonly workFilesExpireAfterDays: number;
    /** Days before stored results move to infrequent access, and before they expire. */
    readonly infrequentAccessAfterDays: number;
    readonly expireAfterDays: number;
  };
  /** The simulated auction platform (fetch-results). */
  readonly auction: {
    readonly readyProbability: number;
    readonly orderCount: number;
    readonly rejectedShare: number;
    /** Share of answers that are deliberately malformed, to exercise InvalidAuctionResults. */
    readonly malformedProbability: number;
    /** Makes answers deterministic when set. */
    readonly seed?: string;
  };
  readonly logRetention: RetentionDays;
  /** What happens to the orders table when the stack is deleted. Buckets are always retained. */
  readonly tableRemovalPolicy: RemovalPolicy;
}

const common = {
  api: { rateLimit: 50, burstLimit: 100, maxOrdersPerRequest: 1000, maxBodyBytes: 1024 * 1024 },
  orders: { ttlHours: 24 },
  results: {
    scheduleRate: Duration.hours(1),
    runTimeout: Duration.minutes(55),
    pollInterval: Duration.seconds(60),
    maxPollAttempts: 30,
    mapConcurrency: 10,
    inlineOrdersLimit: 1000,
    batchSize: 500,
    batchConcurrency: 20,
    workFilesExpireAfterDays: 14,
    infrequentAccessAfterDays: 30,
    expireAfterDays: 365,
  },
  auction: { readyProbability: 0.5, orderCount: 2, rejectedShare: 0.5, malformedProbability: 0 },
};

export const stages: Record<StageName, StageConfig> = {
  Local: {
    ...common,
    stageName: 'Local',
    prefix: 'energy-auction-local',
    logRetention: RetentionDays.ONE_WEEK,
    tableRemovalPolicy: RemovalPolicy.DESTROY,
  },
  Dev: {
    ...common,
    stageName: 'Dev',
    prefix: 'energy-auction-dev',
    logRetention: RetentionDays.ONE_MONTH,
    tableRemovalPolicy: RemovalPolicy.DESTROY,
  },
  Prod: {
    ...common,
    stageName: 'Prod',
    prefix: 'energy-auction-prod',
    api: { ...common.api, rateLimit: 200, burstLimit: 400 },
    logRetention: RetentionDays.SIX_MONTHS,
    tableRemovalPolicy: RemovalPolicy.RETAIN,
  },
};

/**
 * Fails synth early when settings contradict each other, e.g. a run that could outlive the schedule
 * period and overlap the next one.
 */
export function validateStageConfig(config: StageConfig): void {
  const { results, auction, api } = config;
  const problems: string[] = [];
  if (results.runTimeout.toSeconds() >= results.scheduleRate.toSeconds()) {
    problems.push('results.runTimeout must be shorter than results.scheduleRate so runs never overlap');
  }
  if (results.pollInterval.toSeconds() * results.maxPollAttempts >= results.runTimeout.toSeconds()) {
    problems.push('results.pollInterval x results.maxPollAttempts must fit inside results.runTimeout');
  }
  if (results.maxPollAttempts < 1 || results.mapConcurrency < 1) {
    problems.push('results.maxPollAttempts and results.mapConcurrency must be at least 1');
  }
  // One inline Map item costs about 5 history events and up to ~250 bytes of state: keep both limits far away.
  if (results.inlineOrdersLimit > 2000 || results.batchSize > 2000 || results.batchSize < 1 || results.batchConcurrency < 1) {
    problems.push('results.inlineOrdersLimit and results.batchSize must be 1..2000 (Step Functions history and payload limits), results.batchConcurrency at least 1');
  }
  for (const [name, value] of Object.entries({ readyProbability: auction.readyProbability, rejectedShare: auction.rejectedShare, malformedProbability: auction.malformedProbability })) {
    if (value < 0 || value > 1) problems.push(`auction.${name} must be between 0 and 1`);
  }
  if (api.maxOrdersPerRequest < 1 || api.burstLimit < api.rateLimit) {
    problems.push('api.maxOrdersPerRequest must be positive and api.burstLimit at least api.rateLimit');
  }
  if (problems.length > 0) {
    throw new Error(`Invalid configuration for stage ${config.stageName}:\n- ${problems.join('\n- ')}`);
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
