// IAM evaluator: Allow, implicit deny, Deny wins, Action/Resource wildcards, NotAction, NotResource, conditions (Bool, String*, Arn*, IfExists, Null, negated, ForAnyValue), resource policies (direct principal, account root, service principal), lint of unsupported grammar.
import { evaluate, lintPolicy, NamedPolicy, Principal, Statement, wildcardMatch } from '../../local/iam/policy';

const TABLE = 'arn:aws:dynamodb:eu-west-1:000000000000:table/orders';
const ROLE = 'arn:aws:iam::000000000000:role/post-orders';
const role: Principal = { kind: 'role', roleArn: ROLE, sessionArn: 'arn:aws:sts::000000000000:assumed-role/post-orders/fn', account: '000000000000' };
const events: Principal = { kind: 'service', service: 'events.amazonaws.com' };

const policy = (...Statement: Statement[]): NamedPolicy => ({ name: 'test', document: { Version: '2012-10-17', Statement } });
const decide = (action: string, resource: string, identity: NamedPolicy[], resourcePolicies: NamedPolicy[] = [], context = {}, who: Principal = role) =>
  evaluate({ action, resource, context }, who, identity, resourcePolicies);

describe('identity policies', () => {
  it('allows an action listed on the resource', () => {
    const p = policy({ Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem'], Resource: TABLE });
    expect(decide('dynamodb:PutItem', TABLE, [p])).toEqual({ effect: 'allow', by: 'identity' });
  });

  it('denies implicitly what no statement allows: another action, another resource, no policy', () => {
    const p = policy({ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: TABLE });
    expect(decide('dynamodb:PutItem', TABLE, [p])).toEqual({ effect: 'deny', explicit: false });
    expect(decide('dynamodb:GetItem', `${TABLE}-other`, [p])).toEqual({ effect: 'deny', explicit: false });
    expect(decide('dynamodb:GetItem', TABLE, [])).toEqual({ effect: 'deny', explicit: false });
  });

  it('lets an explicit Deny win over any Allow, naming its policy', () => {
    const allow = policy({ Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' });
    const deny: NamedPolicy = { name: 'no-deletes', document: { Statement: { Effect: 'Deny', Action: 'dynamodb:DeleteItem', Resource: TABLE } } };
    expect(decide('dynamodb:DeleteItem', TABLE, [allow, deny])).toEqual({ effect: 'deny', explicit: true, in: 'identity', policy: 'no-deletes' });
    expect(decide('dynamodb:GetItem', TABLE, [allow, deny]).effect).toBe('allow');
  });

  it('matches actions case-insensitively with * and ?, resources case-sensitively', () => {
    const p = policy({ Effect: 'Allow', Action: ['s3:Get*', 'dynamodb:?etItem'], Resource: ['arn:aws:s3:::results/runs/*', TABLE] });
    expect(decide('s3:GETOBJECT', 'arn:aws:s3:::results/runs/a/b.json', [p]).effect).toBe('allow');
    expect(decide('s3:GetObject', 'arn:aws:s3:::results/RUNS/a.json', [p]).effect).toBe('deny');
    expect(decide('s3:GetObject', 'arn:aws:s3:::results/other.json', [p]).effect).toBe('deny');
    expect(decide('dynamodb:SetItem', TABLE, [p]).effect).toBe('allow');
    expect(decide('dynamodb:PutItems', TABLE, [p]).effect).toBe('deny');
  });

  it('does not let a table grant reach its indexes', () => {
    const p = policy({ Effect: 'Allow', Action: 'dynamodb:Query', Resource: TABLE });
    expect(decide('dynamodb:Query', `${TABLE}/index/by-auction`, [p]).effect).toBe('deny');
  });

  it('applies NotAction and NotResource as complements', () => {
    const p = policy({ Effect: 'Allow', NotAction: 'dynamodb:DeleteItem', Resource: TABLE }, { Effect: 'Deny', Action: 's3:*', NotResource: 'arn:aws:s3:::results/*' });
    expect(decide('dynamodb:PutItem', TABLE, [p]).effect).toBe('allow');
    expect(decide('dynamodb:DeleteItem', TABLE, [p]).effect).toBe('deny');
    const allowS3 = policy({ Effect: 'Allow', Action: 's3:*', Resource: '*' });
    expect(decide('s3:GetObject', 'arn:aws:s3:::other/x', [p, allowS3])).toMatchObject({ explicit: true });
    expect(decide('s3:GetObject', 'arn:aws:s3:::results/x', [p, allowS3]).effect).toBe('allow');
  });
});

describe('conditions', () => {
  const tlsOnly = policy({ Effect: 'Deny', Action: 's3:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
  const allowAll = policy({ Effect: 'Allow', Action: '*', Resource: '*' });

  it('Bool: the TLS-only Deny applies only when aws:SecureTransport is false', () => {
    expect(decide('s3:GetObject', 'arn:aws:s3:::b/k', [allowAll, tlsOnly], [], { 'aws:SecureTransport': 'true' }).effect).toBe('allow');
    expect(decide('s3:GetObject', 'arn:aws:s3:::b/k', [allowAll, tlsOnly], [], { 'aws:SecureTransport': 'false' })).toMatchObject({ explicit: true });
  });

  it('StringEquals and ArnLike must all hold; keys compare case-insensitively; a missing key fails', () => {
    const p = policy({
      Effect: 'Allow',
      Action: 'lambda:InvokeFunction',
      Resource: '*',
      Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:events:eu-west-1:000000000000:rule/*' }, StringEquals: { 'aws:SourceAccount': ['111111111111', '000000000000'] } },
    });
    const ok = { 'aws:sourcearn': 'arn:aws:events:eu-west-1:000000000000:rule/ended', 'aws:SourceAccount': '000000000000' };
    expect(decide('lambda:InvokeFunction', 'fn', [p], [], ok).effect).toBe('allow');
    expect(decide('lambda:InvokeFunction', 'fn', [p], [], { ...ok, 'aws:SourceAccount': '222222222222' }).effect).toBe('deny');
    expect(decide('lambda:InvokeFunction', 'fn', [p], [], { 'aws:SourceAccount': '000000000000' }).effect).toBe('deny');
  });

  it('IfExists holds on a missing key; Null tests presence; negated operators hold on a missing key', () => {
    const ifExists = policy({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { StringEqualsIfExists: { 's3:prefix': 'runs/' } } });
    expect(decide('s3:ListBucket', 'b', [ifExists]).effect).toBe('allow');
    expect(decide('s3:ListBucket', 'b', [ifExists], [], { 's3:prefix': 'other/' }).effect).toBe('deny');
    const isNull = policy({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { Null: { 's3:prefix': 'true' } } });
    expect(decide('s3:ListBucket', 'b', [isNull]).effect).toBe('allow');
    expect(decide('s3:ListBucket', 'b', [isNull], [], { 's3:prefix': 'x' }).effect).toBe('deny');
    const notLike = policy({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { StringNotLike: { 's3:prefix': 'secret/*' } } });
    expect(decide('s3:ListBucket', 'b', [notLike]).effect).toBe('allow');
    expect(decide('s3:ListBucket', 'b', [notLike], [], { 's3:prefix': 'secret/a' }).effect).toBe('deny');
  });

  it('ForAnyValue matches when one of several values does; an unknown operator never holds', () => {
    const any = policy({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { 'ForAnyValue:StringLike': { 'aws:TagKeys': 'team-*' } } });
    expect(decide('x:Y', 'r', [any], [], { 'aws:TagKeys': ['owner', 'team-a'] }).effect).toBe('allow');
    expect(decide('x:Y', 'r', [any], [], { 'aws:TagKeys': ['owner'] }).effect).toBe('deny');
    const unknown = policy({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } });
    expect(decide('x:Y', 'r', [unknown], [], { 'aws:SourceIp': '10.0.0.1' }).effect).toBe('deny');
  });
});

describe('resource policies', () => {
  const FN = 'arn:aws:lambda:eu-west-1:000000000000:function:finalize';
  const RULE = 'arn:aws:events:eu-west-1:000000000000:rule/ended';
  const permission = policy({ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'lambda:InvokeFunction', Resource: FN, Condition: { ArnLike: { 'aws:SourceArn': RULE } } });

  it('lets a service principal in only through a statement naming it, with its source', () => {
    expect(decide('lambda:InvokeFunction', FN, [], [permission], { 'aws:SourceArn': RULE }, events)).toEqual({ effect: 'allow', by: 'resource' });
    expect(decide('lambda:InvokeFunction', FN, [], [permission], { 'aws:SourceArn': `${RULE}-2` }, events).effect).toBe('deny');
    expect(decide('lambda:InvokeFunction', FN, [], [permission], { 'aws:SourceArn': RULE }, { kind: 'service', service: 'sns.amazonaws.com' }).effect).toBe('deny');
  });

  it('grants a role named directly, but the account root only delegates to identity policies', () => {
    const direct = policy({ Effect: 'Allow', Principal: { AWS: ROLE }, Action: 'sns:Publish', Resource: '*' });
    expect(decide('sns:Publish', 'topic', [], [direct])).toEqual({ effect: 'allow', by: 'resource' });
    const root = policy({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::000000000000:root' }, Action: 'sns:Publish', Resource: '*' });
    expect(decide('sns:Publish', 'topic', [], [root]).effect).toBe('deny');
  });

  it('applies a bucket policy Deny to everyone, over the identity Allow', () => {
    const identity = policy({ Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::b/*' });
    const bucket = policy({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:*', Resource: 'arn:aws:s3:::b/*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
    expect(decide('s3:PutObject', 'arn:aws:s3:::b/k', [identity], [bucket], { 'aws:SecureTransport': 'true' }).effect).toBe('allow');
    expect(decide('s3:PutObject', 'arn:aws:s3:::b/k', [identity], [bucket], { 'aws:SecureTransport': 'false' })).toMatchObject({ explicit: true, in: 'resource' });
  });
});

describe('wildcardMatch and lintPolicy', () => {
  it('treats regex characters literally', () => {
    expect(wildcardMatch('arn:aws:s3:::a.b/(x)+', 'arn:aws:s3:::a.b/(x)+')).toBe(true);
    expect(wildcardMatch('arn:aws:s3:::a.b/*', 'arn:aws:s3:::aXb/c')).toBe(false);
  });

  it('reports operators, condition keys and policy variables it cannot judge, and nothing for plain grants', () => {
    const plain = policy({ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: TABLE, Condition: { Bool: { 'aws:SecureTransport': 'true' } } });
    expect(lintPolicy(plain)).toEqual([]);
    const odd = policy({ Sid: 'odd', Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/${aws:username}/*', Condition: { IpAddress: { 'aws:SourceIp': '1.2.3.4' }, StringEquals: { 'dynamodb:LeadingKeys': 'x' } } });
    const problems = lintPolicy(odd);
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/policy variables[\s\S]*IpAddress[\s\S]*dynamodb:LeadingKeys/);
  });
});
