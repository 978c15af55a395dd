// Covers: the auction run state machine (standard, traced, logged, 55 min timeout below the 60 min period) and its
// definition: CloseAuction -> GateSettle (35 s) -> SubmitOrders -> AnyOrders? -> polling loop (30 attempts, 60 s
// apart) -> inline Map (concurrency 10) or Distributed Map from S3 (batches of 500, 20 at once, EXPRESS, tolerating
// every failure, children written to S3 by a ResultWriter) -> FinalizeRun -> Done; Retry with backoff on transient errors, the Catch per result, a Finalize*
// task before every Fail that follows a submission; the gate-closure schedule and the EndedRuns rule.
import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { stages } from '../../infra/config';
import { gateClosureSchedule } from '../../infra/constructs/auction-run';
import { AslDefinition, AslState, functionIdOf, logicalIdOf, synthStage, stateMachineDefinition } from './synth';

const PREFIX = 'energy-auction-local';
const TRANSIENT_ERRORS = [
  'ResultStoreUnavailable',
  'OrderStoreUnavailable',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];
const TRANSIENT_RETRY = { ErrorEquals: TRANSIENT_ERRORS, IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2, JitterStrategy: 'FULL' };
const PLATFORM_RETRY = { ErrorEquals: ['PlatformUnavailable'], IntervalSeconds: 10, MaxAttempts: 2, BackoffRate: 2 };
const CATCH_ALL = (next: string, resultPath: string | null = '$.error') => ({ ErrorEquals: ['States.ALL'], ResultPath: resultPath, Next: next });

let template: Template;
let definition: AslDefinition;
let states: Record<string, AslState>;
/** `<LogicalId>` of a function as the rendered definition names it. */
let fn: (handler: string) => string;

beforeAll(() => {
  ({ template } = synthStage('Local'));
  definition = stateMachineDefinition(template);
  states = definition.States;
  fn = (handler) => `<${functionIdOf(template, PREFIX, handler)}>`;
});

/** Every state a state can go to next, with how. */
function transitions(state: AslState): Array<{ to: string; via: string }> {
  return [
    ...(state.Next ? [{ to: state.Next as string, via: 'Next' }] : []),
    ...(state.Default ? [{ to: state.Default as string, via: 'Default' }] : []),
    ...((state.Choices ?? []) as AslState[]).map((choice) => ({ to: choice.Next as string, via: 'Choice' })),
    ...((state.Catch ?? []) as AslState[]).map((c) => ({ to: c.Next as string, via: `Catch ${(c.ErrorEquals as string[]).join(',')}` })),
  ];
}

/** Every Task state, top level and inside Map item processors, by name. */
function allTasks(all: Record<string, AslState>): Array<[string, AslState]> {
  return Object.entries(all).flatMap(([name, state]) => [
    ...(state.Type === 'Task' ? [[name, state] as [string, AslState]] : []),
    ...(state.ItemProcessor ? allTasks(state.ItemProcessor.States) : []),
  ]);
}

const isFinalize = (state: AslState | undefined) => state?.Type === 'Task' && state.Resource === fn('finalize-auction');

describe('state machine', () => {
  test('is a standard workflow, traced, logging everything to its own log group', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'energy-auction-local-auction-run',
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: true,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::Logs::LogGroup', { LogGroupName: '/aws/vendedlogs/states/energy-auction-local-auction-run' }), 'Arn'] } } }],
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/aws/vendedlogs/states/energy-auction-local-auction-run', RetentionInDays: 7 });
  });

  test('times out after 55 minutes, before the next gate closure 60 minutes later', () => {
    expect(definition.TimeoutSeconds).toBe(55 * 60);
    expect(definition.TimeoutSeconds).toBeLessThan(60 * 60);
  });

  test('has exactly the states of the run', () => {
    expect(Object.keys(states).sort()).toEqual([
      'AnyOrders?', 'AttemptsLeft?', 'AuctionNotClosed', 'CloseAuction', 'CountAttempt', 'Done', 'FetchResults',
      'FinalizeInvalid', 'FinalizeNotFetched', 'FinalizeNotReady', 'FinalizeNotStored', 'FinalizeNotSubmitted', 'FinalizeRun',
      'GateSettle', 'InspectOrders', 'InvalidAuctionResults', 'OrdersIsArray?', 'OrdersNotSubmitted', 'ResultsNotFetched',
      'ResultsNotReady', 'ResultsNotStored', 'ResultsReady?', 'StartPolling', 'StoreEachResult', 'StoreEachResultFromS3',
      'SubmitOrders', 'WaitForResults',
    ]);
  });
});

