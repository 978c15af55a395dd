import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { NO_RESULT } from '../../src/auctions/run';
import { StageConfig } from '../config';
import { AppFunction } from './app-function';
import { AuctionPlatform } from './auction-platform';
import { AUCTION_INDEX } from './orders-table';

export interface AuctionRunProps {
  readonly config: StageConfig;
  readonly table: dynamodb.ITable;
  readonly bucket: s3.IBucket;
  readonly alertsTopic: sns.ITopic;
  readonly platform: AuctionPlatform;
}

/** Errors a task may recover from when simply tried again. */
const TRANSIENT_ERRORS = [
  'ResultStoreUnavailable',
  'OrderStoreUnavailable',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

/** Where the Distributed Map writes its child executions' records (expired with the other run files). */
export const MAP_RESULTS_PREFIX = 'runs/map-results';

/**
 * Largest input of one child execution (its batch of results). With a failed item's Catch adding a cause of
 * up to 32,768 characters to that item's state, the largest item still fits Step Functions' 256 KiB.
 */
export const MAX_BATCH_INPUT_BYTES = 128 * 1024;

/**
 * ResultWriterV2 with its grant scoped to the prefix it writes under (CDK's own covers the whole bucket,
 * and AWS documents exactly these four actions on `<bucket>/<prefix>/*`).
 */
class PrefixResultWriter extends sfn.ResultWriterV2 {
  constructor(private readonly target: s3.IBucket, prefix: string) {
    super({ bucket: target, prefix });
  }

  override providePolicyStatements(): iam.PolicyStatement[] {
    return [new iam.PolicyStatement({
      actions: ['s3:PutObject', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'],
      resources: [this.target.arnForObjects(`${this.prefix}/*`)],
    })];
  }
}

/** The EventBridge schedule that fires at every gate closure of the period (it divides a day). */
export function gateClosureSchedule(periodMinutes: number): events.Schedule {
  if (periodMinutes < 60) return events.Schedule.cron({ minute: `0/${periodMinutes}` });
  return events.Schedule.cron({ minute: '0', hour: periodMinutes === 60 ? '*' : `0/${periodMinutes / 60}` });
}

/**
 * One run per auction (SPEC 2.3): close the auction, hand its orders to the platform, poll for results,
 * store each result, and finish every order of the auction as accepted, rejected or failed. Every path,
 * including failures, goes through finalize-auction, which writes the summary and sends ONE alert; runs
 * that time out or are aborted are finalized by the status rule. A run's output is its summary.
 */
export class AuctionRun extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly functions: AppFunction[];
  private readonly closeAuction: AppFunction;
  private readonly submitOrders: AppFunction;
  private readonly fetchResults: AppFunction;
  private readonly storeResult: AppFunction;
  private readonly finalizeAuction: AppFunction;

  constructor(scope: Construct, id: string, props: AuctionRunProps) {
    super(scope, id);
    const { config, table, bucket, platform } = props;
    const common = { namePrefix: config.prefix, logRetention: config.logRetention };
    const period = { AUCTION_PERIOD_MINUTES: String(config.auctions.periodMinutes) };
    const platformEnv = { PLATFORM_BASE_URL: platform.baseUrl };

    this.closeAuction = new AppFunction(this, 'CloseAuctionFunction', {
      ...common,
      handler: 'close-auction',
      description: 'Resolves the run\'s auction and closes it to new orders',
      environment: period,
    }).bindTable(table, 'ORDERS_TABLE_NAME', ['dynamodb:UpdateItem']);
    this.submitOrders = new AppFunction(this, 'SubmitOrdersFunction', {
      ...common,
      handler: 'submit-orders',
      description: 'Marks the closed auction\'s orders submitted and hands them to the platform',
      timeout: Duration.minutes(15),
      memorySize: 1024,
      environment: { ...period, ...platformEnv },
    }).bindTable(table, 'ORDERS_TABLE_NAME', ['dynamodb:UpdateItem'], AUCTION_INDEX)
      .bindSecretRead(platform.apiKeySecret, 'PLATFORM_API_KEY_SECRET_ARN');
    this.fetchResults = new AppFunction(this, 'FetchResultsFunction', {
      ...common,
      handler: 'fetch-results',
      description: 'Asks the auction platform for the auction\'s results (lambda_a)',
      timeout: Duration.minutes(5),
      memorySize: 1024,
      environment: { ...platformEnv, RESULTS_INLINE_LIMIT: String(config.results.inlineOrdersLimit) },
    }).bindSecretRead(platform.apiKeySecret, 'PLATFORM_API_KEY_SECRET_ARN')
      .bindBucketPut(bucket, 'RESULTS_BUCKET_NAME', 'runs/');
    this.storeResult = new AppFunction(this, 'StoreResultFunction', {
      ...common,
      handler: 'store-result',
      description: 'Stores one order\'s result: accepted in S3, every outcome on the order (lambda_b)',
      environment: period,
    }).bindBucketPut(bucket, 'RESULTS_BUCKET_NAME', 'results/')
      .bindTable(table, 'ORDERS_TABLE_NAME', ['dynamodb:UpdateItem']);
    this.finalizeAuction = new AppFunction(this, 'FinalizeAuctionFunction', {
      ...common,
      handler: 'finalize-auction',
      description: 'Fails orders left without a result, summarizes the run and alerts once',
      timeout: Duration.minutes(5),
      memorySize: 1024,
      environment: { ...period, ALERT_ORDERS_LIMIT: '20' },
    // GetItem: the auction a run that ended early had closed (for the status rule's events).
    }).bindTable(table, 'ORDERS_TABLE_NAME', ['dynamodb:GetItem', 'dynamodb:UpdateItem'], AUCTION_INDEX)
      .bindBucketPut(bucket, 'RESULTS_BUCKET_NAME', 'runs/')
      .bindTopicPublish(props.alertsTopic, 'ALERTS_TOPIC_ARN');
    this.functions = [this.closeAuction, this.submitOrders, this.fetchResults, this.storeResult, this.finalizeAuction];

    const logGroup = new logs.LogGroup(this, 'StateMachineLogs', {
      logGroupName: `/aws/vendedlogs/states/${config.prefix}-auction-run`,
      retention: config.logRetention,
      // Named, so deleted when the create that made it rolls back; kept otherwise.
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: `${config.prefix}-auction-run`,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(this.definition(props)),
      timeout: config.results.runTimeout,
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });

    new events.Rule(this, 'Schedule', {
      description: 'Starts the run of each auction at its gate closure',
      schedule: gateClosureSchedule(config.auctions.periodMinutes),
      targets: [new targets.SfnStateMachine(this.stateMachine)],
    });
    new events.Rule(this, 'EndedRuns', {
      description: 'Alerts on runs that failed, timed out or were aborted, and finishes their orders',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
          stateMachineArn: [this.stateMachine.stateMachineArn],
        },
      },
      targets: [
        new targets.SnsTopic(props.alertsTopic),
        new targets.LambdaFunction(this.finalizeAuction, { retryAttempts: 2, maxEventAge: Duration.hours(2) }),
      ],
    });

    NagSuppressions.addResourceSuppressions(this.stateMachine, [{
      id: 'AwsSolutions-IAM5',
      reason: 'Step Functions invokes function versions as `<arn>:*`, the Distributed Map reads its items file and starts its own child executions, and X-Ray/log delivery support no resource-level permissions.',
    }], true);
  }

  private invoke(id: string, fn: AppFunction, payload: Record<string, unknown>, resultPath: string): tasks.LambdaInvoke {
    const task = new tasks.LambdaInvoke(this, id, {
      lambdaFunction: fn,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      payload: sfn.TaskInput.fromObject(payload),
      resultPath,
    });
    task.addRetry({ errors: TRANSIENT_ERRORS, interval: Duration.seconds(1), backoffRate: 2, maxAttempts: 3, jitterStrategy: sfn.JitterType.FULL });
    return task;
  }

  /** finalize-auction, then the run ends: succeeded with the summary, or failed with the given error. */
  private finalize(id: string, reason: string, fail?: { error: string; cause: string }): sfn.IChainable {
    const task = this.invoke(id, this.finalizeAuction, {
      auction_id: sfn.JsonPath.stringAt('$.run.auction_id'),
      execution_name: sfn.JsonPath.executionName,
      reason,
      ...(fail ? { error: fail.error } : {}),
    }, '$.summary');
    if (fail) return task.next(new sfn.Fail(this, fail.error, fail));
    return task.next(new sfn.Succeed(this, 'Done', { outputPath: '$.summary' }));
  }

  private definition(props: AuctionRunProps): sfn.IChainable {
    const { results, auctions } = props.config;
    const execution = { execution_name: sfn.JsonPath.executionName };
    const auctionId = sfn.JsonPath.stringAt('$.run.auction_id');

    const close = this.invoke('CloseAuction', this.closeAuction, {
      input: sfn.JsonPath.entirePayload,
      ...execution,
      started_at: sfn.JsonPath.executionStartTime,
    }, '$.run');
    close.addCatch(new sfn.Fail(this, 'AuctionNotClosed', {
      error: 'AuctionNotClosed',
      cause: 'close-auction could not resolve or close the run\'s auction; no order was submitted',
    }), { errors: [sfn.Errors.ALL], resultPath: '$.error' });

    const settle = new sfn.Wait(this, 'GateSettle', { time: sfn.WaitTime.duration(auctions.gateSettle) });

    const submit = this.invoke('SubmitOrders', this.submitOrders, { auction_id: auctionId, ...execution }, '$.run');
    submit.addRetry({ errors: ['PlatformUnavailable'], interval: Duration.seconds(10), backoffRate: 2, maxAttempts: 2 });
    submit.addCatch(this.finalize('FinalizeNotSubmitted', 'NotSubmitted', {
      error: 'OrdersNotSubmitted',
      cause: 'The orders could not be handed to the auction platform',
    }), { errors: [sfn.Errors.ALL], resultPath: '$.error' });

    const startPolling = new sfn.Pass(this, 'StartPolling', { parameters: { attempt: 1 }, resultPath: '$.poll' });
    const fetch = this.invoke('FetchResults', this.fetchResults, {
      auction_id: auctionId,
      attempt: sfn.JsonPath.numberAt('$.poll.attempt'),
      ...execution,
    }, '$.auction');
    fetch.addRetry({ errors: ['PlatformUnavailable'], interval: Duration.seconds(10), backoffRate: 2, maxAttempts: 2 });
    fetch.addCatch(this.finalize('FinalizeNotFetched', 'ResultsNotFetched', {
      error: 'ResultsNotFetched',
      cause: 'fetch-results could not get an answer from the auction platform',
    }), { errors: [sfn.Errors.ALL], resultPath: '$.error' });

    const invalid = this.finalize('FinalizeInvalid', 'InvalidAuctionResults', {
      error: 'InvalidAuctionResults',
      cause: 'The platform answered neither {"results": false} nor {"results": true, "orders": [...]}',
    });
    const notReady = this.finalize('FinalizeNotReady', 'ResultsNotReady', {
      error: 'ResultsNotReady',
      cause: `The auction platform had no results after ${results.maxPollAttempts} attempts`,
    });
    const finished = this.finalize('FinalizeRun', NO_RESULT);

    // JSONPath Choice has no "is array" test; the JSON text of an array starts with "[".
    const inspect = new sfn.Pass(this, 'InspectOrders', {
      parameters: { ordersJson: sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$.auction.orders')) },
      resultPath: '$.inspect',
    });
    const map = new sfn.Map(this, 'StoreEachResult', {
      itemsPath: '$.auction.orders',
      itemSelector: { auction_id: auctionId, ...execution, result: sfn.JsonPath.objectAt('$$.Map.Item.Value') },
      maxConcurrency: results.mapConcurrency,
      resultPath: sfn.JsonPath.DISCARD,
    });
    map.itemProcessor(this.storeOneResult(''));
    map.addCatch(invalid, { errors: [sfn.Errors.ALL], resultPath: '$.error' });

    const wait = new sfn.Wait(this, 'WaitForResults', { time: sfn.WaitTime.duration(results.pollInterval) });
    const nextAttempt = new sfn.Pass(this, 'CountAttempt', {
      parameters: { attempt: sfn.JsonPath.mathAdd(sfn.JsonPath.numberAt('$.poll.attempt'), 1) },
      resultPath: '$.poll',
    });
    const resultsAre = (value: boolean) => [
      sfn.Condition.isBoolean('$.auction.results'),
      sfn.Condition.booleanEquals('$.auction.results', value),
    ];

    return close
      .next(settle)
      .next(submit)
      .next(new sfn.Choice(this, 'AnyOrders?')
        .when(sfn.Condition.numberEquals('$.run.submitted', 0), finished)
        .otherwise(startPolling
          .next(fetch)
          .next(new sfn.Choice(this, 'ResultsReady?')
            .when(sfn.Condition.and(...resultsAre(true), sfn.Condition.isPresent('$.auction.orders')),
              inspect.next(new sfn.Choice(this, 'OrdersIsArray?')
                .when(sfn.Condition.stringMatches('$.inspect.ordersJson', '[*'), map.next(finished))
                .otherwise(invalid)))
            .when(sfn.Condition.and(
              ...resultsAre(true),
              sfn.Condition.isPresent('$.auction.resultsFile.key'),
              sfn.Condition.isNumeric('$.auction.count'),
            ), this.storeLargeRun(props).next(finished))
            .when(sfn.Condition.and(...resultsAre(false)), new sfn.Choice(this, 'AttemptsLeft?')
              .when(sfn.Condition.numberGreaterThanEquals('$.poll.attempt', results.maxPollAttempts), notReady)
              .otherwise(wait.next(nextAttempt).next(fetch)))
            .otherwise(invalid))));
  }

  /**
   * store-result for one result: retried on transient errors; a rejection is recorded by store-result
   * itself, any other failure is recorded on the order by a second call, so one bad result never stops
   * the others and the order's reason names what went wrong. Each item answers only its status.
   */
  private storeOneResult(prefix: string): sfn.IChainable {
    const store = new tasks.LambdaInvoke(this, `${prefix}StoreResult`, {
      lambdaFunction: this.storeResult,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      resultSelector: { status: sfn.JsonPath.stringAt('$.status') },
    });
    store.addRetry({ errors: TRANSIENT_ERRORS, interval: Duration.seconds(1), backoffRate: 2, maxAttempts: 3, jitterStrategy: sfn.JitterType.FULL });
    store.addCatch(new sfn.Pass(this, `${prefix}Rejected`, { result: sfn.Result.fromObject({ status: 'rejected' }) }), {
      errors: ['OrderRejected'],
      resultPath: sfn.JsonPath.DISCARD,
    });
    const record = new tasks.LambdaInvoke(this, `${prefix}RecordFailure`, {
      lambdaFunction: this.storeResult,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      payload: sfn.TaskInput.fromObject({
        auction_id: sfn.JsonPath.stringAt('$.auction_id'),
        execution_name: sfn.JsonPath.stringAt('$.execution_name'),
        result: sfn.JsonPath.objectAt('$.result'),
        failure: { Error: sfn.JsonPath.stringAt('$.failure.Error') },
      }),
      resultSelector: { status: sfn.JsonPath.stringAt('$.status') },
    });
    record.addRetry({ errors: TRANSIENT_ERRORS, interval: Duration.seconds(1), backoffRate: 2, maxAttempts: 3, jitterStrategy: sfn.JitterType.FULL });
    // If even that fails (no such order, table down), the order stays submitted and finalize fails it.
    record.addCatch(new sfn.Pass(this, `${prefix}FailureNotRecorded`, { result: sfn.Result.fromObject({ status: 'unrecorded' }) }), {
      errors: [sfn.Errors.ALL],
      resultPath: sfn.JsonPath.DISCARD,
    });
    store.addCatch(record, { errors: [sfn.Errors.ALL], resultPath: '$.failure' });
    return store;
  }

  /**
   * Large auctions: fetch-results wrote the results to S3; a Distributed Map reads them in batches, each
   * batch a child execution storing its results with the same per-result steps. Outcomes live on the
   * orders, so no state carries the list and the children answer nothing but `{}`.
   */
  private storeLargeRun(props: AuctionRunProps): sfn.DistributedMap {
    const { results } = props.config;
    const batchItems = new sfn.Map(this, 'StoreBatchResults', {
      itemsPath: '$.Items',
      itemSelector: {
        auction_id: sfn.JsonPath.stringAt('$.BatchInput.auction_id'),
        execution_name: sfn.JsonPath.stringAt('$.BatchInput.execution_name'),
        result: sfn.JsonPath.objectAt('$$.Map.Item.Value'),
      },
      maxConcurrency: results.mapConcurrency,
      resultPath: sfn.JsonPath.DISCARD,
    });
    batchItems.itemProcessor(this.storeOneResult('Batch'));
    const batch = batchItems.next(new sfn.Pass(this, 'BatchDone', { result: sfn.Result.fromObject({}) }));

    const largeMap = new sfn.DistributedMap(this, 'StoreEachResultFromS3', {
      itemReader: new sfn.S3JsonItemReader({
        bucket: props.bucket,
        key: sfn.JsonPath.stringAt('$.auction.resultsFile.key'),
      }),
      itemBatcher: new sfn.ItemBatcher({
        maxItemsPerBatch: results.batchSize,
        // Platform results may carry extra fields: bound the bytes too, so every child's input fits its state.
        maxInputBytesPerBatch: MAX_BATCH_INPUT_BYTES,
        // CDK passes BatchInput through as written, so the path keys carry their `.$` themselves.
        batchInput: { 'auction_id.$': '$.run.auction_id', 'execution_name.$': '$$.Execution.Name' },
      }),
      maxConcurrency: results.batchConcurrency,
      mapExecutionType: sfn.StateMachineType.EXPRESS,
      // Without a ResultWriter a failed child comes back into the state whole (its input batch and its
      // cause), so a few failed batches would pass the 256 KiB limit, an error no Catch can handle.
      resultWriterV2: new PrefixResultWriter(props.bucket, MAP_RESULTS_PREFIX),
      // A failed batch leaves its orders submitted, and finalize fails them: it must not stop the run.
      toleratedFailurePercentage: 100,
      resultPath: sfn.JsonPath.DISCARD,
    });
    largeMap.itemProcessor(batch);
    largeMap.addCatch(this.finalize('FinalizeNotStored', 'ResultsNotStored', {
      error: 'ResultsNotStored',
      cause: 'The Distributed Map could not read the results file',
    }), { errors: [sfn.Errors.ALL], resultPath: '$.error' });
    return largeMap;
  }
}
