// Covers: orders table (keys, by-auction index, TTL, PITR, encryption, removal per stage, Prod deletion-protected under a generated name); orders API (POST with
// model and validator, GET with its path parameter, API key, usage plan and stage throttling, gateway responses);
// the simulated platform API in Local/Dev (routes, key whose value is the platform secret, usage plan, bucket) and
// none in Prod; the results bucket; every function (runtime, arm64, tracing, log group and retention, timeout,
// exact environment per stage); alerts (topic, notifier, DLQ, secret); alarms; outputs; log retention; cdk-nag.
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CfnResource, Json, functionIdOf, logicalIdOf, nagFindings, resourcesOf, synthStage } from './synth';

type StageName = 'Local' | 'Dev' | 'Prod';
const PREFIX: Record<StageName, string> = { Local: 'energy-auction-local', Dev: 'energy-auction-dev', Prod: 'energy-auction-prod' };
/** Log retention in days per stage. */
const RETENTION: Record<StageName, number> = { Local: 7, Dev: 30, Prod: 180 };
const PROD_PLATFORM_URL = 'https://auction-platform.example.com/v1/';

const synthesized: Partial<Record<StageName, { stack: Stack; template: Template }>> = {};
beforeAll(() => {
  for (const name of ['Local', 'Dev', 'Prod'] as const) synthesized[name] = synthStage(name);
});
const templateOf = (name: StageName) => synthesized[name]!.template;
const local = () => templateOf('Local');

const ref = (id: string) => ({ Ref: id });
const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const tableId = (template: Template) => logicalIdOf(template, 'AWS::DynamoDB::Table');
const resultsBucketId = (template: Template) =>
  logicalIdOf(template, 'AWS::S3::Bucket', { BucketName: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('order-results')])] } });
const platformSecretId = (template: Template) =>
  logicalIdOf(template, 'AWS::SecretsManager::Secret', { Description: Match.stringLikeRegexp('auction platform') });
const slackSecretId = (template: Template, stage: StageName) =>
  logicalIdOf(template, 'AWS::SecretsManager::Secret', { Name: `${PREFIX[stage]}/slack-webhook` });
const topicId = (template: Template) => logicalIdOf(template, 'AWS::SNS::Topic');
const restApiId = (template: Template, name: string) => logicalIdOf(template, 'AWS::ApiGateway::RestApi', { Name: name });
const stageIdOf = (template: Template, apiId: string) => logicalIdOf(template, 'AWS::ApiGateway::Stage', { RestApiId: ref(apiId) });

/** `METHOD /path` of every method of one REST API, from its resources' parent chain. */
function routesOf(template: Template, apiId: string): Record<string, Record<string, Json>> {
  const resources = Object.fromEntries(resourcesOf(template, 'AWS::ApiGateway::Resource')
    .filter(([, resource]) => JSON.stringify(resource.Properties!.RestApiId) === JSON.stringify(ref(apiId))));
  const pathOf = (parent: Json): string => {
    if (JSON.stringify(parent) === JSON.stringify({ 'Fn::GetAtt': [apiId, 'RootResourceId'] })) return '';
    const id = (parent as { Ref: string }).Ref;
    return `${pathOf(resources[id].Properties!.ParentId)}/${resources[id].Properties!.PathPart as string}`;
  };
  const routes: Record<string, Record<string, Json>> = {};
  for (const [, method] of resourcesOf(template, 'AWS::ApiGateway::Method')) {
    const props = method.Properties!;
    if (JSON.stringify(props.RestApiId) !== JSON.stringify(ref(apiId))) continue;
    routes[`${props.HttpMethod as string} ${pathOf(props.ResourceId)}`] = props;
  }
  return routes;
}

const lambdaProxy = (functionId: string) => ({
  Type: 'AWS_PROXY',
  IntegrationHttpMethod: 'POST',
  Uri: { 'Fn::Join': ['', Match.arrayWith([arnOf(functionId), '/invocations'])] },
});

