import { createHash } from 'node:crypto';
import type { CfnResource, StackAssembly } from './assembly';

export const ACCOUNT = '000000000000';
export const REGION = 'eu-west-1';
export const PARTITION = 'aws';

const short = (text: string, length: number) => createHash('sha256').update(text).digest('hex').slice(0, length);

/** CloudFormation's generated-name pattern (stack-logicalId) without the random suffix, so names are stable. */
function generatedName(stack: string, logicalId: string, max: number): string {
  return `${stack}-${logicalId}`.slice(0, max);
}

interface Kind {
  /** Physical name: the explicit name property, else a generated one. */
  name(logicalId: string, props: Record<string, unknown>, stack: string): string;
  /** What `Ref` returns, given the physical name. */
  ref(name: string): string;
  attrs: Record<string, (name: string) => string>;
}

const arn = (service: string, resource: string, region = REGION, account = ACCOUNT) =>
  `arn:${PARTITION}:${service}:${region}:${account}:${resource}`;
const explicit = (prop: string, max = 64, lower = false) => (id: string, p: Record<string, unknown>, stack: string) => {
  const value = typeof p[prop] === 'string' ? (p[prop] as string) : generatedName(stack, id, max);
  return lower ? value.toLowerCase().replace(/[^a-z0-9.-]/g, '-') : value;
};

/** Ref and Fn::GetAtt answers per resource type, as CloudFormation documents them. */
const KINDS: Record<string, Kind> = {
  'AWS::DynamoDB::Table': {
    name: explicit('TableName', 255),
    ref: (n) => n,
    attrs: { Arn: (n) => arn('dynamodb', `table/${n}`), StreamArn: (n) => arn('dynamodb', `table/${n}/stream/local`) },
  },
  'AWS::DynamoDB::GlobalTable': {
    name: explicit('TableName', 255),
    ref: (n) => n,
    attrs: { Arn: (n) => arn('dynamodb', `table/${n}`), StreamArn: (n) => arn('dynamodb', `table/${n}/stream/local`) },
  },
  'AWS::S3::Bucket': {
    name: explicit('BucketName', 63, true),
    ref: (n) => n,
    attrs: {
      Arn: (n) => `arn:${PARTITION}:s3:::${n}`,
      DomainName: (n) => `${n}.s3.amazonaws.com`,
      RegionalDomainName: (n) => `${n}.s3.${REGION}.amazonaws.com`,
    },
  },
  'AWS::Lambda::Function': {
    name: explicit('FunctionName', 64),
    ref: (n) => n,
    attrs: { Arn: (n) => arn('lambda', `function:${n}`) },
  },
  'AWS::SNS::Topic': {
    name: explicit('TopicName', 256),
    ref: (n) => arn('sns', n),
    attrs: { TopicArn: (n) => arn('sns', n), TopicName: (n) => n },
  },
  'AWS::SQS::Queue': {
    name: explicit('QueueName', 80),
    ref: (n) => `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${n}`,
    attrs: {
      Arn: (n) => arn('sqs', n),
      QueueName: (n) => n,
      QueueUrl: (n) => `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${n}`,
    },
  },
  'AWS::StepFunctions::StateMachine': {
    name: (id, p) => (typeof p.StateMachineName === 'string' ? p.StateMachineName : id),
    ref: (n) => arn('states', `stateMachine:${n}`),
    attrs: { Arn: (n) => arn('states', `stateMachine:${n}`), Name: (n) => n },
  },
  'AWS::SecretsManager::Secret': {
    name: (id, p) => (typeof p.Name === 'string' ? p.Name : id),
    // Real secret ARNs end in a random 6-character suffix; a hash keeps it stable between starts.
    ref: (n) => arn('secretsmanager', `secret:${n}-${short(n, 6)}`),
    attrs: { Id: (n) => arn('secretsmanager', `secret:${n}-${short(n, 6)}`) },
  },
  'AWS::KMS::Key': {
    name: (id) => short(id, 32).replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-'),
    ref: (n) => n,
    attrs: { Arn: (n) => arn('kms', `key/${n}`), KeyId: (n) => n },
  },
  'AWS::IAM::Role': {
    name: explicit('RoleName', 64),
    ref: (n) => n,
    attrs: { Arn: (n) => `arn:${PARTITION}:iam::${ACCOUNT}:role/${n}`, RoleId: (n) => `AROA${short(n, 16).toUpperCase()}` },
  },
  'AWS::Logs::LogGroup': {
    name: explicit('LogGroupName', 512),
    ref: (n) => n,
    attrs: { Arn: (n) => arn('logs', `log-group:${n}:*`) },
  },
  'AWS::Events::Rule': {
    name: explicit('Name', 64),
    ref: (n) => n,
    attrs: { Arn: (n) => arn('events', `rule/${n}`) },
  },
  'AWS::CloudWatch::Alarm': {
    name: explicit('AlarmName', 255),
    ref: (n) => n,
    attrs: { Arn: (n) => arn('cloudwatch', `alarm:${n}`) },
  },
  'AWS::ApiGateway::RestApi': {
    name: (id) => short(id, 10),
    ref: (n) => n,
    attrs: { RootResourceId: (n) => `${n}-root`, RestApiId: (n) => n },
  },
  // Ref of a stage is its name, so `api.url` resolves to `https://<id>.execute-api.<region>.<suffix>/<stage>/`.
  'AWS::ApiGateway::Stage': {
    name: (id, p) => (typeof p.StageName === 'string' ? p.StageName : short(id, 10)),
    ref: (n) => n,
    attrs: {},
  },
};

