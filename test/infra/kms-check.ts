/**
 * Reads a synthesized template as KMS will at run time: for every encrypted topic, queue, bucket and table,
 * every principal that is allowed (or configured) to use it must also be allowed to use its key, or the
 * call fails in AWS with KMS.AccessDeniedException although every template check passes.
 *
 * Principals: roles whose identity policies allow an action on the resource; service principals in its
 * resource policy; services a template points at it (EventBridge rule targets, CloudWatch alarm actions,
 * SNS subscription dead-letter queues). Key use: for a customer-managed key, a service principal must be
 * named in the key policy; a role must be named there, or the key policy must delegate to the account
 * (root) and the role's own policy allow the key. An AWS-managed key (alias/aws/...) serves IAM principals
 * of the account only, never a service principal. S3-managed, SQS-managed and DynamoDB-owned keys need
 * nothing.
 */
import type { Json } from './synth';

type Resources = Record<string, { Type: string; Properties?: Record<string, Json> }>;
type Statement = { Effect?: string; Action?: Json; Resource?: Json; Principal?: Json };

/** The key actions each use needs, by the service's action. */
const KEY_ACTIONS: Record<string, Array<[RegExp, string[]]>> = {
  sns: [[/^sns:Publish$/, ['kms:GenerateDataKey', 'kms:Decrypt']]],
  sqs: [[/^sqs:SendMessage(Batch)?$/, ['kms:GenerateDataKey', 'kms:Decrypt']], [/^sqs:ReceiveMessage$/, ['kms:Decrypt']]],
  s3: [[/^s3:PutObject$/, ['kms:GenerateDataKey', 'kms:Decrypt']], [/^s3:GetObject(Version)?$/, ['kms:Decrypt']]],
  dynamodb: [
    [/^dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem|TransactWriteItems)$/, ['kms:GenerateDataKey', 'kms:Decrypt']],
    [/^dynamodb:(GetItem|BatchGetItem|Query|Scan|TransactGetItems)$/, ['kms:Decrypt']],
  ],
};
/** Representative actions a wildcard such as `sns:*` or `*` stands for. */
const EVERY_ACTION: Record<string, string[]> = {
  sns: ['sns:Publish'],
  sqs: ['sqs:SendMessage', 'sqs:ReceiveMessage'],
  s3: ['s3:PutObject', 's3:GetObject'],
  dynamodb: ['dynamodb:PutItem', 'dynamodb:GetItem'],
};

type Key = { kind: 'customer'; id: string } | { kind: 'aws-managed'; alias: string } | { kind: 'elsewhere'; text: string };
interface Encrypted { readonly id: string; readonly service: keyof typeof KEY_ACTIONS; readonly name?: string; readonly key: Key }
interface Use { readonly principal: string; readonly role?: string; readonly service?: string; readonly actions: string[] }

