// IAM enforced from the template: the real template runs a full auction with no denial; any credentials (AKIDEXAMPLE) work for DynamoDB, S3, SQS, SNS, Secrets Manager and Step Functions; DescribeTable/DescribeTimeToLive reflect the template (eu-west-1 ARN, TTL on ttl); a function's own credentials get AccessDenied exactly as AWS words it (DynamoDB JSON, S3 XML 403, SNS AuthorizationError, missing object without s3:ListBucket -> 403); a copy of the assembly without post-orders' dynamodb:PutItem and without the state machine's lambda:InvokeFunction on close-auction fails at those calls, naming the missing permission in the log and in the client-visible error.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient, ListTablesCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ListStateMachinesCommand, SFNClient, StartExecutionCommand, DescribeExecutionCommand, GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueUrlCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { loadStack, resourcesOfType } from '../../local/core/assembly';
import { credentialsFor } from '../../local/iam/authorizer';
import { LocalRuntime, postOrders, startLocalRuntime, waitFor } from './harness';
import { E2E_ASSEMBLY, ROOT } from './paths';

const ANY = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const ACCOUNT = '000000000000';

const stack = loadStack(join(ROOT, E2E_ASSEMBLY), 'Local');
/** A function's logical id by its POWERTOOLS_SERVICE_NAME, and the credentials the runtime gives it. */
function functionOf(service: string): { logicalId: string; credentials: ReturnType<typeof credentialsFor> } {
  const found = resourcesOfType(stack.template, 'AWS::Lambda::Function').find(([, r]) => JSON.stringify(r.Properties?.Environment ?? {}).includes(`"POWERTOOLS_SERVICE_NAME":"${service}"`));
  if (!found) throw new Error(`no function ${service} in the template`);
  return { logicalId: found[0], credentials: credentialsFor(stack.stackName, found[0]) };
}

const region = (runtime: LocalRuntime) => runtime.endpoints.region;
const client = <T>(Client: new (config: Record<string, unknown>) => T, runtime: LocalRuntime, endpoint: string, credentials: object = ANY): T =>
  new Client({ region: region(runtime), endpoint, credentials, forcePathStyle: true, maxAttempts: 1 });

async function runToEnd(sfn: SFNClient, stateMachineArn: string, input: unknown) {
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input) }));
  return waitFor('the run to end', async () => {
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return d.status === 'RUNNING' ? undefined : d;
  }, 120_000);
}

