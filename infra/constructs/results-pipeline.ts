import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { StageConfig } from '../config';
import { AppFunction } from './app-function';

export interface ResultsPipelineProps {
  readonly config: StageConfig;
  readonly bucket: s3.IBucket;
  readonly alertsTopic: sns.ITopic;
}

/** Errors store-result may recover from when simply tried again. */
const TRANSIENT_ERRORS = [
  'ResultStoreUnavailable',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

/**
 * The hourly run (SPEC 2.3): ask the auction platform until results are ready, store every accepted
 * result, and send ONE alert listing the orders that were rejected or failed. A run's output is its
 * summary; a run that cannot complete fails with a named error, which the status rule turns into an alert.
 */
export class ResultsPipeline extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly fetchResults: AppFunction;
  public readonly storeResult: AppFunction;
  public readonly summarizeRun: AppFunction;

  constructor(scope: Construct, id: string, props: ResultsPipelineProps) {
    super(scope, id);
    const { config } = props;
    const { results, auction } = config;

    this.fetchResults = new AppFunction(this, 'FetchResultsFunction', {
      handler: 'fetch-results',
      description: 'Asks the (simulated) auction platform for results',
      namePrefix: config.prefix,
      logRetention: config.logRetention,
      environment: {
        AUCTION_READY_PROBABILITY: String(auction.readyProbability),
        AUCTION_ORDER_COUNT: String(auction.orderCount),
        AUCTION_REJECTED_SHARE: String(auction.rejectedShare),
        AUCTION_MALFORMED_PROBABILITY: String(auction.malformedProbability),
        ...(auction.seed === undefined ? {} : { AUCTION_SEED: auction.seed }),
        ORDERS_INLINE_LIMIT: String(results.inlineOrdersLimit),
      },
    }).bindBucketPut(props.bucket, 'RESULTS_BUCKET_NAME', 'runs/');
    this.storeResult = new AppFunction(this, 'StoreResultFunction', {
      handler: 'store-result',
      description: 'Stores one accepted order result in S3; rejects rejected ones',
      namePrefix: config.prefix,
      logRetention: config.logRetention,
    }).bindBucketPut(props.bucket, 'RESULTS_BUCKET_NAME', 'orders/');
    this.summarizeRun = new AppFunction(this, 'SummarizeRunFunction', {
      handler: 'summarize-run',
      description: 'Counts a large run from the Distributed Map results and lists its failures',
      namePrefix: config.prefix,
      logRetention: config.logRetention,
      timeout: Duration.minutes(5),
      memorySize: 1024,
      environment: { ALERT_FAILURES_LIMIT: '20' },
    }).bindBucketRead(props.bucket, 'RESULTS_BUCKET_NAME', 'map-results/').bindBucketPut(props.bucket, 'RESULTS_BUCKET_NAME', 'runs/');

    const definition = this.definition(props);
    const logGroup = new logs.LogGroup(this, 'StateMachineLogs', {
      logGroupName: `/aws/vendedlogs/states/${config.prefix}-results`,
      retention: config.logRetention,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: `${config.prefix}-results`,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: results.runTimeout,
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });

    new events.Rule(this, 'Schedule', {
      description: 'Starts a results run every period',
      schedule: events.Schedule.rate(results.scheduleRate),
      targets: [new targets.SfnStateMachine(this.stateMachine)],
    });
    new events.Rule(this, 'FailedRuns', {
      description: 'Alerts when a results run fails, times out or is aborted',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
          stateMachineArn: [this.stateMachine.stateMachineArn],
        },
      },
      targets: [new targets.SnsTopic(props.alertsTopic)],
    });

    NagSuppressions.addResourceSuppressions(this.stateMachine, [{
      id: 'AwsSolutions-IAM5',
      reason: 'Step Functions invokes specific function versions as `<arn>:*`, and X-Ray/log delivery support no resource-level permissions.',
    }], true);
  }

  private definition(props: ResultsPipelineProps): sfn.IChainable {
    const { results } = props.config;

    const invalid = new sfn.Fail(this, 'InvalidAuctionResults', {
      error: 'InvalidAuctionResults',
      cause: 'fetch-results answered neither {"results": false} nor {"results": true, "orders": [...]}',
    });
    const notReady = new sfn.Fail(this, 'ResultsNotReady', {
      error: 'ResultsNotReady',
      cause: `The auction platform had no results after ${results.maxPollAttempts} attempts`,
    });

    const start = new sfn.Pass(this, 'StartPolling', { parameters: { poll: { attempt: 1 } } });

    const fetch = new tasks.LambdaInvoke(this, 'FetchResults', {
      lambdaFunction: this.fetchResults,
      payloadResponseOnly: true,
      payload: sfn.TaskInput.fromObject({
        attempt: sfn.JsonPath.numberAt('$.poll.attempt'),
        executionName: sfn.JsonPath.executionName,
      }),
      resultPath: '$.auction',
    });

    // JSONPath Choice has no "is array" test; the JSON text of an array starts with "[".
    const inspect = new sfn.Pass(this, 'InspectOrders', {
      parameters: { ordersJson: sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$.auction.orders')) },
      resultPath: '$.inspect',
    });
    const ordersIsArray = new sfn.Choice(this, 'OrdersIsArray?');

    const wait = new sfn.Wait(this, 'WaitForResults', { time: sfn.WaitTime.duration(results.pollInterval) });
    const nextAttempt = new sfn.Pass(this, 'CountAttempt', {
      parameters: { attempt: sfn.JsonPath.mathAdd(sfn.JsonPath.numberAt('$.poll.attempt'), 1) },
      resultPath: '$.poll',
    });

    const map = new sfn.Map(this, 'StoreEachOrder', {
      itemsPath: '$.auction.orders',
      itemSelector: {
        order: sfn.JsonPath.objectAt('$$.Map.Item.Value'),
        index: sfn.JsonPath.numberAt('$$.Map.Item.Index'),
        executionName: sfn.JsonPath.executionName,
        startTime: sfn.JsonPath.executionStartTime,
      },
      maxConcurrency: results.mapConcurrency,
      // Only the outcomes go on: the orders and the JSON text made for the array check stay behind,
      // which keeps the largest inline payload far below 256 KB.
      resultPath: '$.outcomes',
      outputPath: '$.outcomes',
    });
    map.itemProcessor(this.storeOneOrder(''));

    const partition = new sfn.Pass(this, 'PartitionResults', {
      parameters: {
        total: sfn.JsonPath.arrayLength(sfn.JsonPath.listAt('$')),
        stored: sfn.JsonPath.listAt("$[?(@.status == 'stored')]"),
        rejected: sfn.JsonPath.listAt("$[?(@.status == 'rejected')]"),
        failed: sfn.JsonPath.listAt("$[?(@.status == 'failed')]"),
        failures: sfn.JsonPath.listAt("$[?(@.status != 'stored')]"),
      },
    });
    const summarize = new sfn.Pass(this, 'Summarize', {
      parameters: {
        summary: {
          executionName: sfn.JsonPath.executionName,
          total: sfn.JsonPath.numberAt('$.total'),
          stored: sfn.JsonPath.arrayLength(sfn.JsonPath.listAt('$.stored')),
          rejected: sfn.JsonPath.arrayLength(sfn.JsonPath.listAt('$.rejected')),
          failed: sfn.JsonPath.arrayLength(sfn.JsonPath.listAt('$.failed')),
        },
        failures: sfn.JsonPath.listAt('$.failures'),
        // At most inlineOrdersLimit orders take this path, so the full list fits in the alert.
        failuresTruncated: 0,
        // No list in S3 on this path; CDK drops null values, and the notifier reads '' as "none".
        failuresKey: '',
      },
    });
    const buildAlert = new sfn.Pass(this, 'BuildAlert', {
      parameters: {
        kind: 'failed-orders',
        executionName: sfn.JsonPath.executionName,
        stateMachineArn: sfn.JsonPath.stateMachineId,
        summary: sfn.JsonPath.objectAt('$.summary'),
        failures: sfn.JsonPath.listAt('$.failures'),
        failuresTruncated: sfn.JsonPath.numberAt('$.failuresTruncated'),
        failuresKey: sfn.JsonPath.stringAt('$.failuresKey'),
      },
      resultPath: '$.alert',
    });
    const alert = new tasks.SnsPublish(this, 'AlertFailedOrders', {
      topic: props.alertsTopic,
      subject: 'Orders failed in an auction results run',
      message: sfn.TaskInput.fromText(sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$.alert'))),
      resultPath: sfn.JsonPath.DISCARD,
    });
    const done = new sfn.Succeed(this, 'Done', { outputPath: '$.summary' });

    map.addCatch(invalid, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
    const anyFailures = new sfn.Choice(this, 'AnyFailures?')
      .when(sfn.Condition.or(
        sfn.Condition.numberGreaterThan('$.summary.rejected', 0),
        sfn.Condition.numberGreaterThan('$.summary.failed', 0),
      ), buildAlert.next(alert).next(done))
      .otherwise(done);
    const resultsAre = (value: boolean) => [
      sfn.Condition.isBoolean('$.auction.results'),
      sfn.Condition.booleanEquals('$.auction.results', value),
    ];

    return start
      .next(fetch)
      .next(new sfn.Choice(this, 'ResultsReady?')
        .when(sfn.Condition.and(...resultsAre(true), sfn.Condition.isPresent('$.auction.orders')),
          inspect.next(ordersIsArray
            .when(sfn.Condition.stringMatches('$.inspect.ordersJson', '[*'), map.next(partition).next(summarize).next(anyFailures))
            .otherwise(invalid)))
        .when(sfn.Condition.and(
          ...resultsAre(true),
          sfn.Condition.isPresent('$.auction.ordersFile.key'),
          sfn.Condition.isNumeric('$.auction.orderCount'),
        ), this.storeLargeRun(props).next(anyFailures))
        .when(sfn.Condition.and(...resultsAre(false)), new sfn.Choice(this, 'AttemptsLeft?')
          .when(sfn.Condition.numberGreaterThanEquals('$.poll.attempt', results.maxPollAttempts), notReady)
          .otherwise(wait.next(nextAttempt).next(fetch)))
        .otherwise(invalid));
  }

  /** store-result for one order: retried on transient errors, then caught so one order never stops the others. */
  private storeOneOrder(prefix: string): sfn.IChainable {
    const store = new tasks.LambdaInvoke(this, `${prefix}StoreResult`, {
      lambdaFunction: this.storeResult,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
    });
    store.addRetry({
      errors: TRANSIENT_ERRORS,
      interval: Duration.seconds(1),
      backoffRate: 2,
      maxAttempts: 3,
      jitterStrategy: sfn.JitterType.FULL,
    });
    const outcome = (status: string) => ({
      status,
      index: sfn.JsonPath.numberAt('$.index'),
      order: sfn.JsonPath.objectAt('$.order'),
      error: sfn.JsonPath.stringAt('$.error.Error'),
    });
    // A rejection is fully described by the order and the error name; the Cause (message and stack
    // trace) is kept only for unexpected failures, so the run's payload and alert stay small.
    store.addCatch(new sfn.Pass(this, `${prefix}RecordRejected`, { parameters: outcome('rejected') }), {
      errors: ['OrderRejected'],
      resultPath: '$.error',
    });
    store.addCatch(new sfn.Pass(this, `${prefix}RecordFailed`, {
      parameters: { ...outcome('failed'), cause: sfn.JsonPath.stringAt('$.error.Cause') },
    }), {
      errors: [sfn.Errors.ALL],
      resultPath: '$.error',
    });
    return store;
  }

  /**
   * Large runs (more than inlineOrdersLimit orders): fetch-results wrote the orders to S3; a Distributed
   * Map reads them in batches, each batch a child execution that stores its orders with the same
   * per-order contract and returns only counts and failures. ResultWriter keeps the children's results
   * in S3, and summarize-run turns them into the run summary, so no state carries the whole list.
   */
  private storeLargeRun(props: ResultsPipelineProps): sfn.Chain {
    const { results } = props.config;
    const batchItems = new sfn.Map(this, 'StoreBatchItems', {
      itemsPath: '$.Items',
      itemSelector: {
        order: sfn.JsonPath.objectAt('$$.Map.Item.Value.order'),
        index: sfn.JsonPath.numberAt('$$.Map.Item.Value.index'),
        executionName: sfn.JsonPath.stringAt('$.BatchInput.executionName'),
        startTime: sfn.JsonPath.stringAt('$.BatchInput.startTime'),
      },
      maxConcurrency: results.mapConcurrency,
    });
    batchItems.itemProcessor(this.storeOneOrder('Batch'));
    const batch = batchItems
      .next(new sfn.Pass(this, 'PartitionBatch', {
        parameters: {
          stored: sfn.JsonPath.listAt("$[?(@.status == 'stored')]"),
          failures: sfn.JsonPath.listAt("$[?(@.status != 'stored')]"),
        },
      }))
      .next(new sfn.Pass(this, 'CountBatch', {
        parameters: {
          stored: sfn.JsonPath.arrayLength(sfn.JsonPath.listAt('$.stored')),
          failures: sfn.JsonPath.listAt('$.failures'),
        },
      }));

    const largeMap = new sfn.DistributedMap(this, 'StoreEachOrderFromS3', {
      itemReader: new sfn.S3JsonItemReader({
        bucket: props.bucket,
        key: sfn.JsonPath.stringAt('$.auction.ordersFile.key'),
      }),
      itemSelector: {
        order: sfn.JsonPath.objectAt('$$.Map.Item.Value'),
        index: sfn.JsonPath.numberAt('$$.Map.Item.Index'),
      },
      itemBatcher: new sfn.ItemBatcher({
        maxItemsPerBatch: results.batchSize,
        // CDK passes BatchInput through as written, so the path keys carry their `.$` themselves.
        batchInput: { 'executionName.$': '$$.Execution.Name', 'startTime.$': '$$.Execution.StartTime' },
      }),
      maxConcurrency: results.batchConcurrency,
      mapExecutionType: sfn.StateMachineType.EXPRESS,
      // A failed batch is counted by summarize-run, never silently dropped, so it must not stop the run.
      toleratedFailurePercentage: 100,
      resultWriterV2: new sfn.ResultWriterV2({ bucket: props.bucket, prefix: 'map-results' }),
      resultSelector: { resultWriterDetails: sfn.JsonPath.objectAt('$.ResultWriterDetails') },
      resultPath: '$.mapResult',
    });
    largeMap.itemProcessor(batch);
    largeMap.addCatch(new sfn.Fail(this, 'ResultsNotStored', {
      error: 'ResultsNotStored',
      cause: 'The Distributed Map could not read the orders file or write its results',
    }), { errors: [sfn.Errors.ALL], resultPath: '$.error' });

    const summarize = new tasks.LambdaInvoke(this, 'SummarizeLargeRun', {
      lambdaFunction: this.summarizeRun,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      payload: sfn.TaskInput.fromObject({
        executionName: sfn.JsonPath.executionName,
        orderCount: sfn.JsonPath.numberAt('$.auction.orderCount'),
        resultWriterDetails: sfn.JsonPath.objectAt('$.mapResult.resultWriterDetails'),
      }),
    });
    summarize.addRetry({ errors: TRANSIENT_ERRORS, interval: Duration.seconds(2), backoffRate: 2, maxAttempts: 3 });
    return largeMap.next(summarize);
  }
}
