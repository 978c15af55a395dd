// Covers: orders API (key, throttling, model, validator), table, bucket, functions, results state machine
// (Choice/Wait/Map/Catch/Fail shape), schedule and status rules, alerts (topic, notifier, DLQ, secret), alarms,
// log retention and cdk-nag.
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { stages } from '../../infra/config';
import { nagFindings, renderDefinition, synthAuctionStack } from './synth';

const config = stages.Local;
let stack: Stack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthAuctionStack());
});

function logicalIdOf(type: string, props: Record<string, unknown>): string {
  const ids = Object.keys(template.findResources(type, { Properties: props }));
  expect(ids).toHaveLength(1);
  return ids[0];
}

function functionNamed(handler: string) {
  return logicalIdOf('AWS::Lambda::Function', { FunctionName: `${config.prefix}-${handler}` });
}

type State = Record<string, unknown>;
function definition(): { StartAt: string; States: Record<string, State>; TimeoutSeconds: number } {
  const machine = Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0];
  return renderDefinition(machine.Properties.DefinitionString) as never;
}

describe('orders API', () => {
  test('POST /orders needs an API key and validates the body with the orders model', () => {
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'orders' });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      ApiKeyRequired: true,
      RequestValidatorId: Match.anyValue(),
      RequestModels: { 'application/json': Match.anyValue() },
      Integration: Match.objectLike({ Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' }),
    });
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestBody: true });
  });

  test('the request model is the orders JSON schema with the configured limit and no extra fields', () => {
    template.hasResourceProperties('AWS::ApiGateway::Model', {
      ContentType: 'application/json',
      Schema: Match.objectLike({
        type: 'array',
        minItems: 1,
        maxItems: config.api.maxOrdersPerRequest,
        items: Match.objectLike({
          additionalProperties: false,
          required: ['record_id', 'parameter_1', 'parameter_2'],
          properties: {
            record_id: { type: 'string', minLength: 1, maxLength: 128 },
            parameter_1: { type: 'string' },
            parameter_2: { type: 'number' },
          },
        }),
      }),
    });
  });

  test('usage plan and stage throttle at the configured rate and burst', () => {
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: config.api.rateLimit, BurstLimit: config.api.burstLimit },
      ApiStages: [Match.objectLike({ Stage: Match.anyValue() })],
    });
    template.hasResourceProperties('AWS::ApiGateway::UsagePlanKey', { KeyType: 'API_KEY' });
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      TracingEnabled: true,
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
      MethodSettings: Match.arrayWith([Match.objectLike({
        ThrottlingRateLimit: config.api.rateLimit,
        ThrottlingBurstLimit: config.api.burstLimit,
      })]),
    });
  });

  test('schema failures at the gateway keep the product error shape', () => {
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'BAD_REQUEST_BODY',
      StatusCode: '400',
      ResponseTemplates: { 'application/json': Match.stringLikeRegexp('"code":"INVALID_ORDERS"') },
    });
  });

  test('post-orders gets the table name and limits, and may only write items to that table', () => {
    const fn = functionNamed('post-orders');
    const tableId = logicalIdOf('AWS::DynamoDB::Table', {});
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: `${config.prefix}-post-orders`,
      Environment: { Variables: Match.objectLike({
        ORDERS_TABLE_NAME: { Ref: tableId },
        MAX_ORDERS_PER_REQUEST: '1000',
        MAX_BODY_BYTES: String(config.api.maxBodyBytes),
        ORDER_TTL_HOURS: '24',
      }) },
    });
    const role = template.toJSON().Resources[fn].Properties.Role['Fn::GetAtt'][0];
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: role }],
      PolicyDocument: { Statement: Match.arrayWith([{
        Effect: 'Allow',
        Action: 'dynamodb:BatchWriteItem',
        Resource: Match.arrayWith([{ 'Fn::GetAtt': [tableId, 'Arn'] }]),
      }]) },
    });
  });
});

describe('storage', () => {
  test('orders table: record_id key, on demand, TTL on ttl, PITR, encrypted', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: `${config.prefix}-orders`,
      KeySchema: [{ AttributeName: 'record_id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  test('results bucket: order-results name, private, encrypted, lifecycle, TLS only, retained', () => {
    const bucketId = logicalIdOf('AWS::S3::Bucket', {});
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('order-results')])] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      LifecycleConfiguration: { Rules: Match.arrayWith([
        Match.objectLike({ Status: 'Enabled', ExpirationInDays: config.results.expireAfterDays }),
        Match.objectLike({ Prefix: 'runs/', ExpirationInDays: config.results.workFilesExpireAfterDays }),
        Match.objectLike({ Prefix: 'map-results/', ExpirationInDays: config.results.workFilesExpireAfterDays }),
      ]) },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
        Effect: 'Deny',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      })]) },
    });
  });
});