describe('orders table', () => {
  test('is keyed by customer and record_id, on demand, with TTL on ttl, PITR and encryption at rest', () => {
    local().hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'energy-auction-local-orders',
      KeySchema: [{ AttributeName: 'customer', KeyType: 'HASH' }, { AttributeName: 'record_id', KeyType: 'RANGE' }],
      AttributeDefinitions: Match.arrayEquals([
        { AttributeName: 'customer', AttributeType: 'S' },
        { AttributeName: 'record_id', AttributeType: 'S' },
        { AttributeName: 'auction_id', AttributeType: 'S' },
      ]),
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  test('lists one auction\'s orders through the by-auction index (auction_id, record_id), projecting everything', () => {
    local().hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: [{
        IndexName: 'by-auction',
        KeySchema: [{ AttributeName: 'auction_id', KeyType: 'HASH' }, { AttributeName: 'record_id', KeyType: 'RANGE' }],
        Projection: { ProjectionType: 'ALL' },
      }],
    });
  });

  test.each<[StageName, string]>([['Local', 'Delete'], ['Dev', 'Delete']])('%s: removal policy %s, named after the stage', (stage, policy) => {
    templateOf(stage).hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({ TableName: `${PREFIX[stage]}-orders`, DeletionProtectionEnabled: false }),
      DeletionPolicy: policy,
      UpdateReplacePolicy: policy,
    });
  });

  test('Prod: deletion-protected and retained, under a generated name (a rolled-back create cannot delete it)', () => {
    templateOf('Prod').hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({ TableName: Match.absent(), DeletionProtectionEnabled: true }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('orders expire after 24 hours: post-orders is told the TTL', () => {
    local().hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'energy-auction-local-post-orders',
      Environment: { Variables: Match.objectLike({ ORDER_TTL_HOURS: '24' }) },
    });
  });
});