/** Ref of any other type: a stable opaque id (API Gateway resources, deployments, keys...). */
const OPAQUE: Kind = { name: (id) => short(id, 10), ref: (n) => n, attrs: {} };

/**
 * Resolves CloudFormation intrinsics against local physical names. Only the values the runtime reads
 * are resolved (environment variables, ARNs in the state machine, route URIs), so intrinsics hidden in
 * ignored resources such as IAM policies never matter. Anything it cannot answer throws with its name.
 */
export class Resolver {
  private readonly resources: Record<string, CfnResource>;

  constructor(private readonly stack: StackAssembly) {
    this.resources = stack.template.Resources;
  }

  private resource(logicalId: string): CfnResource {
    const res = this.resources[logicalId];
    if (!res) throw new Error(`Template references unknown resource or parameter "${logicalId}"`);
    return res;
  }

  private kind(type: string): Kind {
    return KINDS[type] ?? OPAQUE;
  }

  /** Local physical name of a resource (table name, bucket name, function name, ...). */
  physicalName(logicalId: string): string {
    const res = this.resource(logicalId);
    return this.kind(res.Type).name(logicalId, this.resolve(res.Properties ?? {}) as Record<string, unknown>, this.stack.stackName);
  }

  ref(logicalId: string): string {
    const pseudo: Record<string, string> = {
      'AWS::AccountId': ACCOUNT,
      'AWS::Region': REGION,
      'AWS::Partition': PARTITION,
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': this.stack.stackName,
      'AWS::StackId': arn('cloudformation', `stack/${this.stack.stackName}/${short(this.stack.stackName, 36)}`),
      'AWS::NoValue': '',
    };
    if (logicalId in pseudo) return pseudo[logicalId];
    const param = this.stack.template.Parameters?.[logicalId];
    if (param) return String(param.Default ?? '');
    return this.kind(this.resource(logicalId).Type).ref(this.physicalName(logicalId));
  }

  getAtt(logicalId: string, attribute: string): string {
    const res = this.resource(logicalId);
    const fn = this.kind(res.Type).attrs[attribute];
    if (!fn) throw new Error(`Fn::GetAtt ${res.Type}.${attribute} (resource ${logicalId}) is not supported by the local runtime`);
    return fn(this.physicalName(logicalId));
  }

