import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { PlatformConfig, StageConfig } from '../config';
import { AppFunction } from './app-function';

export interface AuctionPlatformProps {
  readonly config: StageConfig;
}

/**
 * The auction platform as the run reaches it: a base URL and an API key in Secrets Manager (SPEC 2.9).
 * For a simulated platform the stage also deploys it: a REST API behind that same key, a function and a
 * bucket of its own, so the run talks HTTP to it exactly as it would to the real one.
 */
export class AuctionPlatform extends Construct {
  /** Base URL the run calls, ending in `/`. */
  public readonly baseUrl: string;
  /** Holds the platform's API key: generated for the simulated platform, put in by an operator for a real one. */
  public readonly apiKeySecret: secretsmanager.Secret;
  /** The simulated platform's function, when this stage runs one. */
  public readonly function?: AppFunction;

  constructor(scope: Construct, id: string, props: AuctionPlatformProps) {
    super(scope, id);
    const { config } = props;
    const platform = config.platform;

    this.apiKeySecret = new secretsmanager.Secret(this, 'ApiKey', {
      description: `API key of the auction platform ${config.prefix} hands its orders to`,
      generateSecretString: { passwordLength: 40, excludePunctuation: true },
    });
    NagSuppressions.addResourceSuppressions(this.apiKeySecret, [{
      id: 'AwsSolutions-SMG4',
      reason: 'The platform issues its API keys; rotating one is a change on the platform side, done by hand.',
    }]);

    if (platform.kind === 'external') {
      this.baseUrl = platform.baseUrl;
      return;
    }
    const simulated = this.simulate(config, platform);
    this.baseUrl = simulated.api.url;
    this.function = simulated.fn;
  }

  private simulate(config: StageConfig, platform: Extract<PlatformConfig, { kind: 'simulated' }>) {
    // A generated name, so a create that rolls back leaves nothing that blocks the next one.
    const bucket = new s3.Bucket(this, 'State', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ id: 'expire-auctions', expiration: Duration.days(config.results.workFilesExpireAfterDays) }],
    });
    NagSuppressions.addResourceSuppressions(bucket, [{
      id: 'AwsSolutions-S1',
      reason: 'Working state of the simulated platform only (submitted batches, poll counters); nothing to audit.',
    }]);

    const fn = new AppFunction(this, 'AuctionPlatformFunction', {
      handler: 'auction-platform',
      description: 'Simulated auction platform: keeps submitted orders per auction and answers results',
      namePrefix: config.prefix,
      logRetention: config.logRetention,
      timeout: Duration.seconds(29),
      memorySize: 1024,
      environment: {
        PLATFORM_READY_AFTER_POLLS: String(platform.readyAfterPolls),
        PLATFORM_REJECTED_SHARE: String(platform.rejectedShare),
        PLATFORM_MALFORMED_SHARE: String(platform.malformedShare),
        PLATFORM_NO_RESULT_SHARE: String(platform.noResultShare),
        PLATFORM_SEED: platform.seed,
      },
    }).bindBucketReadWrite(bucket, 'PLATFORM_BUCKET_NAME', 'auctions/');

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: config.logRetention });
    const api = new apigw.RestApi(this, 'Api', {
      restApiName: `${config.prefix}-auction-platform`,
      description: 'Simulated auction platform',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      apiKeySourceType: apigw.ApiKeySourceType.HEADER,
      // The account's API Gateway logging role belongs to the account settings stack.
      cloudWatchRole: false,
      deployOptions: {
        stageName: 'v1',
        tracingEnabled: true,
        metricsEnabled: true,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
      },
    });
    const validator = api.addRequestValidator('RequestValidator', { validateRequestParameters: true, validateRequestBody: true });
    const integration = new apigw.LambdaIntegration(fn);
    const auction = api.root.addResource('auctions').addResource('{auction_id}');
    const options = (params: string[]): apigw.MethodOptions => ({
      apiKeyRequired: true,
      requestValidator: validator,
      requestParameters: Object.fromEntries(params.map((p) => [`method.request.path.${p}`, true])),
    });
    auction.addResource('batches').addResource('{batch_id}').addMethod('PUT', integration, options(['auction_id', 'batch_id']));
    auction.addResource('results').addMethod('GET', integration, options(['auction_id']));

    // The key's value is the secret's, so the run authenticates exactly as against a real platform.
    const key = api.addApiKey('PlatformKey', { value: this.apiKeySecret.secretValue.unsafeUnwrap() });
    const plan = api.addUsagePlan('UsagePlan', {
      name: `${config.prefix}-auction-platform`,
      throttle: { rateLimit: 100, burstLimit: 200 },
      apiStages: [{ api, stage: api.deploymentStage }],
    });
    plan.addApiKey(key);

    NagSuppressions.addResourceSuppressions(api, [
      { id: 'AwsSolutions-APIG3', reason: 'The simulated platform is called only by the run, with its API key; no WAF for a test double.' },
      { id: 'AwsSolutions-APIG4', reason: 'The platform authenticates its caller by API key, as the real platform does.' },
      { id: 'AwsSolutions-COG4', reason: 'No user pool: the only caller is the run, authenticated by API key.' },
      { id: 'AwsSolutions-APIG6', reason: 'Access logs and X-Ray cover the simulated platform; execution logs would duplicate them.' },
    ], true);
    return { api, fn };
  }
}
