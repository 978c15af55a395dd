// Scenarios: the emulated services answer a user's own SDK client (arbitrary credentials, as LocalStack accepts) as AWS documents it, against the synthesized app: DynamoDB describe calls reflect the template (ARN in the stage's region and account, on-demand, SSE, TTL on `ttl`, point-in-time recovery) and its errors and limits have AWS's names (ResourceNotFoundException, ValidationException for 26 batch writes and items over 400 KB); S3 objects round-trip, NoSuchKey/NoSuchBucket are 404s, listings page, the bucket's encryption and public access block are the template's; SNS Publish to an unknown topic is NotFound, an oversized message InvalidParameter; Secrets Manager answers by name and ARN with AWSCURRENT, ResourceNotFoundException otherwise; SQS resolves the template's queue and refuses unknown ones and oversized bodies; Step Functions describes the template's state machine and role, and a run's history is one causal chain.
import { randomBytes } from 'node:crypto';
import {
  BatchWriteItemCommand,
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  GetBucketEncryptionCommand,
  GetObjectCommand,
  GetPublicAccessBlockCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeStateMachineCommand, GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { readStack } from './parity-template';
import { runAuction, startSystem, System, uniqueId } from './lifecycle';

/** A user's own credentials: nothing the runtime handed out. */
const USER = { region: 'eu-west-1', credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' }, maxAttempts: 1 };
const ACCOUNT = '000000000000';
let system: System;
let dynamodb: DynamoDBClient;
let s3: S3Client;
let sns: SNSClient;
let secrets: SecretsManagerClient;
let sqs: SQSClient;
let sfn: SFNClient;
const stack = readStack();

beforeAll(async () => {
  system = await startSystem();
  const e = system.endpoints;
  dynamodb = new DynamoDBClient({ ...USER, endpoint: e.dynamodb });
  s3 = new S3Client({ ...USER, endpoint: e.s3, forcePathStyle: true });
  sns = new SNSClient({ ...USER, endpoint: e.sns });
  secrets = new SecretsManagerClient({ ...USER, endpoint: e.secretsmanager });
  sqs = new SQSClient({ ...USER, endpoint: e.sqs });
  sfn = new SFNClient({ ...USER, endpoint: e.stepfunctions });
});

afterAll(async () => {
  for (const client of [dynamodb, s3, sns, secrets, sqs, sfn]) client?.destroy();
  await system?.stop();
});

/** The error's name and HTTP status, as an SDK user sees them. */
async function refusal(call: Promise<unknown>): Promise<[string, number | undefined]> {
  try {
    await call;
  } catch (error) {
    return [(error as Error).name, (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode];
  }
  throw new Error('the call was accepted');
}

describe('DynamoDB', () => {
  const table = () => system.endpoints.tableName;

  it('describes the table as the template declares it, in the stage region and account', async () => {
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: table() }));

    expect(Table?.TableArn).toBe(`arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/${table()}`);
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(Table?.KeySchema).toEqual(stack.table.KeySchema);
    expect(Table?.GlobalSecondaryIndexes?.map((i) => i.IndexArn)).toEqual(
      stack.table.GlobalSecondaryIndexes.map((i: { IndexName: string }) => `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/${table()}/index/${i.IndexName}`),
    );
    expect(Table?.SSEDescription).toMatchObject({ Status: 'ENABLED', SSEType: 'KMS' });
  });

  it('reports TTL on the template attribute and point-in-time recovery enabled', async () => {
    const ttl = await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: table() }));
    const backups = await dynamodb.send(new DescribeContinuousBackupsCommand({ TableName: table() }));

    expect(ttl.TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: stack.table.TimeToLiveSpecification.AttributeName });
    expect(backups.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus).toBe('ENABLED');
  });

  it("answers AWS's errors for unknown tables, oversized batches and items over 400 KB", async () => {
    const item = (id: string, extra = '') => ({ customer: { S: 'parity' }, record_id: { S: id }, ...(extra ? { blob: { S: extra } } : {}) });

    expect(await refusal(dynamodb.send(new GetItemCommand({ TableName: 'no-such-table', Key: item('a') })))).toEqual(['ResourceNotFoundException', 400]);
    const batch = Array.from({ length: 26 }, (_, i) => ({ PutRequest: { Item: item(`b${i}`) } }));
    expect(await refusal(dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [table()]: batch } })))).toEqual(['ValidationException', 400]);
    expect(await refusal(dynamodb.send(new PutItemCommand({ TableName: table(), Item: item('big', 'x'.repeat(400 * 1024)) })))).toEqual(['ValidationException', 400]);
  });
});