describe('close and submit', () => {
  test('CloseAuction resolves the run\'s auction from the input and the execution, then the gate settles for 35 s', () => {
    expect(definition.StartAt).toBe('CloseAuction');
    expect(states.CloseAuction).toEqual({
      Type: 'Task',
      Resource: fn('close-auction'),
      Parameters: { 'input.$': '$', 'execution_name.$': '$$.Execution.Name', 'started_at.$': '$$.Execution.StartTime' },
      ResultPath: '$.run',
      Retry: [TRANSIENT_RETRY],
      Catch: [CATCH_ALL('AuctionNotClosed')],
      Next: 'GateSettle',
    });
    expect(states.GateSettle).toEqual({ Type: 'Wait', Seconds: 35, Next: 'SubmitOrders' });
  });

  test('SubmitOrders hands the auction\'s orders to the platform, retrying an unavailable platform, and finalizes on failure', () => {
    expect(states.SubmitOrders).toEqual({
      Type: 'Task',
      Resource: fn('submit-orders'),
      Parameters: { 'auction_id.$': '$.run.auction_id', 'execution_name.$': '$$.Execution.Name' },
      ResultPath: '$.run',
      Retry: [TRANSIENT_RETRY, PLATFORM_RETRY],
      Catch: [CATCH_ALL('FinalizeNotSubmitted')],
      Next: 'AnyOrders?',
    });
  });

  test('an auction without orders is finalized at once; otherwise polling starts at attempt 1', () => {
    expect(states['AnyOrders?']).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.run.submitted', NumericEquals: 0, Next: 'FinalizeRun' }],
      Default: 'StartPolling',
    });
    expect(states.StartPolling).toEqual({ Type: 'Pass', Parameters: { attempt: 1 }, ResultPath: '$.poll', Next: 'FetchResults' });
  });
});

describe('polling', () => {
  test('FetchResults asks the platform with the attempt number, retrying an unavailable platform', () => {
    expect(states.FetchResults).toEqual({
      Type: 'Task',
      Resource: fn('fetch-results'),
      Parameters: { 'auction_id.$': '$.run.auction_id', 'attempt.$': '$.poll.attempt', 'execution_name.$': '$$.Execution.Name' },
      ResultPath: '$.auction',
      Retry: [TRANSIENT_RETRY, PLATFORM_RETRY],
      Catch: [CATCH_ALL('FinalizeNotFetched')],
      Next: 'ResultsReady?',
    });
  });

  test('results true with orders goes inline, true with a results file goes through S3, false waits, anything else is invalid', () => {
    const isTrue = [{ Variable: '$.auction.results', IsBoolean: true }, { Variable: '$.auction.results', BooleanEquals: true }];
    expect(states['ResultsReady?']).toEqual({
      Type: 'Choice',
      Choices: [
        { And: [...isTrue, { Variable: '$.auction.orders', IsPresent: true }], Next: 'InspectOrders' },
        {
          And: [...isTrue, { Variable: '$.auction.resultsFile.key', IsPresent: true }, { Variable: '$.auction.count', IsNumeric: true }],
          Next: 'StoreEachResultFromS3',
        },
        { And: [{ Variable: '$.auction.results', IsBoolean: true }, { Variable: '$.auction.results', BooleanEquals: false }], Next: 'AttemptsLeft?' },
      ],
      Default: 'FinalizeInvalid',
    });
  });

  test('orders must be an array: its JSON text starts with "["', () => {
    expect(states.InspectOrders).toEqual({
      Type: 'Pass',
      Parameters: { 'ordersJson.$': 'States.JsonToString($.auction.orders)' },
      ResultPath: '$.inspect',
      Next: 'OrdersIsArray?',
    });
    expect(states['OrdersIsArray?']).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.inspect.ordersJson', StringMatches: '[*', Next: 'StoreEachResult' }],
      Default: 'FinalizeInvalid',
    });
  });

  test('after 30 attempts the run gives up with ResultsNotReady; before that it waits 60 s and counts the attempt', () => {
    expect(states['AttemptsLeft?']).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.poll.attempt', NumericGreaterThanEquals: 30, Next: 'FinalizeNotReady' }],
      Default: 'WaitForResults',
    });
    expect(states.WaitForResults).toEqual({ Type: 'Wait', Seconds: 60, Next: 'CountAttempt' });
    expect(states.CountAttempt).toEqual({
      Type: 'Pass',
      Parameters: { 'attempt.$': 'States.MathAdd($.poll.attempt, 1)' },
      ResultPath: '$.poll',
      Next: 'FetchResults',
    });
    expect(states.ResultsNotReady).toEqual({ Type: 'Fail', Error: 'ResultsNotReady', Cause: 'The auction platform had no results after 30 attempts' });
  });

  test('the longest polling (35 s settle + 30 x 60 s) fits inside the 55 min run', () => {
    const waits = states.GateSettle.Seconds + states['AttemptsLeft?'].Choices[0].NumericGreaterThanEquals * states.WaitForResults.Seconds;
    expect(waits).toBe(35 + 30 * 60);
    expect(waits).toBeLessThan(definition.TimeoutSeconds!);
  });
});