describe('orders API', () => {
  const apiId = () => restApiId(local(), 'energy-auction-local-orders');

  test('is a regional REST API that reads the API key from the header', () => {
    local().hasResourceProperties('AWS::ApiGateway::RestApi', {
      Name: 'energy-auction-local-orders',
      ApiKeySourceType: 'HEADER',
      EndpointConfiguration: { Types: ['REGIONAL'] },
    });
  });

  test('has exactly POST /orders and GET /orders/{record_id}', () => {
    expect(Object.keys(routesOf(local(), apiId())).sort()).toEqual(['GET /orders/{record_id}', 'POST /orders']);
  });

  test('POST /orders needs an API key, validates the body with the orders model and calls post-orders', () => {
    const template = local();
    const post = routesOf(template, apiId())['POST /orders'];
    expect(post).toEqual(expect.objectContaining({
      ApiKeyRequired: true,
      AuthorizationType: 'NONE',
      RequestValidatorId: ref(logicalIdOf(template, 'AWS::ApiGateway::RequestValidator', { Name: 'orders-body' })),
      RequestModels: { 'application/json': ref(logicalIdOf(template, 'AWS::ApiGateway::Model', { Name: 'OrdersRequest' })) },
    }));
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      Integration: lambdaProxy(functionIdOf(template, PREFIX.Local, 'post-orders')),
    });
  });

  test('GET /orders/{record_id} needs an API key, requires the path parameter and calls get-order', () => {
    const template = local();
    const get = routesOf(template, apiId())['GET /orders/{record_id}'];
    expect(get).toEqual(expect.objectContaining({
      ApiKeyRequired: true,
      RequestParameters: { 'method.request.path.record_id': true },
      RequestValidatorId: ref(logicalIdOf(template, 'AWS::ApiGateway::RequestValidator', { Name: 'orders-body' })),
    }));
    expect(get.RequestModels).toBeUndefined();
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      RestApiId: ref(apiId()),
      Integration: lambdaProxy(functionIdOf(template, PREFIX.Local, 'get-order')),
    });
  });

  test('the validator checks body and parameters', () => {
    local().hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      Name: 'orders-body',
      RestApiId: ref(apiId()),
      ValidateRequestBody: true,
      ValidateRequestParameters: true,
    });
  });

  test('the request model is the orders JSON schema: 1..1000 orders, no extra fields', () => {
    local().hasResourceProperties('AWS::ApiGateway::Model', {
      Name: 'OrdersRequest',
      ContentType: 'application/json',
      Schema: Match.objectLike({
        type: 'array',
        minItems: 1,
        maxItems: 1000,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['record_id', 'parameter_1', 'parameter_2'],
          properties: {
            record_id: { type: 'string', minLength: 1, maxLength: 128 },
            parameter_1: { type: 'string' },
            parameter_2: { type: 'number' },
          },
        },
      }),
    });
  });

  test.each<[StageName, number, number]>([['Local', 5000, 5000], ['Dev', 50, 100], ['Prod', 200, 400]])('%s: usage plan and stage throttle at %d/s with bursts of %d', (stage, rate, burst) => {
    const template = templateOf(stage);
    const api = restApiId(template, `${PREFIX[stage]}-orders`);
    const apiStage = stageIdOf(template, api);
    const plan = logicalIdOf(template, 'AWS::ApiGateway::UsagePlan', { UsagePlanName: `${PREFIX[stage]}-orders` });
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      UsagePlanName: `${PREFIX[stage]}-orders`,
      Throttle: { RateLimit: rate, BurstLimit: burst },
      ApiStages: [Match.objectLike({ ApiId: ref(api), Stage: ref(apiStage) })],
    });
    template.hasResourceProperties('AWS::ApiGateway::UsagePlanKey', {
      KeyType: 'API_KEY',
      UsagePlanId: ref(plan),
      KeyId: ref(logicalIdOf(template, 'AWS::ApiGateway::ApiKey', { Name: `${PREFIX[stage]}-orders-key` })),
    });
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      RestApiId: ref(api),
      StageName: 'v1',
      TracingEnabled: true,
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.objectLike({ 'Fn::GetAtt': Match.anyValue() }) }),
      MethodSettings: Match.arrayWith([Match.objectLike({
        HttpMethod: '*',
        ResourcePath: '/*',
        LoggingLevel: 'ERROR',
        MetricsEnabled: true,
        ThrottlingRateLimit: rate,
        ThrottlingBurstLimit: burst,
      })]),
    });
  });

  test('gateway rejections keep the product error shape: schema failures and unknown routes', () => {
    const template = local();
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      RestApiId: ref(apiId()),
      ResponseType: 'BAD_REQUEST_BODY',
      StatusCode: '400',
      ResponseTemplates: { 'application/json': Match.stringLikeRegexp('^\\{"error":\\{"code":"INVALID_ORDERS","message":".*1 to 1000 orders.*1 to 128 characters.*","details":\\[\\]\\}\\}$') },
    });
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      RestApiId: ref(apiId()),
      ResponseType: 'MISSING_AUTHENTICATION_TOKEN',
      StatusCode: '404',
      ResponseTemplates: { 'application/json': Match.stringLikeRegexp('^\\{"error":\\{"code":"NOT_FOUND","message":"No such route.*","details":\\[\\]\\}\\}$') },
    });
    for (const [, response] of resourcesOf(template, 'AWS::ApiGateway::GatewayResponse')) {
      expect(JSON.parse((response.Properties!.ResponseTemplates as Record<string, string>)['application/json'])).toEqual({
        error: { code: expect.any(String), message: expect.any(String), details: [] },
      });
    }
  });

  test('API Gateway may invoke post-orders only for POST /orders and get-order only for GET /orders/*', () => {
    const template = local();
    const sourcesFor = (handler: string) => resourcesOf(template, 'AWS::Lambda::Permission')
      .filter(([, permission]) => JSON.stringify(permission.Properties!.FunctionName) === JSON.stringify(arnOf(functionIdOf(template, PREFIX.Local, handler))))
      .map(([, permission]) => {
        expect(permission.Properties!.Principal).toBe('apigateway.amazonaws.com');
        const parts = ((permission.Properties!.SourceArn as { 'Fn::Join': [string, Json[]] })['Fn::Join'][1]);
        return parts[parts.length - 1];
      });
    expect(sourcesFor('post-orders').sort()).toEqual(['/POST/orders', '/test-invoke-stage/POST/orders']);
    expect(sourcesFor('get-order').sort()).toEqual(['/GET/orders/*', '/test-invoke-stage/GET/orders/*']);
  });
});

