import { Duration } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { gatewayErrors } from '../../src/orders/gateway-errors';
import { buildOrdersRequestSchema } from '../../src/orders/schema';
import { StageConfig } from '../config';
import { AppFunction } from './app-function';
import { addGatewayResponses } from './gateway-responses';

export interface OrdersApiProps {
  readonly config: StageConfig;
  readonly table: dynamodb.ITable;
}

/**
 * `POST /orders` and `GET /orders/{record_id}` behind an API key and a throttled usage plan. The request model is the same JSON Schema
 * the handler validates with, so API Gateway turns away malformed bodies before a Lambda is billed.
 */
export class OrdersApi extends Construct {
  public readonly api: apigw.RestApi;
  public readonly handler: AppFunction;
  public readonly getOrder: AppFunction;
  public readonly apiKey: apigw.IApiKey;

  constructor(scope: Construct, id: string, props: OrdersApiProps) {
    super(scope, id);
    const { config } = props;

    this.handler = new AppFunction(this, 'PostOrdersFunction', {
      handler: 'post-orders',
      description: 'Validates and stores customer orders (POST /orders)',
      namePrefix: config.prefix,
      logRetention: config.logRetention,
      timeout: Duration.seconds(29),
      memorySize: 512,
      environment: {
        MAX_ORDERS_PER_REQUEST: String(config.api.maxOrdersPerRequest),
        MAX_BODY_BYTES: String(config.api.maxBodyBytes),
        ORDER_TTL_HOURS: String(config.orders.ttlHours),
        AUCTION_PERIOD_MINUTES: String(config.auctions.periodMinutes),
        WRITE_RETRY_BUDGET_MS: '4000',
      },
    // Reads the auction's control item and the named orders (locks), writes conditionally, rolls back.
    }).bindTable(props.table, 'ORDERS_TABLE_NAME', ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem']);
    this.getOrder = new AppFunction(this, 'GetOrderFunction', {
      handler: 'get-order',
      description: 'Answers what became of one order (GET /orders/{record_id})',
      namePrefix: config.prefix,
      logRetention: config.logRetention,
    }).bindTable(props.table, 'ORDERS_TABLE_NAME', ['dynamodb:GetItem']);

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: config.logRetention });
    this.api = new apigw.RestApi(this, 'Api', {
      restApiName: `${config.prefix}-orders`,
      description: 'Energy auction orders',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      apiKeySourceType: apigw.ApiKeySourceType.HEADER,
      // The account's API Gateway logging role (AWS::ApiGateway::Account) is owned once, by the account
      // settings stack the pipeline deploys before the stages (infra/stacks/account-settings-stack.ts).
      cloudWatchRole: false,
      deployOptions: {
        stageName: 'v1',
        throttlingRateLimit: config.api.rateLimit,
        throttlingBurstLimit: config.api.burstLimit,
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
      },
    });

    const model = this.api.addModel('OrdersModel', {
      contentType: 'application/json',
      modelName: 'OrdersRequest',
      description: 'A JSON array of 1..N orders',
      schema: buildOrdersRequestSchema(config.api.maxOrdersPerRequest) as unknown as apigw.JsonSchema,
    });
    const validator = this.api.addRequestValidator('BodyValidator', {
      requestValidatorName: 'orders-body',
      validateRequestBody: true,
      validateRequestParameters: true,
    });

    const orders = this.api.root.addResource('orders');
    orders.addMethod('POST', new apigw.LambdaIntegration(this.handler), {
      apiKeyRequired: true,
      requestValidator: validator,
      requestModels: { 'application/json': model },
    });
    orders.addResource('{record_id}').addMethod('GET', new apigw.LambdaIntegration(this.getOrder), {
      apiKeyRequired: true,
      requestValidator: validator,
      requestParameters: { 'method.request.path.record_id': true },
    });

    // Whatever API Gateway itself answers (unknown routes, keys, throttling, validation, integration failures)
    // keeps the product's error shape; the validator's message states the whole contract, as it cannot say which field failed.
    addGatewayResponses(this.api, gatewayErrors(config.api.maxOrdersPerRequest));

    this.apiKey = this.api.addApiKey('ApiKey', { apiKeyName: `${config.prefix}-orders-key` });
    const plan = this.api.addUsagePlan('UsagePlan', {
      name: `${config.prefix}-orders`,
      throttle: { rateLimit: config.api.rateLimit, burstLimit: config.api.burstLimit },
      apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
    });
    plan.addApiKey(this.apiKey);

    NagSuppressions.addResourceSuppressions(this.api, [
      { id: 'AwsSolutions-APIG3', reason: 'No WAF yet: the API is key-protected and throttled per key; WAF is a cost decision documented in SOLUTION.md.' },
      { id: 'AwsSolutions-APIG4', reason: 'Customers are machines authenticated by API key (SPEC 2.1); there is no user identity to authorize.' },
      { id: 'AwsSolutions-COG4', reason: 'No Cognito: API keys are the required client authentication (SPEC 2.1).' },
    ], true);
  }
}
