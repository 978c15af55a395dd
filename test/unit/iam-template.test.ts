// IAM from a template: a function's role collects inline policies, AWS::IAM::Policy by Roles and template managed policies; AWS managed policies it cannot read are warned; Lambda::Permission and bucket policies apply as resource policies; enforce denies with AWS's message, warn only logs, off and unknown keys allow; credentials are stable per logical id; a template without roles is not checked.
import type { StackAssembly } from '../../local/core/assembly';
import { credentialsFor, LocalIam } from '../../local/iam/authorizer';
import { Resolver } from '../../local/core/cfn-resolver';

const role = (extra: Record<string, unknown> = {}) => ({ Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: {}, ...extra } });
const template = {
  Resources: {
    Table: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: 'orders' } },
    Bucket: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'results' } },
    WriterRole: role({
      Policies: [{ PolicyName: 'inline', PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: { 'Fn::GetAtt': ['Table', 'Arn'] } }] } }],
      ManagedPolicyArns: [{ Ref: 'Managed' }, 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess'],
    }),
    WriterPolicy: {
      Type: 'AWS::IAM::Policy',
      Properties: { PolicyName: 'writer', Roles: [{ Ref: 'WriterRole' }], PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::results/*' }] } },
    },
    Managed: { Type: 'AWS::IAM::ManagedPolicy', Properties: { PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: '*' }] } } },
    BucketPolicy: {
      Type: 'AWS::S3::BucketPolicy',
      Properties: { Bucket: { Ref: 'Bucket' }, PolicyDocument: { Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: 'arn:aws:s3:::results/locked/*' }] } },
    },
    Writer: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'writer', Role: { 'Fn::GetAtt': ['WriterRole', 'Arn'] } } },
    Loose: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'loose' } },
    Permission: { Type: 'AWS::Lambda::Permission', Properties: { Action: 'lambda:InvokeFunction', FunctionName: { 'Fn::GetAtt': ['Writer', 'Arn'] }, Principal: 'sns.amazonaws.com', SourceArn: 'arn:aws:sns:eu-west-1:000000000000:alerts' } },
  },
};
const stack = { stackName: 'Test', directory: '.', templateFile: 'Test.template.json', template } as unknown as StackAssembly;
const TABLE = 'arn:aws:dynamodb:eu-west-1:000000000000:table/orders';

let warnings: string[];
beforeEach(() => {
  warnings = [];
  jest.spyOn(console, 'warn').mockImplementation((line: string) => void warnings.push(line));
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});
afterEach(() => jest.restoreAllMocks());

const iamIn = (mode: 'enforce' | 'warn' | 'off') => new LocalIam(stack, new Resolver(stack), mode);

it("collects a role's inline, attached and template managed policies, and warns about AWS managed ones and role-less functions", () => {
  const iam = iamIn('enforce');
  const writer = iam.caller('Writer');
  expect(writer?.role.policies.map((p) => p.name)).toEqual(['inline', 'writer', 'Managed']);
  expect(writer?.sessionArn).toBe('arn:aws:sts::000000000000:assumed-role/Test-WriterRole/writer');
  expect(iam.caller('Loose')).toBeUndefined();
  expect(warnings.join('\n')).toMatch(/AmazonS3ReadOnlyAccess cannot be read locally/);
  expect(warnings.join('\n')).toMatch(/function loose has no role in the template; its calls are not checked/);
});

it('enforces: identity grants allow, a missing one is denied with the message AWS gives, a bucket policy Deny wins', () => {
  const iam = iamIn('enforce');
  const key = credentialsFor('Test', 'Writer').accessKeyId;
  expect(iam.check(key, [{ action: 'dynamodb:GetItem', resource: TABLE }, { action: 'dynamodb:PutItem', resource: TABLE }], 'dynamodb')).toBeUndefined();
  const denied = iam.check(key, [{ action: 'dynamodb:DeleteItem', resource: TABLE }], 'dynamodb');
  expect(denied?.message).toBe(`User: arn:aws:sts::000000000000:assumed-role/Test-WriterRole/writer is not authorized to perform: dynamodb:DeleteItem on resource: ${TABLE} because no identity-based policy allows the dynamodb:DeleteItem action`);
  expect(warnings.join('\n')).toContain(`IAM: dynamodb: AccessDenied for function writer (role Test-WriterRole): missing dynamodb:DeleteItem on ${TABLE}`);
  expect(iam.check(key, [{ action: 's3:PutObject', resource: 'arn:aws:s3:::results/a.json' }], 's3')).toBeUndefined();
  expect(iam.check(key, [{ action: 's3:PutObject', resource: 'arn:aws:s3:::results/locked/a.json' }], 's3')?.s3Message).toContain('on resource: "arn:aws:s3:::results/locked/a.json" with an explicit deny in a resource-based policy');
});

it('lets SNS invoke the function only from the topic its Lambda::Permission names', () => {
  const iam = iamIn('enforce');
  const fn = 'arn:aws:lambda:eu-west-1:000000000000:function:writer';
  const from = (topic: string) => iam.checkService('sns.amazonaws.com', { action: 'lambda:InvokeFunction', resource: fn, context: { 'aws:SourceArn': topic } }, 'sns');
  expect(from('arn:aws:sns:eu-west-1:000000000000:alerts')).toBeUndefined();
  expect(from('arn:aws:sns:eu-west-1:000000000000:other')).toBeDefined();
});

it('warn mode logs what AWS would deny and lets it through; off and unknown keys check nothing', () => {
  const request = [{ action: 'dynamodb:DeleteItem', resource: TABLE }];
  const key = credentialsFor('Test', 'Writer').accessKeyId;
  expect(iamIn('warn').check(key, request, 'dynamodb')).toBeUndefined();
  expect(warnings.join('\n')).toContain('IAM (warn): dynamodb: function writer (role Test-WriterRole) would be denied dynamodb:DeleteItem');
  expect(iamIn('off').check(key, request, 'dynamodb')).toBeUndefined();
  expect(iamIn('enforce').check('AKIDEXAMPLE', request, 'dynamodb')).toBeUndefined();
  expect(credentialsFor('Test', 'Writer')).toEqual(credentialsFor('Test', 'Writer'));
  expect(key).toMatch(/^ASIA[A-Z2-7]{16}$/);
});

it('checks nothing, and says so, in a template that declares no IAM role', () => {
  const bare = { ...stack, template: { Resources: { Loose: template.Resources.Loose } } } as unknown as StackAssembly;
  const iam = new LocalIam(bare, new Resolver(bare), 'enforce');
  expect(iam.mode).toBe('off');
  expect(warnings.join('\n')).toContain('the template declares no IAM role, so no call is checked');
});