describe('storing results', () => {
  /** The per-result steps, as both maps must run them. */
  const perResultStates = (prefix: string) => ({
    [`${prefix}StoreResult`]: {
      Type: 'Task',
      Resource: fn('store-result'),
      ResultSelector: { 'status.$': '$.status' },
      Retry: [TRANSIENT_RETRY],
      Catch: [
        { ErrorEquals: ['OrderRejected'], ResultPath: null, Next: `${prefix}Rejected` },
        CATCH_ALL(`${prefix}RecordFailure`, '$.failure'),
      ],
      End: true,
    },
    [`${prefix}Rejected`]: { Type: 'Pass', Result: { status: 'rejected' }, End: true },
    [`${prefix}RecordFailure`]: {
      Type: 'Task',
      Resource: fn('store-result'),
      Parameters: {
        'auction_id.$': '$.auction_id',
        'execution_name.$': '$.execution_name',
        'result.$': '$.result',
        failure: { 'Error.$': '$.failure.Error' },
      },
      ResultSelector: { 'status.$': '$.status' },
      Retry: [TRANSIENT_RETRY],
      Catch: [CATCH_ALL(`${prefix}FailureNotRecorded`, null)],
      End: true,
    },
    [`${prefix}FailureNotRecorded`]: { Type: 'Pass', Result: { status: 'unrecorded' }, End: true },
  });

  test('the inline Map runs store-result per result, 10 at once, with a Catch per item', () => {
    expect(states.StoreEachResult).toEqual({
      Type: 'Map',
      ItemsPath: '$.auction.orders',
      ItemSelector: { 'auction_id.$': '$.run.auction_id', 'execution_name.$': '$$.Execution.Name', 'result.$': '$$.Map.Item.Value' },
      MaxConcurrency: 10,
      ResultPath: null,
      ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'StoreResult', States: perResultStates('') },
      Catch: [CATCH_ALL('FinalizeInvalid')],
      Next: 'FinalizeRun',
    });
  });

  test('large results go through S3: a Distributed Map reads the results file in batches of 500 (and 128 KiB), 20 EXPRESS children at once, writing their records to S3', () => {
    const map = states.StoreEachResultFromS3;
    expect(map).toEqual(expect.objectContaining({
      Type: 'Map',
      ItemReader: {
        Resource: 'arn:<AWS::Partition>:states:::s3:getObject',
        ReaderConfig: { InputType: 'JSON' },
        Parameters: { Bucket: `<${logicalIdOf(template, 'AWS::S3::Bucket', { BucketName: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('order-results')])] } })}>`, 'Key.$': '$.auction.resultsFile.key' },
      },
      ItemBatcher: { MaxItemsPerBatch: 500, MaxInputBytesPerBatch: 128 * 1024, BatchInput: { 'auction_id.$': '$.run.auction_id', 'execution_name.$': '$$.Execution.Name' } },
      MaxConcurrency: 20,
      ToleratedFailurePercentage: 100,
      ResultPath: null,
      Catch: [CATCH_ALL('FinalizeNotStored')],
      Next: 'FinalizeRun',
    }));
    expect(map.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' });
    // Children's records (a failed one with its input batch and cause) go to S3, never into the run's state.
    expect(map.ResultWriter).toEqual({
      Resource: 'arn:<AWS::Partition>:states:::s3:putObject',
      Parameters: { Bucket: map.ItemReader.Parameters.Bucket, Prefix: 'runs/map-results' },
    });
  });

  test('each batch stores its results with the same per-result steps, 10 at once, and answers nothing', () => {
    const child = states.StoreEachResultFromS3.ItemProcessor;
    expect(child.StartAt).toBe('StoreBatchResults');
    expect(child.States.StoreBatchResults).toEqual({
      Type: 'Map',
      ItemsPath: '$.Items',
      ItemSelector: { 'auction_id.$': '$.BatchInput.auction_id', 'execution_name.$': '$.BatchInput.execution_name', 'result.$': '$$.Map.Item.Value' },
      MaxConcurrency: 10,
      ResultPath: null,
      ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'BatchStoreResult', States: perResultStates('Batch') },
      Next: 'BatchDone',
    });
    expect(child.States.BatchDone).toEqual({ Type: 'Pass', Result: {}, End: true });
  });

  test('a run ends with finalize-auction and succeeds with the summary', () => {
    expect(states.FinalizeRun).toEqual({
      Type: 'Task',
      Resource: fn('finalize-auction'),
      Parameters: { 'auction_id.$': '$.run.auction_id', 'execution_name.$': '$$.Execution.Name', reason: 'NoResult' },
      ResultPath: '$.summary',
      Retry: [TRANSIENT_RETRY],
      Next: 'Done',
    });
    expect(states.Done).toEqual({ Type: 'Succeed', OutputPath: '$.summary' });
  });
});

