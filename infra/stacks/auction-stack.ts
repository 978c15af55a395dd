import { CfnOutput, Stack, StackProps, Tags } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { StageConfig } from '../config';
import { Alerts } from '../constructs/alerts';
import { Monitoring } from '../constructs/monitoring';
import { OrdersApi } from '../constructs/orders-api';
import { OrdersTable } from '../constructs/orders-table';
import { ResultsBucket } from '../constructs/results-bucket';
import { AuctionPlatform } from '../constructs/auction-platform';
import { AuctionRun } from '../constructs/auction-run';

export interface AuctionStackProps extends StackProps {
  readonly config: StageConfig;
  /** Another alerts topic whose messages this stage's notifier posts to Slack too. @default - none */
  readonly relayTopicName?: string;
}

/**
 * The whole product for one stage, in one stack: the API and table, the auction run, the platform it
 * talks to and the results bucket, the alerts path and the alarms. One stack keeps deployments atomic and avoids cross-stack
 * export locks; stateful resources are retained (or configured per stage) so a rollback never loses data.
 */
export class AuctionStack extends Stack {
  public readonly apiUrl: CfnOutput;
  public readonly apiKeyId: CfnOutput;

  constructor(scope: Construct, id: string, props: AuctionStackProps) {
    super(scope, id, props);
    const { config } = props;
    Tags.of(this).add('project', 'energy-auction');
    Tags.of(this).add('stage', config.stageName.toLowerCase());

    const alerts = new Alerts(this, 'Alerts', { config, relayTopicName: props.relayTopicName });
    const orders = new OrdersTable(this, 'Orders', {
      tableName: `${config.prefix}-orders`,
      removalPolicy: config.tableRemovalPolicy,
      deletionProtection: config.tableDeletionProtection,
    });
    const api = new OrdersApi(this, 'OrdersApi', { config, table: orders.table });
    const results = new ResultsBucket(this, 'Results', {
      namePrefix: config.prefix,
      infrequentAccessAfterDays: config.results.infrequentAccessAfterDays,
      expireAfterDays: config.results.expireAfterDays,
      workFilesExpireAfterDays: config.results.workFilesExpireAfterDays,
    });
    const platform = new AuctionPlatform(this, 'AuctionPlatform', { config });
    const run = new AuctionRun(this, 'AuctionRun', {
      config,
      table: orders.table,
      bucket: results.bucket,
      alertsTopic: alerts.topic,
      platform,
    });
    new Monitoring(this, 'Monitoring', {
      namePrefix: config.prefix,
      alertsTopic: alerts.topic,
      api: api.api,
      functions: [api.handler, api.getOrder, ...run.functions, ...(platform.function ? [platform.function] : []), alerts.notifier],
      stateMachine: run.stateMachine,
    });

    this.apiUrl = new CfnOutput(this, 'ApiUrl', { value: api.api.urlForPath('/orders') });
    this.apiKeyId = new CfnOutput(this, 'ApiKeyId', { value: api.apiKey.keyId });
    new CfnOutput(this, 'OrdersTableName', { value: orders.table.tableName });
    new CfnOutput(this, 'ResultsBucketName', { value: results.bucket.bucketName });
    new CfnOutput(this, 'StateMachineArn', { value: run.stateMachine.stateMachineArn });
    new CfnOutput(this, 'AuctionPlatformUrl', { value: platform.baseUrl });
    new CfnOutput(this, 'AuctionPlatformKeySecretArn', { value: platform.apiKeySecret.secretArn });
    new CfnOutput(this, 'AlertsTopicArn', { value: alerts.topic.topicArn });
    new CfnOutput(this, 'SlackWebhookSecretArn', { value: alerts.webhookSecret.secretArn });
  }
}
