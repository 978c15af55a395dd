import { Duration, RemovalPolicy, SecretValue, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { UNSET_WEBHOOK_SECRET } from '../../src/alerts/webhook-url';
import { StageConfig } from '../config';
import { AppFunction } from './app-function';

export interface AlertsProps {
  readonly config: StageConfig;
  /**
   * Name of another topic in this account and region whose messages the notifier posts too: the pipeline
   * stack's alerts topic, relayed by one stage. Referenced by name, so no export ties the stacks together.
   * @default - none
   */
  readonly relayTopicName?: string;
}

/**
 * One SNS topic for everything the operations team must hear about, and the Slack notifier behind it.
 * Nothing is lost silently: SNS delivery failures and notifier failures (after Lambda's own retries) both
 * land in a dead-letter queue, and a message there raises an alarm.
 */
export class Alerts extends Construct {
  public readonly topic: sns.Topic;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly notifier: AppFunction;
  public readonly webhookSecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: AlertsProps) {
    super(scope, id);
    const { config } = props;

    // A customer-managed key, because EventBridge and CloudWatch alarms cannot publish to a topic
    // encrypted with the AWS-managed SNS key.
    const key = new kms.Key(this, 'TopicKey', {
      description: `Encrypts ${config.prefix} alerts`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    for (const service of ['events.amazonaws.com', 'cloudwatch.amazonaws.com']) {
      key.addToResourcePolicy(new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(service)],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }));
    }

    this.topic = new sns.Topic(this, 'Topic', {
      topicName: `${config.prefix}-alerts`,
      displayName: 'Energy auction alerts',
      masterKey: key,
      enforceSSL: true,
    });
    this.topic.grantPublish(new iam.ServicePrincipal('events.amazonaws.com'));
    this.topic.grantPublish(new iam.ServicePrincipal('cloudwatch.amazonaws.com'));

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      queueName: `${config.prefix}-alerts-dlq`,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    // Created holding an explicit "not set" marker the notifier recognizes (it logs each alert with the
    // command that fills the secret), instead of a random string that fails every alert as a bad URL.
    // CloudFormation writes the value only when this template text changes: keep it as it is, or an
    // update would overwrite the URL an operator put in.
    this.webhookSecret = new secretsmanager.Secret(this, 'SlackWebhook', {
      secretName: `${config.prefix}/slack-webhook`,
      description: 'Slack incoming-webhook URL for alerts, as {"webhookUrl": "<url>"} or the plain URL; {"webhookUrl": "UNSET"} until an operator puts it in',
      secretStringValue: SecretValue.unsafePlainText(UNSET_WEBHOOK_SECRET),
    });

    this.notifier = new AppFunction(this, 'SlackNotifierFunction', {
      handler: 'slack-notifier',
      description: 'Formats alerts as Slack messages and posts them',
      namePrefix: config.prefix,
      logRetention: config.logRetention,
      // Room for every Slack attempt with backoff; the notifier stops retrying before this deadline.
      timeout: Duration.seconds(60),
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: 2,
      environment: { SLACK_MAX_ATTEMPTS: '4' },
    }).bindSecretRead(this.webhookSecret, 'SLACK_WEBHOOK_SECRET_ARN');

    this.topic.addSubscription(new subscriptions.LambdaSubscription(this.notifier, {
      deadLetterQueue: this.deadLetterQueue,
    }));
    if (props.relayTopicName) {
      const relayed = sns.Topic.fromTopicArn(this, 'RelayedTopic', Stack.of(this).formatArn({ service: 'sns', resource: props.relayTopicName }));
      relayed.addSubscription(new subscriptions.LambdaSubscription(this.notifier, { deadLetterQueue: this.deadLetterQueue }));
    }

    new cloudwatch.Alarm(this, 'DeadLetterAlarm', {
      alarmName: `${config.prefix}-alerts-undelivered`,
      alarmDescription: 'Alerts could not be delivered to Slack and wait in the dead-letter queue',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(new actions.SnsAction(this.topic));

    NagSuppressions.addResourceSuppressions(this.webhookSecret, [{
      id: 'AwsSolutions-SMG4',
      reason: 'A Slack webhook URL is issued by Slack and cannot be rotated by a Lambda; it is replaced by hand when revoked.',
    }]);
    NagSuppressions.addResourceSuppressions(this.deadLetterQueue, [{
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue.',
    }]);
    NagSuppressions.addResourceSuppressions(key, [{
      id: 'AwsSolutions-IAM5',
      reason: 'In a key policy "*" means this key only.',
    }]);
  }
}
