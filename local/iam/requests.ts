/**
 * Which IAM action on which resource ARN each wire request is, per service, as the service authorization
 * reference lists them. A request that touches several resources (BatchWriteItem on two tables, a
 * transaction, a copy) yields one entry per resource; every one must be allowed.
 */
import { ACCOUNT, REGION } from '../core/cfn-resolver';
import type { AuthzRequest } from './policy';

const tableArn = (name: unknown) => {
  const text = String(name ?? '');
  return text.startsWith('arn:') ? text : `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${text}`;
};

/** PartiQL statements name their table in double quotes (or bare) after FROM, INTO or UPDATE. */
function partiql(statement: string): AuthzRequest {
  const verb = statement.trim().split(/\s+/)[0]?.toUpperCase() ?? '';
  const action = { SELECT: 'PartiQLSelect', INSERT: 'PartiQLInsert', UPDATE: 'PartiQLUpdate', DELETE: 'PartiQLDelete' }[verb] ?? 'PartiQLSelect';
  const table = /(?:\bFROM|\bINTO|^\s*UPDATE)\s+"?([A-Za-z0-9_.-]+)"?/i.exec(statement)?.[1] ?? '*';
  return { action: `dynamodb:${action}`, resource: tableArn(table) };
}

/** DynamoDB (AWS JSON 1.0): the operation of X-Amz-Target on TableName, an index of it, or each table of a batch. */
export function dynamodbRequests(operation: string, input: Record<string, unknown>): AuthzRequest[] {
  const action = `dynamodb:${operation}`;
  switch (operation) {
    case 'ListTables':
    case 'DescribeLimits':
    case 'DescribeEndpoints':
      return [{ action, resource: '*' }];
    case 'BatchGetItem':
    case 'BatchWriteItem':
      return Object.keys((input.RequestItems as Record<string, unknown>) ?? {}).map((t) => ({ action, resource: tableArn(t) }));
    case 'TransactWriteItems':
    case 'TransactGetItems':
      return ((input.TransactItems as Array<Record<string, Record<string, unknown>>>) ?? []).map((item) => {
        const [kind, body] = Object.entries(item)[0] ?? ['Get', {}];
        const name = { ConditionCheck: 'ConditionCheckItem', Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', Get: 'GetItem' }[kind] ?? kind;
        return { action: `dynamodb:${name}`, resource: tableArn(body?.TableName) };
      });
    case 'ExecuteStatement':
      return [partiql(String(input.Statement ?? ''))];
    case 'BatchExecuteStatement':
      return ((input.Statements as Array<{ Statement?: string }>) ?? []).map((s) => partiql(String(s.Statement ?? '')));
    case 'ListTagsOfResource':
    case 'TagResource':
    case 'UntagResource':
      return [{ action, resource: String(input.ResourceArn ?? '*') }];
    default: {
      if (input.TableName === undefined) return [{ action, resource: '*' }];
      const table = tableArn(input.TableName);
      const onIndex = (operation === 'Query' || operation === 'Scan') && typeof input.IndexName === 'string';
      return [{ action, resource: onIndex ? `${table}/index/${String(input.IndexName)}` : table }];
    }
  }
}

/** Subresources of a bucket request (`?versioning`) and the action each method takes on it. */
const BUCKET_SUBRESOURCES: Record<string, Partial<Record<string, string>>> = {
  acl: { GET: 'GetBucketAcl', PUT: 'PutBucketAcl' },
  cors: { GET: 'GetBucketCORS', PUT: 'PutBucketCORS', DELETE: 'PutBucketCORS' },
  encryption: { GET: 'GetEncryptionConfiguration', PUT: 'PutEncryptionConfiguration', DELETE: 'PutEncryptionConfiguration' },
  lifecycle: { GET: 'GetLifecycleConfiguration', PUT: 'PutLifecycleConfiguration', DELETE: 'PutLifecycleConfiguration' },
  location: { GET: 'GetBucketLocation' },
  notification: { GET: 'GetBucketNotification', PUT: 'PutBucketNotification' },
  policy: { GET: 'GetBucketPolicy', PUT: 'PutBucketPolicy', DELETE: 'DeleteBucketPolicy' },
  tagging: { GET: 'GetBucketTagging', PUT: 'PutBucketTagging', DELETE: 'PutBucketTagging' },
  uploads: { GET: 'ListBucketMultipartUploads' },
  versioning: { GET: 'GetBucketVersioning', PUT: 'PutBucketVersioning' },
  versions: { GET: 'ListBucketVersions' },
  website: { GET: 'GetBucketWebsite', PUT: 'PutBucketWebsite', DELETE: 'DeleteBucketWebsite' },
};

export interface S3RequestInfo {
  readonly method: string;
  /** Path-style: `/<bucket>/<key>`, still URL-encoded. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The Host header, for virtual-hosted-style requests (`<bucket>.localhost`). */
  readonly host?: string;
}

/** Bucket and (decoded) key of a path-style or virtual-hosted-style request. */
export function s3Target(req: Pick<S3RequestInfo, 'path' | 'host'>): { bucket: string; key: string } {
  const segments = req.path.split('?')[0].split('/').slice(1);
  const vhost = /^([a-z0-9][a-z0-9.-]*)\.localhost(?::\d+)?$/.exec(req.host ?? '')?.[1];
  const [bucket = '', ...rest] = vhost ? [vhost, ...segments] : segments;
  return { bucket, key: decodeURIComponent(rest.join('/')) };
}

/**
 * S3 REST: method, path and query to the action (GetObject, PutObject, ListBucket, ...) on the bucket or
 * object ARN. A copy also needs s3:GetObject on its source; POST ?delete names its keys in the body, so
 * the caller passes them in `deleteKeys`.
 */
export function s3Requests(req: S3RequestInfo, deleteKeys: readonly string[] = []): AuthzRequest[] {
  const { bucket, key } = s3Target(req);
  const method = req.method.toUpperCase();
  const q = req.query;
  const header = (name: string) => {
    const v = req.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const on = (action: string, resource: string, context?: AuthzRequest['context']): AuthzRequest => ({ action: `s3:${action}`, resource, context });
  if (!bucket) return [on('ListAllMyBuckets', '*')];
  const bucketArn = `arn:aws:s3:::${bucket}`;
  if (!key) {
    if (method === 'POST' && q.has('delete')) return deleteKeys.map((k) => on('DeleteObject', `${bucketArn}/${k}`));
    for (const [sub, actions] of Object.entries(BUCKET_SUBRESOURCES)) {
      const action = q.has(sub) ? actions[method] : undefined;
      if (action) return [on(action, bucketArn)];
    }
    if (method === 'PUT') return [on('CreateBucket', bucketArn)];
    if (method === 'DELETE') return [on('DeleteBucket', bucketArn)];
    const context = { 's3:prefix': q.get('prefix') ?? undefined, 's3:delimiter': q.get('delimiter') ?? undefined };
    return [on('ListBucket', bucketArn, context)];
  }
  const objectArn = `${bucketArn}/${key}`;
  const versioned = q.has('versionId');
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (q.has('acl')) return [on(versioned ? 'GetObjectVersionAcl' : 'GetObjectAcl', objectArn)];
      if (q.has('tagging')) return [on(versioned ? 'GetObjectVersionTagging' : 'GetObjectTagging', objectArn)];
      if (q.has('uploadId')) return [on('ListMultipartUploadParts', objectArn)];
      if (q.has('attributes')) return [on(versioned ? 'GetObjectVersionAttributes' : 'GetObjectAttributes', objectArn)];
      return [on(versioned ? 'GetObjectVersion' : 'GetObject', objectArn)];
    case 'PUT': {
      if (q.has('acl')) return [on(versioned ? 'PutObjectVersionAcl' : 'PutObjectAcl', objectArn)];
      if (q.has('tagging')) return [on(versioned ? 'PutObjectVersionTagging' : 'PutObjectTagging', objectArn)];
      const out = [on('PutObject', objectArn)];
      const source = header('x-amz-copy-source');
      if (source) {
        const [path, query = ''] = decodeURIComponent(source).replace(/^\//, '').split('?');
        out.push(on(/versionId=/.test(query) ? 'GetObjectVersion' : 'GetObject', `arn:aws:s3:::${path}`));
      }
      if (header('x-amz-tagging') && !q.has('uploadId')) out.push(on('PutObjectTagging', objectArn));
      if (header('x-amz-acl') && !q.has('uploadId')) out.push(on('PutObjectAcl', objectArn));
      return out;
    }
    case 'POST':
      if (q.has('restore')) return [on('RestoreObject', objectArn)];
      if (q.has('select')) return [on('GetObject', objectArn)];
      return [on('PutObject', objectArn)];
    case 'DELETE':
      if (q.has('uploadId')) return [on('AbortMultipartUpload', objectArn)];
      if (q.has('tagging')) return [on(versioned ? 'DeleteObjectVersionTagging' : 'DeleteObjectTagging', objectArn)];
      return [on(versioned ? 'DeleteObjectVersion' : 'DeleteObject', objectArn)];
    default:
      return [on(method, objectArn)];
  }
}

/** The keys a DeleteObjects (POST ?delete) body names. */
export function deleteObjectKeys(xml: string): string[] {
  return [...xml.matchAll(/<Key>([\s\S]*?)<\/Key>/g)].map((m) => m[1].replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&'));
}

/** SNS (AWS Query): Publish on its TopicArn (or TargetArn); a phone number is not a resource. */
export function snsRequests(form: URLSearchParams): AuthzRequest[] {
  const action = form.get('Action') ?? '';
  return [{ action: `sns:${action}`, resource: form.get('TopicArn') ?? form.get('TargetArn') ?? '*' }];
}

/** Secrets Manager: the operation on the secret's ARN (the caller resolves names to ARNs). */
export function secretsRequests(operation: string, secretArn: string | undefined): AuthzRequest[] {
  return [{ action: `secretsmanager:${operation}`, resource: secretArn ?? '*' }];
}

/** Step Functions: the operation on the state machine, execution or Map Run it names. */
export function sfnRequests(operation: string, input: Record<string, unknown>): AuthzRequest[] {
  const resource = input.stateMachineArn ?? input.executionArn ?? input.mapRunArn ?? '*';
  return [{ action: `states:${operation}`, resource: String(resource) }];
}

const SQS_BATCH: Record<string, string> = {
  SendMessageBatch: 'SendMessage',
  DeleteMessageBatch: 'DeleteMessage',
  ChangeMessageVisibilityBatch: 'ChangeMessageVisibility',
};

/** SQS (AWS JSON 1.0): the operation (batch ones as their single action) on the queue its QueueUrl or QueueName names. */
export function sqsRequests(operation: string, input: Record<string, unknown>): AuthzRequest[] {
  const action = `sqs:${SQS_BATCH[operation] ?? operation}`;
  if (typeof input.QueueUrl === 'string') {
    const [name = '', account = ACCOUNT] = input.QueueUrl.split('?')[0].split('/').filter(Boolean).reverse();
    return [{ action, resource: `arn:aws:sqs:${REGION}:${/^\d{12}$/.test(account) ? account : ACCOUNT}:${name}` }];
  }
  if (typeof input.QueueName === 'string') return [{ action, resource: `arn:aws:sqs:${REGION}:${ACCOUNT}:${input.QueueName}` }];
  return [{ action, resource: '*' }];
}