describe('the real template under LOCAL_IAM=enforce', () => {
  let runtime: LocalRuntime;

  beforeAll(async () => {
    runtime = await startLocalRuntime();
  });
  afterAll(async () => {
    await runtime?.stop();
  });

  it('runs orders through a whole auction without one denial', async () => {
    const posted = await postOrders(runtime, [
      { record_id: 'iam-1', parameter_1: 'a', parameter_2: 1 },
      { record_id: 'iam-2', parameter_1: 'b', parameter_2: 2 },
    ]);
    expect(posted.status).toBeLessThan(300);
    const run = await runToEnd(runtime.sfn, runtime.endpoints.stateMachineArn, { close: 'now' });
    expect(run.status).toBe('SUCCEEDED');
    expect(runtime.output()).toContain('IAM: enforce');
    expect(runtime.output()).not.toMatch(/AccessDenied|IAM \(warn\)|not authorized/);
  });

  it('accepts any credentials on every emulated service', async () => {
    const e = runtime.endpoints;
    const dynamodb = client(DynamoDBClient, runtime, e.dynamodb);
    expect((await dynamodb.send(new ListTablesCommand({}))).TableNames).toContain(e.tableName);
    const s3 = client(S3Client, runtime, e.s3);
    await s3.send(new PutObjectCommand({ Bucket: e.bucketName, Key: 'iam-e2e/any.txt', Body: 'hi' }));
    expect(await (await s3.send(new GetObjectCommand({ Bucket: e.bucketName, Key: 'iam-e2e/any.txt' }))).Body?.transformToString()).toBe('hi');
    expect((await s3.send(new ListObjectsV2Command({ Bucket: e.bucketName, Prefix: 'iam-e2e/' }))).KeyCount).toBe(1);
    const sqs = client(SQSClient, runtime, e.sqs);
    expect((await sqs.send(new ListQueuesCommand({}))).QueueUrls?.length).toBeGreaterThan(0);
    const queueName = Object.keys(e.queueUrls)[0];
    expect((await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }))).QueueUrl).toBe(e.queueUrls[queueName]);
    const topicArn = `arn:aws:sns:${e.region}:${ACCOUNT}:energy-auction-local-alerts`;
    expect((await client(SNSClient, runtime, e.sns).send(new PublishCommand({ TopicArn: topicArn, Message: 'iam e2e' }))).MessageId).toBeTruthy();
    const secret = resourcesOfType(stack.template, 'AWS::SecretsManager::Secret')[0];
    const name = String((secret[1].Properties as { Name?: string }).Name ?? secret[0]);
    expect((await client(SecretsManagerClient, runtime, e.secretsmanager).send(new GetSecretValueCommand({ SecretId: name }))).Name).toBe(name);
    expect((await client(SFNClient, runtime, e.stepfunctions).send(new ListStateMachinesCommand({}))).stateMachines?.[0].stateMachineArn).toBe(e.stateMachineArn);
    [dynamodb, s3, sqs].forEach((c) => c.destroy());
  });

  it('describes the table as the template declares it: ARN in eu-west-1 and the account, TTL enabled on ttl', async () => {
    const dynamodb = client(DynamoDBClient, runtime, runtime.endpoints.dynamodb);
    const table = (await dynamodb.send(new DescribeTableCommand({ TableName: runtime.endpoints.tableName }))).Table;
    expect(table?.TableArn).toBe(`arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/${runtime.endpoints.tableName}`);
    expect(table?.GlobalSecondaryIndexes?.[0].IndexArn).toBe(`${table?.TableArn}/index/by-auction`);
    const ttl = await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: runtime.endpoints.tableName }));
    expect(ttl.TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' });
    dynamodb.destroy();
  });

  it("denies a function's credentials what its role does not allow, in each service's own AccessDenied", async () => {
    const e = runtime.endpoints;
    const postOrdersFn = functionOf('post-orders');
    const fnName = (id: string) => String(stack.template.Resources[id].Properties?.FunctionName);
    const session = (id: string, role: string) => `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/${fnName(id)}`;
    const roleName = (id: string) => {
      const roleId = (stack.template.Resources[id].Properties?.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
      return `${stack.stackName}-${roleId}`.slice(0, 64);
    };
    const tableArn = `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/${e.tableName}`;
    const dynamodb = client(DynamoDBClient, runtime, e.dynamodb, postOrdersFn.credentials);
    const denied = await dynamodb.send(new UpdateItemCommand({ TableName: e.tableName, Key: { customer: { S: 'x' }, record_id: { S: 'y' } }, UpdateExpression: 'SET a = :a', ExpressionAttributeValues: { ':a': { S: '1' } } })).catch((error: Error & { $metadata?: { httpStatusCode?: number } }) => error);
    expect(denied).toMatchObject({ name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } });
    expect((denied as Error).message).toBe(`User: ${session(postOrdersFn.logicalId, roleName(postOrdersFn.logicalId))} is not authorized to perform: dynamodb:UpdateItem on resource: ${tableArn} because no identity-based policy allows the dynamodb:UpdateItem action`);

    const fetchResults = functionOf('fetch-results');
    const s3 = client(S3Client, runtime, e.s3, fetchResults.credentials);
    await s3.send(new PutObjectCommand({ Bucket: e.bucketName, Key: 'runs/iam-e2e.json', Body: '{}' }));
    const put = await s3.send(new PutObjectCommand({ Bucket: e.bucketName, Key: 'results/iam-e2e.json', Body: '{}' })).catch((error: Error) => error);
    expect(put).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    expect((put as Error).message).toContain(`is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::${e.bucketName}/results/iam-e2e.json" because no identity-based policy allows the s3:PutObject action`);

    const platform = functionOf('auction-platform');
    const platformBucket = e.buckets.find((b) => b !== e.bucketName) as string;
    const missing = await client(S3Client, runtime, e.s3, platform.credentials).send(new GetObjectCommand({ Bucket: platformBucket, Key: 'auctions/none.json' })).catch((error: Error) => error);
    expect(missing).toMatchObject({ name: 'NoSuchKey' });
    const hidden = await client(S3Client, runtime, e.s3, fetchResults.credentials).send(new GetObjectCommand({ Bucket: platformBucket, Key: 'auctions/none.json' })).catch((error: Error) => error);
    expect(hidden).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });

    const publish = await client(SNSClient, runtime, e.sns, postOrdersFn.credentials).send(new PublishCommand({ TopicArn: `arn:aws:sns:eu-west-1:${ACCOUNT}:energy-auction-local-alerts`, Message: 'no' })).catch((error: Error) => error);
    expect(publish).toMatchObject({ name: 'AuthorizationErrorException', $metadata: { httpStatusCode: 403 } });
    expect((publish as Error).message).toContain('is not authorized to perform: SNS:Publish on resource: arn:aws:sns:eu-west-1:');
    expect(runtime.output()).toContain(`missing dynamodb:UpdateItem on ${tableArn}`);
    [dynamodb, s3].forEach((c) => c.destroy());
  });
});

