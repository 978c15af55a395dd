import type { StackAssembly } from '../core/assembly';
import { resourcesOfType } from '../core/assembly';
import { ACCOUNT, REGION, Resolver } from '../core/cfn-resolver';
import type { NamedPolicy, PolicyDocument, Statement } from './policy';

/** A role of the template with every identity policy attached to it. */
export interface RoleInfo {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly policies: NamedPolicy[];
  /** What of this role is not judged as in AWS; printed when a caller uses the role. */
  readonly warnings: string[];
}

/** The template's IAM: roles by ARN, resource policies by the ARN of the resource they are attached to. */
export interface IamModel {
  readonly roles: Map<string, RoleInfo>;
  readonly resourcePolicies: Map<string, NamedPolicy[]>;
  /** What could not be read or will not be judged as in AWS; printed loudly at start. */
  readonly warnings: string[];
}

/**
 * AWS managed policies the local runtime knows by content. They grant only services the runtime does not
 * check (logs, X-Ray), so they change no local decision; any other AWS managed policy is a warned gap.
 */
const KNOWN_MANAGED: Record<string, PolicyDocument> = {
  'service-role/AWSLambdaBasicExecutionRole': {
    Statement: [{ Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' }],
  },
  AWSXRayDaemonWriteAccess: {
    Statement: [{ Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets', 'xray:GetSamplingStatisticSummaries'], Resource: '*' }],
  },
};

const refOf = (value: unknown): string | undefined =>
  value && typeof value === 'object' && typeof (value as { Ref?: unknown }).Ref === 'string' ? (value as { Ref: string }).Ref : undefined;

/** The ARN a resource policy's target names: a bucket name, a topic ARN, a queue URL, a function name or ARN. */
export function queueArnFromUrl(url: string): string {
  const [name = '', account = ACCOUNT] = url.split('/').filter(Boolean).reverse();
  return `arn:aws:sqs:${REGION}:${/^\d{12}$/.test(account) ? account : ACCOUNT}:${name}`;
}

const functionArn = (nameOrArn: string) => (nameOrArn.startsWith('arn:') ? nameOrArn.replace(/^(arn:[^:]+:lambda:[^:]+:\d+:function:[^:]+).*$/, '$1') : `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${nameOrArn}`);

/** The resource a policy is attached to, for any ARN inside it: bucket of an object, table of an index, function of a version. */
export function policyOwner(resourceArn: string): string {
  if (resourceArn.startsWith('arn:aws:s3:::')) return resourceArn.split('/')[0];
  if (/^arn:[^:]+:lambda:/.test(resourceArn)) return functionArn(resourceArn);
  if (/^arn:[^:]+:dynamodb:/.test(resourceArn)) return resourceArn.replace(/^(arn:[^:]+:dynamodb:[^:]+:\d+:table\/[^/]+).*$/, '$1');
  return resourceArn;
}

/** AWS::Lambda::Permission as the statement Lambda adds to the function's resource policy. */
function permissionStatement(p: Record<string, unknown>): Statement {
  const principal = String(p.Principal ?? '');
  const condition: Record<string, Record<string, unknown>> = {};
  if (p.SourceArn) condition.ArnLike = { 'aws:SourceArn': p.SourceArn };
  if (p.SourceAccount) condition.StringEquals = { 'aws:SourceAccount': p.SourceAccount };
  return {
    Effect: 'Allow',
    Principal: principal === '*' ? '*' : principal.endsWith('.amazonaws.com') ? { Service: principal } : { AWS: principal },
    Action: String(p.Action ?? 'lambda:InvokeFunction'),
    Resource: functionArn(String(p.FunctionName ?? '')),
    ...(Object.keys(condition).length ? { Condition: condition } : {}),
  };
}

/**
 * Reads the identity policies of every role (inline Policies, AWS::IAM::Policy and ::ManagedPolicy attached
 * through Roles, ManagedPolicyArns) and the resource policies the runtime checks (S3 bucket policies, SNS
 * topic policies, SQS queue policies, Secrets Manager resource policies, Lambda permissions).
 */
export function readIam(stack: StackAssembly, resolver: Resolver): IamModel {
  const template = stack.template;
  const warnings: string[] = [];
  const resolveDoc = (where: string, doc: unknown): PolicyDocument | undefined => {
    try {
      return resolver.resolve(doc) as PolicyDocument;
    } catch (error) {
      warnings.push(`${where}: cannot be read locally (${(error as Error).message}); its statements are not applied`);
      return undefined;
    }
  };

  const roles = new Map<string, RoleInfo>();
  const byName = new Map<string, RoleInfo>();
  const byLogicalId = new Map<string, RoleInfo>();
  for (const [id, res] of resourcesOfType(template, 'AWS::IAM::Role')) {
    const p = res.Properties ?? {};
    const role: RoleInfo = { logicalId: id, name: resolver.physicalName(id), arn: resolver.getAtt(id, 'Arn'), policies: [], warnings: [] };
    for (const inline of (p.Policies as Array<Record<string, unknown>> | undefined) ?? []) {
      const name = String(resolver.resolve(inline.PolicyName));
      const document = resolveDoc(`Role ${id} inline policy ${name}`, inline.PolicyDocument);
      if (document) role.policies.push({ name, document });
    }
    if (p.PermissionsBoundary) role.warnings.push(`Role ${id}: its permissions boundary is not applied locally (calls it would deny are allowed)`);
    roles.set(role.arn, role);
    byName.set(role.name, role);
    byLogicalId.set(id, role);
  }
  const rolesOf = (value: unknown) =>
    ((value as unknown[] | undefined) ?? []).flatMap((r) => {
      const role = byLogicalId.get(refOf(r) ?? '') ?? byName.get(String(resolver.resolve(r)));
      return role ? [role] : [];
    });

  const managed = new Map<string, NamedPolicy>();
  for (const [id, res] of resourcesOfType(template, 'AWS::IAM::Policy').concat(resourcesOfType(template, 'AWS::IAM::ManagedPolicy'))) {
    const p = res.Properties ?? {};
    const name = String(p.PolicyName ?? p.ManagedPolicyName ?? id);
    const document = resolveDoc(`${res.Type} ${id}`, p.PolicyDocument);
    if (!document) continue;
    const policy = { name, document };
    if (res.Type === 'AWS::IAM::ManagedPolicy') managed.set(id, policy);
    for (const role of rolesOf(p.Roles)) role.policies.push(policy);
  }
  for (const [id, res] of resourcesOfType(template, 'AWS::IAM::Role')) {
    const role = byLogicalId.get(id) as RoleInfo;
    for (const raw of (res.Properties?.ManagedPolicyArns as unknown[] | undefined) ?? []) {
      const own = managed.get(refOf(raw) ?? '');
      if (own) {
        if (!role.policies.includes(own)) role.policies.push(own);
        continue;
      }
      const arn = String(resolver.resolve(raw));
      const known = KNOWN_MANAGED[arn.replace(/^arn:[^:]+:iam::aws:policy\//, '')];
      if (known) role.policies.push({ name: arn, document: known });
      else role.warnings.push(`Role ${id}: managed policy ${arn} cannot be read locally; what it allows is denied`);
    }
  }

  const resourcePolicies = new Map<string, NamedPolicy[]>();
  const attach = (arn: string, policy: NamedPolicy) => resourcePolicies.set(arn, [...(resourcePolicies.get(arn) ?? []), policy]);
  const kinds: Array<[string, (p: Record<string, unknown>) => string[], string]> = [
    ['AWS::S3::BucketPolicy', (p) => [`arn:aws:s3:::${String(p.Bucket)}`], 'PolicyDocument'],
    ['AWS::SNS::TopicPolicy', (p) => ((p.Topics as unknown[]) ?? []).map(String), 'PolicyDocument'],
    ['AWS::SQS::QueuePolicy', (p) => ((p.Queues as unknown[]) ?? []).map((q) => queueArnFromUrl(String(q))), 'PolicyDocument'],
    ['AWS::SecretsManager::ResourcePolicy', (p) => [String(p.SecretId)], 'ResourcePolicy'],
  ];
  for (const [type, targets, field] of kinds) {
    for (const [id, res] of resourcesOfType(template, type)) {
      let p: Record<string, unknown>;
      try {
        p = resolver.resolve(res.Properties ?? {}) as Record<string, unknown>;
      } catch (error) {
        warnings.push(`${type} ${id}: cannot be read locally (${(error as Error).message}); it is not applied`);
        continue;
      }
      const raw = p[field];
      const document = (typeof raw === 'string' ? JSON.parse(raw) : raw) as PolicyDocument;
      for (const arn of targets(p)) attach(arn, { name: id, document });
    }
  }
  for (const [id, res] of resourcesOfType(template, 'AWS::Lambda::Permission')) {
    try {
      const statement = permissionStatement(resolver.resolve(res.Properties ?? {}) as Record<string, unknown>);
      attach(String(statement.Resource), { name: id, document: { Statement: [statement] } });
    } catch (error) {
      warnings.push(`AWS::Lambda::Permission ${id}: cannot be read locally (${(error as Error).message}); it is not applied`);
    }
  }
  return { roles, resourcePolicies, warnings };
}