describe('S3', () => {
  const bucket = () => system.endpoints.bucketName;

  it('stores and reads an object with any credentials, and lists in pages', async () => {
    const prefix = `parity/${uniqueId('s3')}/`;
    for (const n of [1, 2, 3]) await s3.send(new PutObjectCommand({ Bucket: bucket(), Key: `${prefix}${n}.json`, Body: `{"n":${n}}` }));

    const read = await s3.send(new GetObjectCommand({ Bucket: bucket(), Key: `${prefix}2.json` }));
    const first = await s3.send(new ListObjectsV2Command({ Bucket: bucket(), Prefix: prefix, MaxKeys: 2 }));
    const rest = await s3.send(new ListObjectsV2Command({ Bucket: bucket(), Prefix: prefix, MaxKeys: 2, ContinuationToken: first.NextContinuationToken }));

    expect(await read.Body?.transformToString()).toBe('{"n":2}');
    expect([first.KeyCount, first.IsTruncated, rest.KeyCount, rest.IsTruncated]).toEqual([2, true, 1, false]);
  });

  it('answers missing keys and buckets with 404 NoSuchKey and NoSuchBucket', async () => {
    expect(await refusal(s3.send(new GetObjectCommand({ Bucket: bucket(), Key: `parity/${randomBytes(6).toString('hex')}` })))).toEqual(['NoSuchKey', 404]);
    expect(await refusal(s3.send(new GetObjectCommand({ Bucket: 'no-such-bucket-here', Key: 'a' })))).toEqual(['NoSuchBucket', 404]);
  });

  it("answers the bucket's encryption and public access block as the template sets them", async () => {
    const encryption = await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket() }));
    const block = await s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket() }));

    expect(encryption.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe('AES256');
    expect(block.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
  });
});

describe('SNS', () => {
  it('refuses an unknown topic with 404 NotFound and an oversized message with InvalidParameter', async () => {
    const unknown = `arn:aws:sns:eu-west-1:${ACCOUNT}:no-such-topic`;

    expect(await refusal(sns.send(new PublishCommand({ TopicArn: unknown, Message: 'x' })))).toEqual(['NotFoundException', 404]);
    expect(await refusal(sns.send(new PublishCommand({ TopicArn: stack.topicArn, Message: 'x'.repeat(262_145) })))).toEqual(['InvalidParameterException', 400]);
  });
});

describe('Secrets Manager', () => {
  it('answers a secret of the template by name and by ARN, with AWSCURRENT', async () => {
    const byArn = await secrets.send(new GetSecretValueCommand({ SecretId: stack.secretArn }));
    const byName = await secrets.send(new GetSecretValueCommand({ SecretId: byArn.Name }));

    expect(byArn.ARN).toMatch(new RegExp(`^arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:`));
    expect(byArn.VersionStages).toEqual(['AWSCURRENT']);
    expect(typeof byArn.VersionId).toBe('string');
    expect(byName.SecretString).toBe(byArn.SecretString);
  });

  it('refuses an unknown secret with ResourceNotFoundException', async () => {
    expect(await refusal(secrets.send(new GetSecretValueCommand({ SecretId: 'no-such-secret' })))).toEqual(['ResourceNotFoundException', 400]);
  });
});

describe('SQS', () => {
  it("resolves the template's queue and refuses unknown queues and bodies over 256 KiB", async () => {
    const [name, url] = Object.entries(system.endpoints.queueUrls)[0];
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));

    expect(QueueUrl).toBe(url);
    expect((await refusal(sqs.send(new GetQueueUrlCommand({ QueueName: 'no-such-queue' }))))[0]).toBe('QueueDoesNotExist');
    expect((await refusal(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x'.repeat(262_145) }))))[0]).toBe('InvalidParameterValue');
  });
});

describe('Step Functions', () => {
  it("describes the template's state machine with its definition and role", async () => {
    const described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: system.endpoints.stateMachineArn }));

    expect(described.roleArn).toBe(stack.stateMachineRoleArn);
    expect(JSON.parse(String(described.definition)).StartAt).toEqual(expect.any(String));
  });

  it("records a run's history as one causal chain of unique, increasing ids", async () => {
    const { executionArn } = await runAuction(system);
    const events = [];
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 500 }));
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken);

    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    expect(events.every((e, i) => e.previousEventId === i)).toBe(true);
    expect(events[0].type).toBe('ExecutionStarted');
    expect(events.at(-1)?.type).toBe('ExecutionSucceeded');
    expect(events.map((e) => e.timestamp!.getTime())).toEqual([...events.map((e) => e.timestamp!.getTime())].sort((a, b) => a - b));
  });
});