describe('simulated auction platform', () => {
  const platformApiId = (stage: StageName) => restApiId(templateOf(stage), `${PREFIX[stage]}-auction-platform`);

  test.each<StageName>(['Local', 'Dev'])('%s: serves PUT /auctions/{auction_id}/batches/{batch_id} and GET /auctions/{auction_id}/results behind its API key', (stage) => {
    const template = templateOf(stage);
    const routes = routesOf(template, platformApiId(stage));
    expect(Object.keys(routes).sort()).toEqual(['GET /auctions/{auction_id}/results', 'PUT /auctions/{auction_id}/batches/{batch_id}']);
    const fn = functionIdOf(template, PREFIX[stage], 'auction-platform');
    expect(routes['PUT /auctions/{auction_id}/batches/{batch_id}']).toEqual(expect.objectContaining({
      ApiKeyRequired: true,
      RequestParameters: { 'method.request.path.auction_id': true, 'method.request.path.batch_id': true },
      Integration: expect.objectContaining({ Type: 'AWS_PROXY', Uri: { 'Fn::Join': ['', expect.arrayContaining([arnOf(fn)])] } }),
    }));
    expect(routes['GET /auctions/{auction_id}/results']).toEqual(expect.objectContaining({
      ApiKeyRequired: true,
      RequestParameters: { 'method.request.path.auction_id': true },
      Integration: expect.objectContaining({ Type: 'AWS_PROXY', Uri: { 'Fn::Join': ['', expect.arrayContaining([arnOf(fn)])] } }),
    }));
  });

  test.each<StageName>(['Local', 'Dev'])('%s: the platform\'s API key value is the platform secret, in its own throttled usage plan', (stage) => {
    const template = templateOf(stage);
    const api = platformApiId(stage);
    const keys = resourcesOf(template, 'AWS::ApiGateway::ApiKey').filter(([, key]) => key.Properties!.Value !== undefined);
    expect(keys).toHaveLength(1);
    const [keyId, key] = keys[0];
    expect(key.Properties!.Value).toEqual({
      'Fn::Join': ['', ['{{resolve:secretsmanager:', ref(platformSecretId(template)), ':SecretString:::}}']],
    });
    expect(key.Properties!.StageKeys).toEqual([{ RestApiId: ref(api), StageName: ref(stageIdOf(template, api)) }]);
    const plan = logicalIdOf(template, 'AWS::ApiGateway::UsagePlan', { UsagePlanName: `${PREFIX[stage]}-auction-platform` });
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      UsagePlanName: `${PREFIX[stage]}-auction-platform`,
      Throttle: { RateLimit: 100, BurstLimit: 200 },
      ApiStages: [Match.objectLike({ ApiId: ref(api), Stage: ref(stageIdOf(template, api)) })],
    });
    template.hasResourceProperties('AWS::ApiGateway::UsagePlanKey', { KeyId: ref(keyId), KeyType: 'API_KEY', UsagePlanId: ref(plan) });
  });

  test('the platform secret is generated (a 40-character key without punctuation), never written in the template', () => {
    local().hasResourceProperties('AWS::SecretsManager::Secret', {
      Description: Match.stringLikeRegexp('auction platform'),
      GenerateSecretString: { PasswordLength: 40, ExcludePunctuation: true },
      SecretString: Match.absent(),
    });
  });

  test('keeps its state in a private, encrypted, TLS-only bucket of its own that ages out', () => {
    const template = local();
    const bucket = logicalIdOf(template, 'AWS::S3::Bucket', { LifecycleConfiguration: { Rules: [Match.objectLike({ Id: 'expire-auctions' })] } });
    expect(bucket).not.toBe(resultsBucketId(template));
    template.hasResource('AWS::S3::Bucket', {
      Properties: Match.objectLike({
        BucketName: Match.absent(),
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        LifecycleConfiguration: { Rules: [{ Id: 'expire-auctions', Status: 'Enabled', ExpirationInDays: 14 }] },
      }),
      DeletionPolicy: 'Retain',
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: ref(bucket),
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('Prod talks to the real platform: no platform API, function or bucket, but a platform secret', () => {
    const template = templateOf('Prod');
    expect(resourcesOf(template, 'AWS::ApiGateway::RestApi').map(([, api]) => api.Properties!.Name)).toEqual(['energy-auction-prod-orders']);
    expect(resourcesOf(template, 'AWS::ApiGateway::ApiKey').map(([, key]) => key.Properties!.Value)).toEqual([undefined]);
    expect(resourcesOf(template, 'AWS::S3::Bucket').map(([id]) => id)).toEqual([resultsBucketId(template)]);
    template.resourcePropertiesCountIs('AWS::Lambda::Function', { FunctionName: 'energy-auction-prod-auction-platform' }, 0);
    expect(platformSecretId(template)).toBeDefined();
    expect(template.toJSON().Outputs.AuctionPlatformUrl).toEqual({ Value: PROD_PLATFORM_URL });
  });
});

describe('results bucket', () => {
  test('order-results name, private, encrypted, versioned, aged out, TLS only, retained', () => {
    const template = local();
    const bucket = resultsBucketId(template);
    template.hasResource('AWS::S3::Bucket', {
      Properties: Match.objectLike({
        BucketName: { 'Fn::Join': ['', ['energy-auction-local-order-results-', { Ref: 'AWS::AccountId' }]] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        VersioningConfiguration: { Status: 'Enabled' },
        LifecycleConfiguration: {
          Rules: [
            {
              Id: 'age-out-results',
              Status: 'Enabled',
              Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }],
              ExpirationInDays: 365,
              NoncurrentVersionExpiration: { NoncurrentDays: 30 },
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
            },
            { Id: 'expire-runs', Status: 'Enabled', Prefix: 'runs/', ExpirationInDays: 14, NoncurrentVersionExpiration: { NoncurrentDays: 1 } },
          ],
        },
      }),
      // Kept on delete and update; deleted only when the create that made it rolls back (it is empty then).
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: ref(bucket),
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
        Effect: 'Deny',
        Action: 's3:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      })]) },
    });
  });
});

describe('functions', () => {
  interface Expected {
    readonly timeout: number;
    readonly memory: number;
    /** The function's own variables (beyond the Powertools ones), exactly. */
    readonly env: (template: Template, stage: StageName) => Record<string, Json>;
  }
  const platformUrl = (template: Template, stage: StageName): Json => {
    if (stage === 'Prod') return PROD_PLATFORM_URL;
    const api = restApiId(template, `${PREFIX[stage]}-auction-platform`);
    return { 'Fn::Join': ['', ['https://', ref(api), '.execute-api.eu-west-1.', { Ref: 'AWS::URLSuffix' }, '/', ref(stageIdOf(template, api)), '/']] };
  };
  const FUNCTIONS: Record<string, Expected> = {
    'post-orders': {
      timeout: 29,
      memory: 512,
      env: (t) => ({
        ORDERS_TABLE_NAME: ref(tableId(t)),
        MAX_ORDERS_PER_REQUEST: '1000',
        MAX_BODY_BYTES: '1048576',
        ORDER_TTL_HOURS: '24',
        AUCTION_PERIOD_MINUTES: '60',
        WRITE_RETRY_BUDGET_MS: '4000',
      }),
    },
    'get-order': { timeout: 10, memory: 256, env: (t) => ({ ORDERS_TABLE_NAME: ref(tableId(t)) }) },
    'close-auction': { timeout: 10, memory: 256, env: (t) => ({ ORDERS_TABLE_NAME: ref(tableId(t)), AUCTION_PERIOD_MINUTES: '60' }) },
    'submit-orders': {
      timeout: 900,
      memory: 1024,
      env: (t, stage) => ({
        ORDERS_TABLE_NAME: ref(tableId(t)),
        AUCTION_PERIOD_MINUTES: '60',
        PLATFORM_BASE_URL: platformUrl(t, stage),
        PLATFORM_API_KEY_SECRET_ARN: ref(platformSecretId(t)),
      }),
    },
    'fetch-results': {
      timeout: 300,
      memory: 1024,
      env: (t, stage) => ({
        PLATFORM_BASE_URL: platformUrl(t, stage),
        PLATFORM_API_KEY_SECRET_ARN: ref(platformSecretId(t)),
        RESULTS_INLINE_LIMIT: '1000',
        RESULTS_BUCKET_NAME: ref(resultsBucketId(t)),
      }),
    },
    'store-result': {
      timeout: 10,
      memory: 256,
      env: (t) => ({ ORDERS_TABLE_NAME: ref(tableId(t)), RESULTS_BUCKET_NAME: ref(resultsBucketId(t)), AUCTION_PERIOD_MINUTES: '60' }),
    },
    'finalize-auction': {
      timeout: 300,
      memory: 1024,
      env: (t) => ({
        ORDERS_TABLE_NAME: ref(tableId(t)),
        RESULTS_BUCKET_NAME: ref(resultsBucketId(t)),
        ALERTS_TOPIC_ARN: ref(topicId(t)),
        AUCTION_PERIOD_MINUTES: '60',
        ALERT_ORDERS_LIMIT: '20',
      }),
    },
    'slack-notifier': {
      timeout: 60,
      memory: 256,
      env: (t, stage) => ({ SLACK_WEBHOOK_SECRET_ARN: ref(slackSecretId(t, stage)), SLACK_MAX_ATTEMPTS: '4' }),
    },
    'auction-platform': {
      timeout: 29,
      memory: 1024,
      env: (t) => ({
        PLATFORM_BUCKET_NAME: ref(logicalIdOf(t, 'AWS::S3::Bucket', { LifecycleConfiguration: { Rules: [Match.objectLike({ Id: 'expire-auctions' })] } })),
        PLATFORM_READY_AFTER_POLLS: '1',
        PLATFORM_REJECTED_SHARE: '0.5',
        PLATFORM_MALFORMED_SHARE: '0',
        PLATFORM_NO_RESULT_SHARE: '0',
        PLATFORM_SEED: 'energy-auction',
      }),
    },
  };
  const SIMULATED_ONLY = ['auction-platform'];
  const cases = (['Local', 'Dev', 'Prod'] as const).flatMap((stage) => Object.keys(FUNCTIONS)
    .filter((handler) => stage !== 'Prod' || !SIMULATED_ONLY.includes(handler))
    .map((handler): [StageName, string] => [stage, handler]));

  test.each<StageName>(['Local', 'Dev', 'Prod'])('%s: exactly the product\'s functions exist', (stage) => {
    const expected = Object.keys(FUNCTIONS).filter((handler) => stage !== 'Prod' || !SIMULATED_ONLY.includes(handler));
    const names = resourcesOf(templateOf(stage), 'AWS::Lambda::Function').map(([, fn]) => fn.Properties!.FunctionName);
    expect([...names].sort()).toEqual(expected.map((handler) => `${PREFIX[stage]}-${handler}`).sort());
  });

  test.each(cases)('%s %s: Node 22 on arm64, traced, its timeout and memory, its own log group with retention', (stage, handler) => {
    const template = templateOf(stage);
    const name = `${PREFIX[stage]}-${handler}`;
    const logGroup = logicalIdOf(template, 'AWS::Logs::LogGroup', { LogGroupName: `/aws/lambda/${name}` });
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: name,
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      TracingConfig: { Mode: 'Active' },
      Timeout: FUNCTIONS[handler].timeout,
      MemorySize: FUNCTIONS[handler].memory,
      LoggingConfig: { LogGroup: ref(logGroup) },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: `/aws/lambda/${name}`, RetentionInDays: RETENTION[stage] });
  });

  test.each(cases)('%s %s: environment is exactly Powertools plus its own settings', (stage, handler) => {
    const template = templateOf(stage);
    const [, fn] = resourcesOf(template, 'AWS::Lambda::Function').find(([, candidate]) => candidate.Properties!.FunctionName === `${PREFIX[stage]}-${handler}`)!;
    expect((fn.Properties!.Environment as { Variables: Record<string, Json> }).Variables).toEqual({
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: handler,
      POWERTOOLS_METRICS_NAMESPACE: 'EnergyAuction',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      ...FUNCTIONS[handler].env(template, stage),
    });
  });

  test('no role uses the broad AWS-managed Lambda execution policy', () => {
    for (const [, role] of resourcesOf(local(), 'AWS::IAM::Role')) {
      expect(JSON.stringify(role.Properties!.ManagedPolicyArns ?? [])).not.toContain('AWSLambdaBasicExecutionRole');
    }
  });
});

