import * as path from 'node:path';
import { CfnElement, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';

export interface AppFunctionProps {
  /** File name in src/handlers without extension; also the function's service name, e.g. `post-orders`. */
  readonly handler: string;
  readonly description: string;
  /** Prefix of the physical function name, e.g. `energy-auction-dev`. */
  readonly namePrefix: string;
  readonly logRetention: logs.RetentionDays;
  /** @default 10 seconds */
  readonly timeout?: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default - no extra variables */
  readonly environment?: Record<string, string>;
  /** Queue that keeps failed asynchronous invocations. @default - none */
  readonly deadLetterQueue?: sqs.IQueue;
  /** Attempts Lambda retries an asynchronous invocation. @default 2 */
  readonly retryAttempts?: number;
}

/**
 * esbuild settings of every function, exported so the benchmarks bundle their baseline handler exactly
 * the same way (bench/bundle.ts).
 */
export const APP_FUNCTION_BUNDLING = {
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  target: 'node22',
  format: OutputFormat.CJS,
  // Bundle the AWS SDK too: versions are pinned by our lock file and the asset runs as-is locally.
  externalModules: [] as string[],
} as const;

/**
 * Every function of the product: Node 22 on arm64, bundled by the local esbuild (no Docker), X-Ray
 * tracing, its own log group with retention, source maps, Powertools settings, and a role that may
 * write only its own logs. `bind*()` grants access and sets the variable in one call, so the two
 * never drift apart.
 */
export class AppFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: AppFunctionProps) {
    const functionName = `${props.namePrefix}-${props.handler}`;
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      logGroupName: `/aws/lambda/${functionName}`,
      retention: props.logRetention,
      // Named: kept on delete, but removed when the create that made it rolls back, so a retry can create it.
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${functionName}`,
    });
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
    }));

    super(scope, id, {
      functionName,
      description: props.description,
      entry: path.join(__dirname, '..', '..', 'src', 'handlers', `${props.handler}.ts`),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      role,
      deadLetterQueue: props.deadLetterQueue,
      retryAttempts: props.retryAttempts ?? 2,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: props.handler,
        POWERTOOLS_METRICS_NAMESPACE: 'EnergyAuction',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...props.environment,
      },
      bundling: APP_FUNCTION_BUNDLING,
    });

    NagSuppressions.addResourceSuppressions(role, [{
      id: 'AwsSolutions-IAM5',
      reason: 'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions, so tracing needs Resource "*".',
      appliesTo: ['Resource::*'],
    }], true);
    NagSuppressions.addResourceSuppressions(this, [{
      id: 'AwsSolutions-L1',
      reason: 'Pinned to nodejs22.x on purpose: the local runtime and CI run Node 22-compatible code; upgrading is a reviewed change.',
    }]);
  }

  /**
   * Lets the function call exactly `actions` on the table (and Query on `index` when given); the table
   * name goes to `envName`. Least privilege per function instead of the broad grantReadWriteData.
   */
  bindTable(table: dynamodb.ITable, envName: string, actions: string[], index?: string): this {
    // Not table.grant(): with an index it adds `<table>/index/*` to every action.
    this.addToRolePolicy(new iam.PolicyStatement({ actions, resources: [table.tableArn] }));
    if (index !== undefined) {
      this.addToRolePolicy(new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${table.tableArn}/index/${index}`] }));
    }
    this.addEnvironment(envName, table.tableName);
    return this;
  }

  /** Lets the function publish to the topic (and use its key); the ARN goes to `envName`. */
  bindTopicPublish(topic: sns.ITopic, envName: string): this {
    topic.grantPublish(this);
    this.addEnvironment(envName, topic.topicArn);
    NagSuppressions.addResourceSuppressions(this.role!, [{
      id: 'AwsSolutions-IAM5',
      reason: 'Publishing to a KMS-encrypted topic needs kms:GenerateDataKey* (its variants), on the topic\'s key only.',
      appliesTo: ['Action::kms:GenerateDataKey*'],
    }], true);
    return this;
  }

  /** Lets the function put objects under `prefix` in the bucket; the bucket name goes to `envName`. */
  bindBucketPut(bucket: s3.IBucket, envName: string, prefix: string): this {
    // Only PutObject: `grantPut` would add s3:Abort* which a single-part writer never needs.
    return this.allowObjects(bucket, 's3:PutObject', prefix, envName);
  }

  /** Lets the function read objects under `prefix` in the bucket; the bucket name goes to `envName`. */
  bindBucketRead(bucket: s3.IBucket, envName: string, prefix: string): this {
    return this.allowObjects(bucket, 's3:GetObject', prefix, envName);
  }

  /** Read, write and list under `prefix`: the simulated platform's own state. */
  bindBucketReadWrite(bucket: s3.IBucket, envName: string, prefix: string): this {
    // Unconditioned: only with ListBucket does S3 answer a missing key with 404 rather than 403.
    this.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
    return this.allowObjects(bucket, ['s3:GetObject', 's3:PutObject'], prefix, envName);
  }

  private allowObjects(bucket: s3.IBucket, action: string | string[], prefix: string, envName: string): this {
    const actions = typeof action === 'string' ? [action] : action;
    this.addToRolePolicy(new iam.PolicyStatement({ actions, resources: [bucket.arnForObjects(`${prefix}*`)] }));
    this.addEnvironment(envName, bucket.bucketName);
    const objects = `Resource::<${Stack.of(bucket).getLogicalId(bucket.node.defaultChild as CfnElement)}.Arn>/${prefix}*`;
    NagSuppressions.addResourceSuppressions(this.role!, [{
      id: 'AwsSolutions-IAM5',
      reason: `Object keys are made per run and item at run time, so the function gets ${actions.join(', ')} on ${prefix} and nowhere else.`,
      appliesTo: [objects],
    }], true);
    return this;
  }

  /** Lets the function read the secret's value; only its ARN goes to `envName`, never the value. */
  bindSecretRead(secret: secretsmanager.ISecret, envName: string): this {
    secret.grantRead(this);
    this.addEnvironment(envName, secret.secretArn);
    return this;
  }
}