const list = (value: Json | undefined): Json[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const refOf = (value: Json | undefined): string | undefined => {
  const v = value as { Ref?: string; 'Fn::GetAtt'?: string[] } | undefined;
  return v?.Ref ?? v?.['Fn::GetAtt']?.[0];
};
const glob = (pattern: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
const allows = (patterns: Json | undefined, action: string) => list(patterns).some((p) => typeof p === 'string' && glob(p).test(action));

/** Text of an ARN-like value, intrinsics rendered as `${Id}`. */
function text(value: Json | undefined): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, Json> | undefined;
  if (v && 'Fn::Join' in v) {
    const [separator, parts] = v['Fn::Join'] as [string, Json[]];
    return parts.map(text).join(separator);
  }
  const id = refOf(value);
  return id ? `\${${id}}` : JSON.stringify(value);
}

/** Does this policy resource (or rule target, alarm action) name the resource? */
function names(value: Json | undefined, target: Encrypted): boolean {
  if (value === '*') return true;
  if (refOf(value) === target.id) return true;
  const rendered = text(value);
  if (rendered.includes(`\${${target.id}}`)) return true;
  // A resource named by its physical name inside an ARN (e.g. an imported topic).
  return target.name !== undefined && new RegExp(`[:/]${target.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(/|$)`).test(rendered);
}

function keyOf(resources: Resources, value: Json | undefined, managedAlias: string): Key {
  const id = refOf(value);
  if (id && resources[id]?.Type === 'AWS::KMS::Key') return { kind: 'customer', id };
  if (value === undefined || value === managedAlias) return { kind: 'aws-managed', alias: managedAlias };
  return { kind: 'elsewhere', text: text(value) };
}

/** Every resource encrypted with a KMS key whose policy someone must get right. */
export function encryptedResources(resources: Resources): Encrypted[] {
  const out: Encrypted[] = [];
  for (const [id, resource] of Object.entries(resources)) {
    const p = resource.Properties ?? {};
    const name = (field: string) => (typeof p[field] === 'string' ? (p[field] as string) : undefined);
    if (resource.Type === 'AWS::SNS::Topic' && p.KmsMasterKeyId !== undefined) {
      out.push({ id, service: 'sns', name: name('TopicName'), key: keyOf(resources, p.KmsMasterKeyId, 'alias/aws/sns') });
    }
    if (resource.Type === 'AWS::SQS::Queue' && p.KmsMasterKeyId !== undefined) {
      out.push({ id, service: 'sqs', name: name('QueueName'), key: keyOf(resources, p.KmsMasterKeyId, 'alias/aws/sqs') });
    }
    if (resource.Type === 'AWS::S3::Bucket') {
      const rules = list((p.BucketEncryption as { ServerSideEncryptionConfiguration?: Json } | undefined)?.ServerSideEncryptionConfiguration);
      for (const rule of rules as Array<{ ServerSideEncryptionByDefault?: { SSEAlgorithm?: string; KMSMasterKeyID?: Json } }>) {
        const byDefault = rule.ServerSideEncryptionByDefault;
        if (byDefault?.SSEAlgorithm?.startsWith('aws:kms')) {
          out.push({ id, service: 's3', name: name('BucketName'), key: keyOf(resources, byDefault.KMSMasterKeyID, 'alias/aws/s3') });
        }
      }
    }
    if (resource.Type === 'AWS::DynamoDB::Table') {
      const sse = p.SSESpecification as { SSEEnabled?: boolean; KMSMasterKeyId?: Json } | undefined;
      if (sse?.SSEEnabled) out.push({ id, service: 'dynamodb', name: name('TableName'), key: keyOf(resources, sse.KMSMasterKeyId, 'alias/aws/dynamodb') });
    }
  }
  return out;
}

/** Allow statements of every identity policy, with the roles they are attached to. */
function identityStatements(resources: Resources): Array<{ role: string; statement: Statement }> {
  const out: Array<{ role: string; statement: Statement }> = [];
  const add = (roles: Json | undefined, document: Json | undefined) => {
    for (const statement of list((document as { Statement?: Json } | undefined)?.Statement) as Statement[]) {
      if (statement.Effect !== 'Allow') continue;
      for (const role of list(roles)) {
        const id = refOf(role);
        if (id) out.push({ role: id, statement });
      }
    }
  };
  for (const [id, resource] of Object.entries(resources)) {
    const p = resource.Properties ?? {};
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') add(p.Roles, p.PolicyDocument);
    if (resource.Type === 'AWS::IAM::Role') {
      for (const policy of list(p.Policies) as Array<{ PolicyDocument?: Json }>) add({ Ref: id }, policy.PolicyDocument);
    }
  }
  return out;
}

/** The actions of a statement that belong to the resource's service, wildcards spelled out. */
function serviceActions(actions: Json | undefined, service: string): string[] {
  const out = new Set<string>();
  for (const action of list(actions)) {
    if (typeof action !== 'string') continue;
    if (action === '*' || action.toLowerCase() === `${service}:*`) EVERY_ACTION[service].forEach((a) => out.add(a));
    else if (action.toLowerCase().startsWith(`${service}:`)) {
      for (const representative of EVERY_ACTION[service]) if (glob(action).test(representative)) out.add(representative);
      if (!action.includes('*')) out.add(action);
    }
  }
  return [...out];
}

/** Who may (or is configured to) use the resource, and with which of its actions. */
function usesOf(resources: Resources, target: Encrypted): Use[] {
  const uses: Use[] = [];
  for (const { role, statement } of identityStatements(resources)) {
    if (!list(statement.Resource).some((r) => names(r, target))) continue;
    const actions = serviceActions(statement.Action, target.service);
    if (actions.length) uses.push({ principal: `role ${role}`, role, actions });
  }
  const policyTypes: Record<string, [string, string]> = {
    'AWS::SNS::TopicPolicy': ['Topics', 'sns'],
    'AWS::SQS::QueuePolicy': ['Queues', 'sqs'],
    'AWS::S3::BucketPolicy': ['Bucket', 's3'],
  };
  for (const resource of Object.values(resources)) {
    const kind = policyTypes[resource.Type];
    if (!kind || kind[1] !== target.service) continue;
    const p = resource.Properties ?? {};
    if (!list(p[kind[0]]).some((t) => refOf(t) === target.id)) continue;
    for (const statement of list((p.PolicyDocument as { Statement?: Json })?.Statement) as Statement[]) {
      if (statement.Effect !== 'Allow') continue;
      const actions = serviceActions(statement.Action, target.service);
      for (const service of list((statement.Principal as { Service?: Json } | undefined)?.Service)) {
        if (actions.length) uses.push({ principal: String(service), service: String(service), actions });
      }
    }
  }
  // Services the template points at the resource, whatever its resource policy says.
  for (const resource of Object.values(resources)) {
    const p = resource.Properties ?? {};
    if (resource.Type === 'AWS::Events::Rule' && target.service === 'sns') {
      if ((list(p.Targets) as Array<{ Arn?: Json }>).some((t) => names(t.Arn, target))) uses.push({ principal: 'events.amazonaws.com', service: 'events.amazonaws.com', actions: ['sns:Publish'] });
    }
    if (resource.Type === 'AWS::CloudWatch::Alarm' && target.service === 'sns') {
      if ([...list(p.AlarmActions), ...list(p.OKActions), ...list(p.InsufficientDataActions)].some((a) => names(a, target))) {
        uses.push({ principal: 'cloudwatch.amazonaws.com', service: 'cloudwatch.amazonaws.com', actions: ['sns:Publish'] });
      }
    }
    if (resource.Type === 'AWS::SNS::Subscription' && target.service === 'sqs') {
      if (names((p.RedrivePolicy as { deadLetterTargetArn?: Json } | undefined)?.deadLetterTargetArn, target)) {
        uses.push({ principal: 'sns.amazonaws.com', service: 'sns.amazonaws.com', actions: ['sqs:SendMessage'] });
      }
    }
  }
  return uses;
}

function requiredKeyActions(service: string, actions: string[]): string[] {
  const out = new Set<string>();
  for (const action of actions) {
    for (const [pattern, keyActions] of KEY_ACTIONS[service]) if (pattern.test(action)) keyActions.forEach((a) => out.add(a));
  }
  return [...out];
}

const isAccountRoot = (principal: Json | undefined) => list((principal as { AWS?: Json } | undefined)?.AWS).some((aws) => /:root$/.test(text(aws)));

/** The key actions of `needed` that `use` may not perform on the customer-managed key. */
function missingOnKey(resources: Resources, keyId: string, use: Use, needed: string[], identity: Array<{ role: string; statement: Statement }>): string[] {
  const keyPolicy = list((resources[keyId].Properties?.KeyPolicy as { Statement?: Json })?.Statement) as Statement[];
  const allowing = keyPolicy.filter((s) => s.Effect === 'Allow');
  return needed.filter((action) => {
    if (use.service) {
      return !allowing.some((s) => list((s.Principal as { Service?: Json } | undefined)?.Service).includes(use.service!) && allows(s.Action, action));
    }
    const named = allowing.some((s) => list((s.Principal as { AWS?: Json } | undefined)?.AWS).some((aws) => refOf(aws) === use.role) && allows(s.Action, action));
    if (named) return false;
    const delegated = allowing.some((s) => isAccountRoot(s.Principal) && allows(s.Action, action));
    const ownPolicy = identity.some(({ role, statement }) => role === use.role && allows(statement.Action, action)
      && list(statement.Resource).some((r) => r === '*' || refOf(r) === keyId));
    return !(delegated && ownPolicy);
  });
}

/** Every principal that would be refused by KMS, as readable lines (empty when all is well). */
export function kmsProblems(resources: Resources, where: string): string[] {
  const identity = identityStatements(resources);
  const problems: string[] = [];
  for (const target of encryptedResources(resources)) {
    for (const use of usesOf(resources, target)) {
      const needed = requiredKeyActions(target.service, use.actions);
      if (needed.length === 0) continue;
      const what = `${where}: ${use.principal} may ${use.actions.join(', ')} on ${target.id}`;
      if (target.key.kind === 'elsewhere') {
        problems.push(`${what}, whose key ${target.key.text} is not in this template: cannot check ${needed.join(', ')}`);
      } else if (target.key.kind === 'aws-managed') {
        // The AWS-managed key's policy serves principals of the account through the service only.
        if (use.service) problems.push(`${what}, but its key is the AWS-managed ${target.key.alias}, whose policy no service principal can be added to`);
      } else {
        const missing = missingOnKey(resources, target.key.id, use, needed, identity);
        if (missing.length) problems.push(`${what}, but not ${missing.join(', ')} on its key ${target.key.id}`);
      }
    }
  }
  return problems;
}