describe('alerts', () => {
  test('the topic is encrypted with its own rotating key and the notifier is subscribed with a dead-letter queue', () => {
    const template = local();
    const key = logicalIdOf(template, 'AWS::KMS::Key');
    const queue = logicalIdOf(template, 'AWS::SQS::Queue', { QueueName: 'energy-auction-local-alerts-dlq' });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'energy-auction-local-alerts', KmsMasterKeyId: arnOf(key) });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: ref(topicId(template)),
      Endpoint: arnOf(functionIdOf(template, PREFIX.Local, 'slack-notifier')),
      RedrivePolicy: { deadLetterTargetArn: arnOf(queue) },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'energy-auction-local-slack-notifier',
      DeadLetterConfig: { TargetArn: arnOf(queue) },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: ref(functionIdOf(template, PREFIX.Local, 'slack-notifier')),
      MaximumRetryAttempts: 2,
    });
    template.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'energy-auction-local-alerts-dlq', SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
  });

  test('SNS may put undeliverable alerts into the dead-letter queue, and only from the alerts topic', () => {
    const template = local();
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([{
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: arnOf(logicalIdOf(template, 'AWS::SQS::Queue')),
        Condition: { ArnEquals: { 'aws:SourceArn': ref(topicId(template)) } },
      }]) },
    });
  });

  test('the webhook URL lives in Secrets Manager: only the secret ARN reaches the notifier', () => {
    const template = local();
    template.hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'energy-auction-local/slack-webhook', SecretString: '{"webhookUrl":"UNSET"}' });
    expect(JSON.stringify(template.toJSON())).not.toMatch(/hooks\.slack\.com/);
  });

  test('a message in the dead-letter queue raises an alarm to the topic', () => {
    const template = local();
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'energy-auction-local-alerts-undelivered',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::SQS::Queue'), 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [ref(topicId(template))],
    });
  });
});