describe('failure paths', () => {
  test.each([
    ['FinalizeNotSubmitted', 'NotSubmitted', 'OrdersNotSubmitted'],
    ['FinalizeNotFetched', 'ResultsNotFetched', 'ResultsNotFetched'],
    ['FinalizeInvalid', 'InvalidAuctionResults', 'InvalidAuctionResults'],
    ['FinalizeNotReady', 'ResultsNotReady', 'ResultsNotReady'],
    ['FinalizeNotStored', 'ResultsNotStored', 'ResultsNotStored'],
  ])('%s finalizes the auction with reason %s, then the run fails with %s', (name, reason, error) => {
    expect(states[name]).toEqual({
      Type: 'Task',
      Resource: fn('finalize-auction'),
      Parameters: { 'auction_id.$': '$.run.auction_id', 'execution_name.$': '$$.Execution.Name', reason, error },
      ResultPath: '$.summary',
      Retry: [TRANSIENT_RETRY],
      Next: error,
    });
    expect(states[error]).toEqual({ Type: 'Fail', Error: error, Cause: expect.any(String) });
  });

  test('every Fail is reached only through a Finalize* task, except a run whose auction could not even be closed', () => {
    const into = (target: string) => Object.entries(states).flatMap(([from, state]) =>
      transitions(state).filter(({ to }) => to === target).map(({ via }) => ({ from, via })));
    const fails = Object.keys(states).filter((name) => states[name].Type === 'Fail');
    expect(fails.sort()).toEqual(['AuctionNotClosed', 'InvalidAuctionResults', 'OrdersNotSubmitted', 'ResultsNotFetched', 'ResultsNotReady', 'ResultsNotStored']);
    for (const fail of fails.filter((name) => name !== 'AuctionNotClosed')) {
      const sources = into(fail);
      expect({ fail, sources: sources.map(({ from, via }) => ({ via, finalize: isFinalize(states[from]) })) })
        .toEqual({ fail, sources: [{ via: 'Next', finalize: true }] });
    }
    // No auction id is known yet, so nothing can be finalized here; the EndedRuns rule still runs finalize-auction.
    expect(into('AuctionNotClosed')).toEqual([{ from: 'CloseAuction', via: 'Catch States.ALL' }]);
    expect(states.AuctionNotClosed).toEqual({ Type: 'Fail', Error: 'AuctionNotClosed', Cause: expect.stringContaining('no order was submitted') });
  });

  test('no path from a submitted auction reaches a Fail or Succeed without a finalize-auction task', () => {
    // Walk every path from SubmitOrders, stopping at finalize tasks; nothing terminal may be reached first.
    const reachedUnfinalized = new Set<string>();
    const seen = new Set<string>();
    const walk = (name: string) => {
      if (seen.has(name)) return;
      seen.add(name);
      const state = states[name];
      if (isFinalize(state)) return;
      if (state.Type === 'Fail' || state.Type === 'Succeed' || state.End) reachedUnfinalized.add(name);
      for (const { to } of transitions(state)) walk(to);
    };
    walk('SubmitOrders');
    expect([...reachedUnfinalized]).toEqual([]);
    expect(seen.has('FinalizeRun')).toBe(true);
  });

  test('every task that can fail after the submission catches everything into a Finalize* task', () => {
    const guarded = ['SubmitOrders', 'FetchResults', 'StoreEachResult', 'StoreEachResultFromS3'];
    for (const name of guarded) {
      const catches = (states[name].Catch ?? []) as AslState[];
      const catchAll = catches.find((c) => (c.ErrorEquals as string[]).includes('States.ALL'));
      expect({ name, target: catchAll && isFinalize(states[catchAll.Next]) }).toEqual({ name, target: true });
    }
    const others = Object.entries(states).filter(([name, state]) =>
      (state.Type === 'Task' || state.Type === 'Map') && !guarded.includes(name) && name !== 'CloseAuction' && !isFinalize(state));
    expect(others.map(([name]) => name)).toEqual([]);
  });

  test('every task, nested ones included, retries transient errors with exponential backoff and full jitter', () => {
    const tasks = allTasks(states);
    expect(tasks.map(([name]) => name).sort()).toEqual([
      'BatchRecordFailure', 'BatchStoreResult', 'CloseAuction', 'FetchResults', 'FinalizeInvalid', 'FinalizeNotFetched',
      'FinalizeNotReady', 'FinalizeNotStored', 'FinalizeNotSubmitted', 'FinalizeRun', 'RecordFailure', 'StoreResult', 'SubmitOrders',
    ]);
    for (const [name, task] of tasks) {
      expect({ name, retry: task.Retry[0] }).toEqual({ name, retry: TRANSIENT_RETRY });
    }
  });
});