  /** Deeply resolves a template value. */
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v)).filter((v) => v !== NO_VALUE);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1 && (entries[0][0] === 'Ref' || entries[0][0].startsWith('Fn::') || entries[0][0] === 'Condition')) {
      return this.intrinsic(entries[0][0], entries[0][1]);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) {
      const r = this.resolve(v);
      if (r !== NO_VALUE) out[k] = r;
    }
    return out;
  }

  /** Resolves to a string or fails naming where. */
  resolveString(value: unknown, where: string): string {
    const r = this.resolve(value);
    if (typeof r !== 'string' && typeof r !== 'number' && typeof r !== 'boolean') {
      throw new Error(`${where}: expected a string, got ${JSON.stringify(r)}`);
    }
    return String(r);
  }

  private intrinsic(name: string, arg: unknown): unknown {
    switch (name) {
      case 'Ref':
        return arg === 'AWS::NoValue' ? NO_VALUE : this.ref(String(arg));
      case 'Fn::GetAtt': {
        const [id, ...attr] = Array.isArray(arg) ? (arg as string[]) : String(arg).split('.');
        return this.getAtt(id, attr.join('.'));
      }
      case 'Fn::Join': {
        const [sep, list] = arg as [string, unknown];
        return (this.resolve(list) as unknown[]).join(sep);
      }
      case 'Fn::Select': {
        const [index, list] = arg as [unknown, unknown];
        return (this.resolve(list) as unknown[])[Number(this.resolve(index))];
      }
      case 'Fn::Split': {
        const [sep, source] = arg as [string, unknown];
        return this.resolveString(source, 'Fn::Split').split(sep);
      }
      case 'Fn::Sub':
        return this.sub(arg);
      case 'Fn::Base64':
        return Buffer.from(this.resolveString(arg, 'Fn::Base64')).toString('base64');
      case 'Fn::GetAZs':
        return ['a', 'b', 'c'].map((z) => `${REGION}${z}`);
      case 'Fn::FindInMap': {
        const [map, top, second] = (arg as unknown[]).map((a) => this.resolve(a)) as string[];
        const found = this.stack.template.Mappings?.[map]?.[top]?.[second];
        if (found === undefined) throw new Error(`Fn::FindInMap ${map}.${top}.${second} not found`);
        return found;
      }
      case 'Fn::If': {
        const [cond, yes, no] = arg as [string, unknown, unknown];
        return this.resolve(this.condition(cond) ? yes : no);
      }
      case 'Condition':
        return this.condition(String(arg));
      case 'Fn::Equals': {
        const [a, b] = (arg as unknown[]).map((x) => this.resolve(x));
        return JSON.stringify(a) === JSON.stringify(b);
      }
      case 'Fn::And':
        return (arg as unknown[]).every((x) => this.resolve(x) === true);
      case 'Fn::Or':
        return (arg as unknown[]).some((x) => this.resolve(x) === true);
      case 'Fn::Not':
        return this.resolve((arg as unknown[])[0]) !== true;
      default:
        throw new Error(`Intrinsic ${name} is not supported by the local runtime`);
    }
  }

  private condition(name: string): boolean {
    const cond = this.stack.template.Conditions?.[name];
    if (cond === undefined) throw new Error(`Unknown condition ${name}`);
    return this.resolve(cond) === true;
  }

  private sub(arg: unknown): string {
    const [text, vars] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [String(arg), {}];
    return text.replace(/\$\{([^}]+)\}/g, (whole, expr: string) => {
      if (expr.startsWith('!')) return `\${${expr.slice(1)}}`;
      if (expr in vars) return String(this.resolve(vars[expr]));
      if (expr.includes('.') && !expr.startsWith('AWS::')) {
        const [id, ...attr] = expr.split('.');
        return this.getAtt(id, attr.join('.'));
      }
      return this.ref(expr) ?? whole;
    });
  }
}

/** Marker for `Ref: AWS::NoValue`: the property or list item disappears. */
const NO_VALUE = Symbol('AWS::NoValue') as unknown as string;
