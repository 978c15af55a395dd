// Request -> IAM action mapping, driven by the real SDK serializers for every call src/ makes (DynamoDB Get/Put/Update/Delete/Query on an index/BatchGet, S3 PutObject/GetObject, SNS Publish, Secrets Manager GetSecretValue) plus batches, transactions, PartiQL, S3 subresources/copy/DeleteObjects/vhost, SFN and SQS; access keys from SigV4, SigV2 and presigned requests.
import { DynamoDBClient, TransactWriteItemsCommand, BatchWriteItemCommand, ExecuteStatementCommand } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { CopyObjectCommand, DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { accessKeyOf } from '../../local/iam/authorizer';
import { deleteObjectKeys, dynamodbRequests, s3Requests, secretsRequests, sfnRequests, snsRequests, sqsRequests } from '../../local/iam/requests';

const TABLE = 'arn:aws:dynamodb:eu-west-1:000000000000:table/orders';
/** The part of the SDK's serialized HTTP request the mappers read. */
interface HttpRequest {
  method: string;
  path: string;
  query?: Record<string, unknown>;
  headers: Record<string, string>;
  body?: unknown;
}

const credentials = { accessKeyId: 'ASIAEXAMPLEKEY', secretAccessKey: 'secret', sessionToken: 'token' };

/** Sends a command through a client whose HTTP handler only records the request the SDK serialized. */
function capture() {
  const requests: HttpRequest[] = [];
  const requestHandler = {
    handle: async (request: HttpRequest) => {
      requests.push(request);
      throw new Error('captured');
    },
  };
  const config = { region: 'eu-west-1', endpoint: 'http://127.0.0.1:4566', credentials, requestHandler, maxAttempts: 1 };
  const send = async (client: { send(c: unknown): Promise<unknown> }, command: unknown) => {
    await client.send(command).catch(() => undefined);
    return requests[requests.length - 1];
  };
  return { config, send };
}

const text = (b: unknown) => (typeof b === 'string' ? b : new TextDecoder().decode(b as Uint8Array));
const body = (r: HttpRequest) => JSON.parse(text(r.body)) as Record<string, unknown>;
const operation = (r: HttpRequest) => String(r.headers['x-amz-target']).split('.')[1];
const dynamo = (r: HttpRequest) => dynamodbRequests(operation(r), body(r));
const s3 = (r: HttpRequest) => s3Requests({ method: r.method, path: r.path, query: new URLSearchParams(Object.entries(r.query ?? {}).map(([k, v]): [string, string] => [k, String(v ?? '')])), headers: r.headers });

describe('DynamoDB calls of src/adapters', () => {
  const { config, send } = capture();
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient(config));
  const key = { customer: 'c', record_id: 'r' };

  it.each([
    ['GetItem', new GetCommand({ TableName: 'orders', Key: key, ConsistentRead: true })],
    ['PutItem', new PutCommand({ TableName: 'orders', Item: key, ConditionExpression: 'attribute_not_exists(record_id)' })],
    ['UpdateItem', new UpdateCommand({ TableName: 'orders', Key: key, UpdateExpression: 'SET #s = :s', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': 'x' } })],
    ['DeleteItem', new DeleteCommand({ TableName: 'orders', Key: key })],
  ])('%s maps to its own action on the table', async (name, command) => {
    const r = await send(doc, command);
    expect(dynamo(r)).toEqual([{ action: `dynamodb:${name}`, resource: TABLE }]);
    expect(accessKeyOf(r.headers)).toBe('ASIAEXAMPLEKEY');
  });

  it('Query on the by-auction index is dynamodb:Query on the index ARN', async () => {
    const r = await send(doc, new QueryCommand({ TableName: 'orders', IndexName: 'by-auction', KeyConditionExpression: 'auction_id = :a', ExpressionAttributeValues: { ':a': 'x' } }));
    expect(dynamo(r)).toEqual([{ action: 'dynamodb:Query', resource: `${TABLE}/index/by-auction` }]);
  });

  it('BatchGetItem and BatchWriteItem are checked once per table', async () => {
    const get = await send(doc, new BatchGetCommand({ RequestItems: { orders: { Keys: [key] }, other: { Keys: [key] } } }));
    expect(dynamo(get)).toEqual([
      { action: 'dynamodb:BatchGetItem', resource: TABLE },
      { action: 'dynamodb:BatchGetItem', resource: TABLE.replace('orders', 'other') },
    ]);
    const write = await send(doc, new BatchWriteItemCommand({ RequestItems: { orders: [{ PutRequest: { Item: { customer: { S: 'c' } } } }] } }));
    expect(dynamo(write)).toEqual([{ action: 'dynamodb:BatchWriteItem', resource: TABLE }]);
  });

  it('TransactWriteItems is the per-item action on each table; PartiQL by its verb', async () => {
    const t = await send(doc, new TransactWriteItemsCommand({
      TransactItems: [
        { Put: { TableName: 'orders', Item: { customer: { S: 'c' } } } },
        { ConditionCheck: { TableName: 'orders', Key: { customer: { S: 'c' } }, ConditionExpression: 'attribute_exists(customer)' } },
        { Delete: { TableName: 'audit', Key: { id: { S: '1' } } } },
      ],
    }));
    expect(dynamo(t).map((x) => `${x.action} ${x.resource.split('/').pop()}`)).toEqual(['dynamodb:PutItem orders', 'dynamodb:ConditionCheckItem orders', 'dynamodb:DeleteItem audit']);
    const p = await send(doc, new ExecuteStatementCommand({ Statement: 'SELECT * FROM "orders" WHERE customer = ?', Parameters: [{ S: 'c' }] }));
    expect(dynamo(p)).toEqual([{ action: 'dynamodb:PartiQLSelect', resource: TABLE }]);
  });

  it('account-level operations are on *; a table ARN as TableName is kept', () => {
    expect(dynamodbRequests('ListTables', {})).toEqual([{ action: 'dynamodb:ListTables', resource: '*' }]);
    expect(dynamodbRequests('DescribeTimeToLive', { TableName: TABLE })).toEqual([{ action: 'dynamodb:DescribeTimeToLive', resource: TABLE }]);
  });
});

describe('S3 calls of src/adapters and the CLI', () => {
  const { config, send } = capture();
  const client = new S3Client({ ...config, forcePathStyle: true });

  it('PutObject and GetObject (and HeadObject) are on the object ARN with the decoded key', async () => {
    const put = await send(client, new PutObjectCommand({ Bucket: 'results', Key: 'runs/a b.json', Body: '{}', ContentType: 'application/json' }));
    expect(s3(put)).toEqual([{ action: 's3:PutObject', resource: 'arn:aws:s3:::results/runs/a b.json', context: undefined }]);
    const get = await send(client, new GetObjectCommand({ Bucket: 'results', Key: 'runs/a.json' }));
    expect(s3(get)).toEqual([{ action: 's3:GetObject', resource: 'arn:aws:s3:::results/runs/a.json', context: undefined }]);
    const head = await send(client, new HeadObjectCommand({ Bucket: 'results', Key: 'runs/a.json' }));
    expect(s3(head)[0].action).toBe('s3:GetObject');
  });

  it('ListObjectsV2 is s3:ListBucket on the bucket with the prefix in the context', async () => {
    const list = await send(client, new ListObjectsV2Command({ Bucket: 'results', Prefix: 'runs/' }));
    expect(s3(list)).toEqual([{ action: 's3:ListBucket', resource: 'arn:aws:s3:::results', context: { 's3:prefix': 'runs/', 's3:delimiter': undefined } }]);
  });

  it('CopyObject also needs s3:GetObject on its source; DeleteObjects is s3:DeleteObject per key', async () => {
    const copy = await send(client, new CopyObjectCommand({ Bucket: 'results', Key: 'b.json', CopySource: 'state/auctions/a.json' }));
    expect(s3(copy).map((x) => `${x.action} ${x.resource}`)).toEqual(['s3:PutObject arn:aws:s3:::results/b.json', 's3:GetObject arn:aws:s3:::state/auctions/a.json']);
    const del = await send(client, new DeleteObjectsCommand({ Bucket: 'results', Delete: { Objects: [{ Key: 'x&y.json' }, { Key: 'z.json' }] } }));
    const keys = deleteObjectKeys(text(del.body));
    expect(keys).toEqual(['x&y.json', 'z.json']);
    expect(s3Requests({ method: 'POST', path: del.path, query: new URLSearchParams('delete='), headers: {} }, keys).map((x) => x.resource)).toEqual(['arn:aws:s3:::results/x&y.json', 'arn:aws:s3:::results/z.json']);
  });

  it('bucket subresources, bucket creation and listing buckets map to their own actions', () => {
    const req = (method: string, path: string, query = '') => s3Requests({ method, path, query: new URLSearchParams(query), headers: {} })[0];
    expect(req('GET', '/results', 'versioning=')).toMatchObject({ action: 's3:GetBucketVersioning', resource: 'arn:aws:s3:::results' });
    expect(req('GET', '/results', 'policy=')).toMatchObject({ action: 's3:GetBucketPolicy' });
    expect(req('PUT', '/results')).toMatchObject({ action: 's3:CreateBucket' });
    expect(req('DELETE', '/results/k', 'uploadId=1')).toMatchObject({ action: 's3:AbortMultipartUpload' });
    expect(req('GET', '/')).toMatchObject({ action: 's3:ListAllMyBuckets', resource: '*' });
    expect(s3Requests({ method: 'GET', path: '/k.json', query: new URLSearchParams(), headers: {}, host: 'results.localhost:4566' })[0]).toMatchObject({ resource: 'arn:aws:s3:::results/k.json' });
  });
});

describe('SNS, Secrets Manager, Step Functions and SQS', () => {
  const { config, send } = capture();

  it('Publish is sns:Publish on its TopicArn', async () => {
    const topic = 'arn:aws:sns:eu-west-1:000000000000:alerts';
    const r = await send(new SNSClient(config), new PublishCommand({ TopicArn: topic, Message: 'hi' }));
    expect(snsRequests(new URLSearchParams(text(r.body)))).toEqual([{ action: 'sns:Publish', resource: topic }]);
  });

  it('GetSecretValue is secretsmanager:GetSecretValue on the secret ARN the caller resolved', async () => {
    const r = await send(new SecretsManagerClient(config), new GetSecretValueCommand({ SecretId: 'platform-key' }));
    expect(operation(r)).toBe('GetSecretValue');
    expect(body(r).SecretId).toBe('platform-key');
    expect(secretsRequests('GetSecretValue', 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:platform-key-abcdef')).toEqual([
      { action: 'secretsmanager:GetSecretValue', resource: 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:platform-key-abcdef' },
    ]);
  });

  it('Step Functions operations are on the state machine or execution they name; SQS on the queue', () => {
    const machine = 'arn:aws:states:eu-west-1:000000000000:stateMachine:run';
    expect(sfnRequests('StartExecution', { stateMachineArn: machine })).toEqual([{ action: 'states:StartExecution', resource: machine }]);
    expect(sfnRequests('DescribeExecution', { executionArn: `${machine}:x` })[0].resource).toBe(`${machine}:x`);
    expect(sfnRequests('ListStateMachines', {})[0].resource).toBe('*');
    expect(sqsRequests('SendMessageBatch', { QueueUrl: 'http://127.0.0.1:4566/000000000000/dlq' })).toEqual([{ action: 'sqs:SendMessage', resource: 'arn:aws:sqs:eu-west-1:000000000000:dlq' }]);
    expect(sqsRequests('GetQueueUrl', { QueueName: 'dlq' })[0].resource).toBe('arn:aws:sqs:eu-west-1:000000000000:dlq');
  });
});

describe('accessKeyOf', () => {
  it('reads SigV4 and SigV2 headers and presigned URLs; unsigned requests have none', () => {
    expect(accessKeyOf({ authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-1/s3/aws4_request, SignedHeaders=host, Signature=x' })).toBe('AKIDEXAMPLE');
    expect(accessKeyOf({ authorization: 'AWS AKIDV2:c2ln' })).toBe('AKIDV2');
    expect(accessKeyOf({}, new URLSearchParams('X-Amz-Credential=AKIDQ%2F20260101%2Feu-west-1%2Fs3%2Faws4_request'))).toBe('AKIDQ');
    expect(accessKeyOf({})).toBeUndefined();
  });
});