describe('schedule and status rules', () => {
  test('a run starts at every gate closure: cron(0 * * * ? *) for a 60-minute period, targeting the state machine', () => {
    const machine = logicalIdOf(template, 'AWS::StepFunctions::StateMachine');
    const role = logicalIdOf(template, 'AWS::IAM::Role', { AssumeRolePolicyDocument: Match.objectLike({ Statement: [Match.objectLike({ Principal: { Service: 'events.amazonaws.com' } })] }) });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 * * * ? *)',
      State: 'ENABLED',
      Targets: [{ Arn: { Ref: machine }, Id: Match.anyValue(), RoleArn: { 'Fn::GetAtt': [role, 'Arn'] } }],
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: role }],
      PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'states:StartExecution', Resource: { Ref: machine } }] },
    });
  });

  test.each([
    [15, 'cron(0/15 * * * ? *)'],
    [30, 'cron(0/30 * * * ? *)'],
    [60, 'cron(0 * * * ? *)'],
    [240, 'cron(0 0/4 * * ? *)'],
    [1440, 'cron(0 0/24 * * ? *)'],
  ])('gate closures every %d minutes are %s', (period, expression) => {
    expect(gateClosureSchedule(period).expressionString).toBe(expression);
  });

  test('the period flows into the schedule and every function that names auctions', () => {
    const local = stages.Local;
    const config = {
      ...local,
      auctions: { ...local.auctions, periodMinutes: 15 },
      results: { ...local.results, runTimeout: Duration.minutes(14), maxPollAttempts: 10 },
    };
    const quarter = synthStage('Local', config).template;
    quarter.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(0/15 * * * ? *)' });
    for (const handler of ['post-orders', 'close-auction', 'submit-orders', 'store-result', 'finalize-auction']) {
      quarter.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: `${PREFIX}-${handler}`,
        Environment: { Variables: Match.objectLike({ AUCTION_PERIOD_MINUTES: '15' }) },
      });
    }
    const def = stateMachineDefinition(quarter);
    expect(def.TimeoutSeconds).toBe(14 * 60);
    expect(def.States['AttemptsLeft?'].Choices[0].NumericGreaterThanEquals).toBe(10);
  });

  test('runs that fail, time out or are aborted go to the alerts topic and to finalize-auction', () => {
    const machine = logicalIdOf(template, 'AWS::StepFunctions::StateMachine');
    const finalize = functionIdOf(template, PREFIX, 'finalize-auction');
    const rule = logicalIdOf(template, 'AWS::Events::Rule', { EventPattern: Match.objectLike({ source: ['aws.states'] }) });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [{ Ref: machine }] },
      },
      State: 'ENABLED',
      Targets: [
        { Arn: { Ref: logicalIdOf(template, 'AWS::SNS::Topic') }, Id: Match.anyValue() },
        { Arn: { 'Fn::GetAtt': [finalize, 'Arn'] }, Id: Match.anyValue(), RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 7200 } },
      ],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [finalize, 'Arn'] },
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [rule, 'Arn'] },
    });
  });
});
