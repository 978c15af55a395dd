/**
 * The IAM checks each emulated service makes at its front door, bound to the runtime's LocalIam: the
 * request becomes IAM actions and resources (./requests.ts), the caller is found by the request's access
 * key, and a denial comes back as AWS's message for the service to answer in its own wire format.
 */
import type { AwsCallAuthorizer } from '../core/aws-json-server';
import type { DynamoHooks } from '../dynamodb/emulator';
import type { S3Hooks } from '../s3/emulator';
import { ACCOUNT, REGION } from '../core/cfn-resolver';
import type { LocalIam } from './authorizer';
import { dynamodbRequests, s3Requests, s3Target, secretsRequests, sfnRequests, snsRequests, sqsRequests } from './requests';

export function dynamodbHooks(iam: LocalIam, table: DynamoHooks['table']): DynamoHooks {
  return {
    authorize: (operation, input, key) => iam.check(key, dynamodbRequests(operation, input), 'dynamodb')?.message,
    table,
  };
}

export function s3Hooks(iam: LocalIam, bucket?: S3Hooks['bucket']): S3Hooks {
  return {
    bucket,
    authorize: (request, key, deleteKeys) => iam.check(key, s3Requests(request, deleteKeys), 's3')?.s3Message,
    notFound: (request, key) => {
      const { bucket } = s3Target(request);
      return iam.check(key, [{ action: 's3:ListBucket', resource: `arn:aws:s3:::${bucket}` }], 's3')?.s3Message;
    },
  };
}

/** `secretArn` resolves a SecretId (name, ARN, partial ARN) to the ARN policies name. */
export function awsJsonHooks(iam: LocalIam, secretArn: (secretId: string) => string | undefined): AwsCallAuthorizer {
  return {
    json: (prefix, operation, input, key) => {
      const requests =
        prefix === 'secretsmanager'
          ? secretsRequests(operation, secretArn(String(input.SecretId ?? '')) ?? unknownSecretArn(String(input.SecretId ?? '')))
          : prefix === 'AWSStepFunctions'
            ? sfnRequests(operation, input)
            : prefix === 'AmazonSQS'
              ? sqsRequests(operation, input)
              : [];
      return iam.check(key, requests, prefix === 'AWSStepFunctions' ? 'states' : prefix === 'AmazonSQS' ? 'sqs' : prefix)?.message;
    },
    query: (signingName, form, key) => (signingName === 'sns' ? iam.check(key, snsRequests(form), 'sns')?.message : undefined),
  };
}

/** A secret the template does not declare: its ARN as policies would match it (Secrets Manager then answers not found). */
const unknownSecretArn = (id: string) => (id.startsWith('arn:') ? id : `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${id}`);

/** What an EventBridge rule delivers to, as the runtime resolved its target. */
export type EventTargetKind = 'state-machine' | 'topic' | 'function';

/**
 * EventBridge reaches a state machine as the target's RoleArn (states:StartExecution), and a topic or a
 * function through their resource policies (topic policy, AWS::Lambda::Permission for events.amazonaws.com).
 */
export function eventTargetDenial(iam: LocalIam, kind: EventTargetKind, targetArn: string, via: { ruleArn: string; roleArn?: string }): string | undefined {
  if (kind === 'state-machine') {
    return via.roleArn ? iam.checkRole(via.roleArn, [{ action: 'states:StartExecution', resource: targetArn }], 'events')?.message : undefined;
  }
  const action = kind === 'topic' ? 'sns:Publish' : 'lambda:InvokeFunction';
  const context = { 'aws:SourceArn': via.ruleArn, 'aws:SourceAccount': ACCOUNT };
  return iam.checkService('events.amazonaws.com', { action, resource: targetArn, context }, 'events')?.message;
}

/** SNS invokes a subscribed function only where its resource policy allows sns.amazonaws.com from that topic. */
export function snsDeliveryDenial(iam: LocalIam, functionArn: string, topicArn: string): string | undefined {
  const context = { 'aws:SourceArn': topicArn, 'aws:SourceAccount': ACCOUNT };
  return iam.checkService('sns.amazonaws.com', { action: 'lambda:InvokeFunction', resource: functionArn, context }, 'sns')?.message;
}