/** A copy of the Local stage assembly with statements edited; the asset folders are linked, not copied. */
function assemblyWithout(edit: (template: { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> }) => void): string {
  const source = join(ROOT, E2E_ASSEMBLY);
  const target = mkdtempSync(join(tmpdir(), 'iam-assembly-'));
  for (const entry of readdirSync(source)) {
    if (entry.startsWith('asset.')) symlinkSync(join(source, entry), join(target, entry));
    else cpSync(join(source, entry), join(target, entry), { recursive: true });
  }
  const file = stack.templateFile.replace(source, target);
  const template = JSON.parse(readFileSync(file, 'utf8'));
  edit(template);
  writeFileSync(file, JSON.stringify(template));
  return target;
}

type Policy = { Statement: Array<{ Action: string | string[]; Resource: unknown }> };

describe('a copy of the assembly with grants removed', () => {
  let runtime: LocalRuntime;
  let assembly: string;
  const postOrdersFn = functionOf('post-orders');
  const closeAuction = functionOf('close-auction');

  beforeAll(async () => {
    assembly = assemblyWithout((template) => {
      for (const res of Object.values(template.Resources)) {
        if (res.Type !== 'AWS::IAM::Policy') continue;
        const doc = res.Properties?.PolicyDocument as Policy;
        const roles = JSON.stringify(res.Properties?.Roles);
        if (roles.includes(JSON.stringify(stack.template.Resources[postOrdersFn.logicalId].Properties?.Role).match(/"Fn::GetAtt":\["([^"]+)"/)?.[1] ?? '-')) {
          for (const s of doc.Statement) if (Array.isArray(s.Action)) s.Action = s.Action.filter((a) => a !== 'dynamodb:PutItem');
        }
        for (const s of doc.Statement) {
          if (s.Action === 'lambda:InvokeFunction' && Array.isArray(s.Resource)) s.Resource = s.Resource.filter((r) => !JSON.stringify(r).includes(`"${closeAuction.logicalId}"`));
        }
      }
    });
    runtime = await startLocalRuntime({}, { LOCAL_LAMBDA_LOGS: '1' }, { assembly });
  });
  afterAll(async () => {
    await runtime?.stop();
    if (assembly) rmSync(assembly, { recursive: true, force: true });
  });

  it("fails POST /orders at post-orders' PutItem, naming dynamodb:PutItem on the table in the log and the function's error", async () => {
    const answer = await postOrders(runtime, [{ record_id: 'iam-denied', parameter_1: 'a', parameter_2: 1 }]);
    expect(answer.status).toBeGreaterThanOrEqual(500);
    const tableArn = `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/${runtime.endpoints.tableName}`;
    await waitFor('the denial in the log', async () => (runtime.output().includes('AccessDeniedException') ? true : undefined), 10_000);
    expect(runtime.output()).toContain(`missing dynamodb:PutItem on ${tableArn} (no policy allows it)`);
    expect(runtime.output()).toMatch(/AccessDeniedException[\s\S]*not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:eu-west-1:000000000000:table\//);
  });

  it("fails the run at CloseAuction with Lambda.AWSLambdaException naming lambda:InvokeFunction on close-auction", async () => {
    const run = await runToEnd(runtime.sfn, runtime.endpoints.stateMachineArn, { close: 'now' });
    expect(run).toMatchObject({ status: 'FAILED', error: 'AuctionNotClosed' });
    const history = (await runtime.sfn.send(new GetExecutionHistoryCommand({ executionArn: run.executionArn, maxResults: 1000 }))).events ?? [];
    const failures = history.flatMap((e) => [e.taskFailedEventDetails, e.lambdaFunctionFailedEventDetails].filter(Boolean));
    expect(failures[0]?.error).toBe('Lambda.AWSLambdaException');
    const fnArn = `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:${String(stack.template.Resources[closeAuction.logicalId].Properties?.FunctionName)}`;
    expect(failures[0]?.cause).toMatch(new RegExp(`^User: arn:aws:sts::${ACCOUNT}:assumed-role/[^/]+/[A-Za-z]+ is not authorized to perform: lambda:InvokeFunction on resource: ${fnArn.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} because no identity-based policy allows the lambda:InvokeFunction action \\(Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException;`));
    expect(runtime.output()).toContain(`missing lambda:InvokeFunction on ${fnArn}`);
  });
});