describe('functions', () => {
  test.each(['post-orders', 'fetch-results', 'store-result', 'summarize-run', 'slack-notifier'])('%s: Node 22 on arm64, traced, Powertools, own log group', (handler) => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: `${config.prefix}-${handler}`,
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogGroup: Match.anyValue() },
      Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: handler, NODE_OPTIONS: '--enable-source-maps' }) },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: `/aws/lambda/${config.prefix}-${handler}`,
      RetentionInDays: 7,
    });
  });

  test('no role uses the broad AWS-managed Lambda execution policy', () => {
    const roles = template.findResources('AWS::IAM::Role');
    for (const role of Object.values(roles)) {
      expect(JSON.stringify(role.Properties.ManagedPolicyArns ?? [])).not.toContain('AWSLambdaBasicExecutionRole');
    }
  });
});

describe('results pipeline', () => {
  test('runs hourly from EventBridge, with a timeout below the period', () => {
    const machineId = logicalIdOf('AWS::StepFunctions::StateMachine', {});
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 hour)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { Ref: machineId } })],
    });
    const timeout = definition().TimeoutSeconds;
    expect(timeout).toBe(config.results.runTimeout.toSeconds());
    expect(timeout).toBeLessThan(3600);
  });

  test('state machine is standard, traced and logs everything', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: true }),
    });
  });

  test('validates fetch-results output: ready goes on, not ready waits and counts, anything else fails', () => {
    const { StartAt, States } = definition();
    expect(StartAt).toBe('StartPolling');
    expect(States.StartPolling).toMatchObject({ Type: 'Pass', Parameters: { poll: { attempt: 1 } }, Next: 'FetchResults' });
    expect(States.FetchResults).toMatchObject({
      Type: 'Task',
      Resource: `<${functionNamed('fetch-results')}>`,
      Parameters: { 'attempt.$': '$.poll.attempt', 'executionName.$': '$$.Execution.Name' },
      ResultPath: '$.auction',
      Next: 'ResultsReady?',
    });
    const ready = States['ResultsReady?'] as { Type: string; Choices: Array<Record<string, unknown>>; Default: string };
    expect(ready.Type).toBe('Choice');
    expect(ready.Default).toBe('InvalidAuctionResults');
    expect(ready.Choices.map((choice) => choice.Next)).toEqual(['InspectOrders', 'StoreEachOrderFromS3', 'AttemptsLeft?']);
    expect(JSON.stringify(ready.Choices[1])).toContain('"Variable":"$.auction.ordersFile.key","IsPresent":true');
    expect(JSON.stringify(ready.Choices[0])).toContain('"BooleanEquals":true');
    expect(JSON.stringify(ready.Choices[0])).toContain('"Variable":"$.auction.orders","IsPresent":true');
    expect(States['OrdersIsArray?']).toMatchObject({ Type: 'Choice', Default: 'InvalidAuctionResults', Choices: [{ StringMatches: '[*', Next: 'StoreEachOrder' }] });
    expect(States['AttemptsLeft?']).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.poll.attempt', NumericGreaterThanEquals: config.results.maxPollAttempts, Next: 'ResultsNotReady' }],
      Default: 'WaitForResults',
    });
    expect(States.WaitForResults).toMatchObject({ Type: 'Wait', Seconds: config.results.pollInterval.toSeconds(), Next: 'CountAttempt' });
    expect(States.CountAttempt).toMatchObject({ Type: 'Pass', Parameters: { 'attempt.$': 'States.MathAdd($.poll.attempt, 1)' }, ResultPath: '$.poll', Next: 'FetchResults' });
    expect(States.ResultsNotReady).toEqual(expect.objectContaining({ Type: 'Fail', Error: 'ResultsNotReady' }));
    expect(States.InvalidAuctionResults).toEqual(expect.objectContaining({ Type: 'Fail', Error: 'InvalidAuctionResults' }));
  });

  test('maps store-result over the orders with an item processor, bounded concurrency, retry and a catch per item', () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a parsed ASL document, read field by field
    const map = definition().States.StoreEachOrder as Record<string, any>;
    expect(map.Type).toBe('Map');
    expect(map.Iterator).toBeUndefined();
    expect(map.ItemsPath).toBe('$.auction.orders');
    expect(map.ResultPath).toBe('$.outcomes');
    expect(map.OutputPath).toBe('$.outcomes');
    expect(map.MaxConcurrency).toBe(config.results.mapConcurrency);
    expect(map.ItemSelector).toEqual({
      'order.$': '$$.Map.Item.Value',
      'index.$': '$$.Map.Item.Index',
      'executionName.$': '$$.Execution.Name',
      'startTime.$': '$$.Execution.StartTime',
    });
    const processor = map.ItemProcessor;
    expect(processor.StartAt).toBe('StoreResult');
    const store = processor.States.StoreResult;
    expect(store.Resource).toBe(`<${functionNamed('store-result')}>`);
    expect(store.Retry).toEqual([expect.objectContaining({
      ErrorEquals: expect.arrayContaining(['ResultStoreUnavailable', 'Lambda.TooManyRequestsException']),
      BackoffRate: 2,
      MaxAttempts: 3,
      JitterStrategy: 'FULL',
    })]);
    expect(store.Catch).toEqual([
      { ErrorEquals: ['OrderRejected'], ResultPath: '$.error', Next: 'RecordRejected' },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RecordFailed' },
    ]);
    expect(processor.States.RecordRejected.Parameters).toEqual({ status: 'rejected', 'index.$': '$.index', 'order.$': '$.order', 'error.$': '$.error.Error' });
    expect(processor.States.RecordFailed.Parameters).toMatchObject({ status: 'failed', 'cause.$': '$.error.Cause' });
    expect(map.Catch).toEqual([expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'InvalidAuctionResults' })]);
  });

  test('large result sets go through S3 and a Distributed Map of batches with the same per-order contract', () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a parsed ASL document, read field by field
    const map = definition().States.StoreEachOrderFromS3 as Record<string, any>;
    const bucketId = logicalIdOf('AWS::S3::Bucket', {});
    expect(map.Type).toBe('Map');
    expect(map.ItemReader).toEqual({
      Resource: 'arn:<AWS::Partition>:states:::s3:getObject',
      ReaderConfig: { InputType: 'JSON' },
      Parameters: { Bucket: `<${bucketId}>`, 'Key.$': '$.auction.ordersFile.key' },
    });
    expect(map.ItemBatcher).toEqual({
      MaxItemsPerBatch: config.results.batchSize,
      BatchInput: { 'executionName.$': '$$.Execution.Name', 'startTime.$': '$$.Execution.StartTime' },
    });
    expect(map.ItemSelector).toEqual({ 'order.$': '$$.Map.Item.Value', 'index.$': '$$.Map.Item.Index' });
    expect(map.ResultWriter).toMatchObject({ Resource: 'arn:<AWS::Partition>:states:::s3:putObject', Parameters: { Bucket: `<${bucketId}>`, Prefix: 'map-results' } });
    expect(map.ToleratedFailurePercentage).toBe(100);
    expect(map.MaxConcurrency).toBe(config.results.batchConcurrency);
    expect(map.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' });
    expect(map.Catch).toEqual([expect.objectContaining({ Next: 'ResultsNotStored' })]);
    expect(map.Next).toBe('SummarizeLargeRun');

    const child = map.ItemProcessor.States;
    expect(child.StoreBatchItems).toMatchObject({ Type: 'Map', ItemsPath: '$.Items', MaxConcurrency: config.results.mapConcurrency });
    const store = child.StoreBatchItems.ItemProcessor.States.BatchStoreResult;
    expect(store.Resource).toBe(`<${functionNamed('store-result')}>`);
    expect(store.Retry[0].ErrorEquals).toContain('ResultStoreUnavailable');
    expect(store.Catch.map((c: { ErrorEquals: string[] }) => c.ErrorEquals)).toEqual([['OrderRejected'], ['States.ALL']]);
    expect(child.CountBatch).toMatchObject({ Parameters: { 'stored.$': 'States.ArrayLength($.stored)', 'failures.$': '$.failures' }, End: true });

    expect(definition().States.SummarizeLargeRun).toMatchObject({
      Resource: `<${functionNamed('summarize-run')}>`,
      Parameters: { 'orderCount.$': '$.auction.orderCount', 'resultWriterDetails.$': '$.mapResult.resultWriterDetails' },
      Next: 'AnyFailures?',
    });
  });

  test('fetch-results offloads above the inline limit, and both paths stay far below the Step Functions limits', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: `${config.prefix}-fetch-results`,
      Environment: { Variables: Match.objectLike({ ORDERS_INLINE_LIMIT: String(config.results.inlineOrdersLimit), RESULTS_BUCKET_NAME: Match.anyValue() }) },
    });
    // About 5 history events per inline item: the largest inline run or batch stays under 25,000 events.
    expect(config.results.inlineOrdersLimit * 5).toBeLessThan(25_000 / 2);
    expect(config.results.batchSize * 5).toBeLessThan(25_000 / 2);
  });

  test('summarizes the run and publishes ONE alert listing the failures, then ends with the summary', () => {
    const { States } = definition();
    expect(States.PartitionResults).toMatchObject({ Type: 'Pass', Parameters: { 'failures.$': "$[?(@.status != 'stored')]" } });
    expect(States.Summarize).toMatchObject({
      Parameters: { summary: { 'stored.$': 'States.ArrayLength($.stored)', 'rejected.$': 'States.ArrayLength($.rejected)', 'failed.$': 'States.ArrayLength($.failed)' } },
    });
    expect(States['AnyFailures?']).toMatchObject({ Type: 'Choice', Default: 'Done' });
    const topicId = logicalIdOf('AWS::SNS::Topic', {});
    expect(States.AlertFailedOrders).toMatchObject({
      Type: 'Task',
      Resource: 'arn:<AWS::Partition>:states:::sns:publish',
      Parameters: { TopicArn: `<${topicId}>`, 'Message.$': 'States.JsonToString($.alert)' },
      Next: 'Done',
    });
    expect(States.BuildAlert).toMatchObject({ Parameters: { kind: 'failed-orders', 'failures.$': '$.failures' } });
    expect(States.Done).toEqual({ Type: 'Succeed', OutputPath: '$.summary' });
  });

  test('failed, timed-out and aborted runs go to the alerts topic', () => {
    const topicId = logicalIdOf('AWS::SNS::Topic', {});
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [Match.anyValue()] },
      },
      Targets: [Match.objectLike({ Arn: { Ref: topicId } })],
    });
  });

  test('store-result may only put objects under orders/ in the results bucket', () => {
    const bucketId = logicalIdOf('AWS::S3::Bucket', {});
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
        Action: 's3:PutObject',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/orders/*']] },
      })]) },
    });
  });
});

describe('alerts', () => {
  test('topic is KMS-encrypted and the notifier is subscribed with a dead-letter queue', () => {
    const notifier = functionNamed('slack-notifier');
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue(), TopicName: `${config.prefix}-alerts` });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      Endpoint: { 'Fn::GetAtt': [notifier, 'Arn'] },
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue() },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: `${config.prefix}-slack-notifier`,
      DeadLetterConfig: { TargetArn: Match.anyValue() },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 2 });
  });

  test('the webhook URL lives in Secrets Manager: only the secret ARN reaches the notifier', () => {
    const secretId = logicalIdOf('AWS::SecretsManager::Secret', {});
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: `${config.prefix}-slack-notifier`,
      Environment: { Variables: Match.objectLike({ SLACK_WEBHOOK_SECRET_ARN: { Ref: secretId } }) },
    });
    expect(JSON.stringify(template.toJSON())).not.toMatch(/hooks\.slack\.com/);
  });

  test('a message in the dead-letter queue raises an alarm', () => {
    const queueId = logicalIdOf('AWS::SQS::Queue', {});
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      Threshold: 1,
    });
  });

  test.each([
    ['API 5xx', { MetricName: '5XXError', Namespace: 'AWS/ApiGateway' }],
    ['Lambda errors', { MetricName: 'Errors', Namespace: 'AWS/Lambda' }],
    ['failed runs', { MetricName: 'ExecutionsFailed', Namespace: 'AWS/States' }],
    ['timed-out runs', { MetricName: 'ExecutionsTimedOut', Namespace: 'AWS/States' }],
  ])('alarm on %s notifies the alerts topic', (_name, metric) => {
    const topicId = logicalIdOf('AWS::SNS::Topic', {});
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { ...metric, AlarmActions: [{ Ref: topicId }] });
  });

  test('every function has its own Errors alarm', () => {
    expect(Object.keys(template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'Errors' } }))).toHaveLength(5);
  });
});

test('every log group has a retention', () => {
  for (const group of Object.values(template.findResources('AWS::Logs::LogGroup'))) {
    expect(group.Properties.RetentionInDays).toBeGreaterThan(0);
  }
});

test('cdk-nag AwsSolutions leaves no unsuppressed finding', () => {
  expect(nagFindings(stack)).toEqual([]);
});