describe('alarms', () => {
  test.each([
    ['API 5xx', { AlarmName: 'energy-auction-local-api5xx', MetricName: '5XXError', Namespace: 'AWS/ApiGateway' }],
    ['failed runs', { AlarmName: 'energy-auction-local-runs-failed', MetricName: 'ExecutionsFailed', Namespace: 'AWS/States' }],
    ['timed-out runs', { AlarmName: 'energy-auction-local-runs-timed-out', MetricName: 'ExecutionsTimedOut', Namespace: 'AWS/States' }],
  ])('%s alarm at the first one, notifying the alerts topic', (_name, metric) => {
    local().hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...metric,
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [ref(topicId(local()))],
    });
  });

  test.each<StageName>(['Local', 'Prod'])('%s: every function has its own Errors alarm to the alerts topic', (stage) => {
    const template = templateOf(stage);
    const alarmed = resourcesOf(template, 'AWS::CloudWatch::Alarm')
      .filter(([, alarm]) => alarm.Properties!.MetricName === 'Errors')
      .map(([, alarm]) => {
        expect(alarm.Properties!.AlarmActions).toEqual([ref(topicId(template))]);
        return (alarm.Properties!.Dimensions as Array<{ Name: string; Value: Json }>).map((d) => [d.Name, d.Value]);
      });
    const functions = resourcesOf(template, 'AWS::Lambda::Function').map(([id]) => [['FunctionName', ref(id)]]);
    expect(alarmed).toHaveLength(functions.length);
    expect(alarmed).toEqual(expect.arrayContaining(functions));
  });
});

test('outputs name what the local runtime and the smoke test read', () => {
  const template = local();
  const outputs = template.toJSON().Outputs as Record<string, { Value: Json }>;
  const api = restApiId(template, 'energy-auction-local-orders');
  expect(outputs.ApiUrl.Value).toEqual({ 'Fn::Join': ['', ['https://', ref(api), '.execute-api.eu-west-1.', { Ref: 'AWS::URLSuffix' }, '/', ref(stageIdOf(template, api)), '/orders']] });
  expect(outputs.ApiKeyId.Value).toEqual(ref(logicalIdOf(template, 'AWS::ApiGateway::ApiKey', { Name: 'energy-auction-local-orders-key' })));
  expect(outputs.StateMachineArn.Value).toEqual(ref(logicalIdOf(template, 'AWS::StepFunctions::StateMachine')));
  expect(outputs.AuctionPlatformKeySecretArn.Value).toEqual(ref(platformSecretId(template)));
  expect(outputs.AuctionPlatformUrl.Value).toEqual(
    (resourcesOf(template, 'AWS::Lambda::Function').find(([, fn]) => fn.Properties!.FunctionName === 'energy-auction-local-fetch-results')![1]
      .Properties!.Environment as { Variables: Record<string, Json> }).Variables.PLATFORM_BASE_URL,
  );
});

test.each<StageName>(['Local', 'Dev', 'Prod'])('%s: every log group keeps its logs for the stage\'s retention', (stage) => {
  const groups = resourcesOf(templateOf(stage), 'AWS::Logs::LogGroup');
  expect(groups.length).toBeGreaterThan(5);
  for (const [id, group] of groups as Array<[string, CfnResource]>) {
    expect({ id, retention: group.Properties!.RetentionInDays }).toEqual({ id, retention: RETENTION[stage] });
  }
});

test.each<StageName>(['Local', 'Dev', 'Prod'])('%s: cdk-nag AwsSolutions leaves no unsuppressed finding', (stage) => {
  expect(nagFindings(synthesized[stage]!.stack)).toEqual([]);
});
