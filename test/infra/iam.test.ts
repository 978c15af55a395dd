// Scenarios: every stack of the app as `cdk synth` builds it is checked; every role of the Local, Dev and Prod auction
// stacks and of the account settings stack has exactly its expected permissions (the full set of action x resource
// pairs of all its statements, so an extra grant fails); the API Gateway logging role lives in the account settings
// stack only; the Distributed Map writes its child results only under runs/map-results/; DynamoDB actions per function on
// the table only, Query on the by-auction index only for submit-orders and finalize-auction (the index the store
// really queries); no function with dynamodb:*, s3:* or Resource "*" beyond X-Ray; S3 puts only under results/ and
// runs/ (and the platform's own auctions/); secret reads only where needed; sns:Publish only by finalize-auction;
// every principal that may publish to an encrypted topic may use its key (the pipeline's failure rule: its own topic
// and key); no wildcard beyond the documented exceptions in any stack; only the documented AWS-managed policy, in the
// account settings stack; the checker itself flags dynamodb:*, Resource "*", NotAction, a widened exception and extra
// grants.
//
// Identity policies are AWS::IAM::Policy, AWS::IAM::ManagedPolicy and AWS::IAM::Role inline Policies. Resource
// policies (SNS topic, KMS key) are read where they decide whether a publisher can use the topic.
import { DynamoDbAuctionStore } from '../../src/adapters/dynamodb-auction-store';
import { synthApp } from './synth';

type StackKind = 'auction' | 'pipeline' | 'account';
type Json = unknown;
type Resources = Record<string, { Type: string; Properties?: Record<string, Json> }>;

interface TemplateUnderTest {
  readonly stack: StackKind;
  readonly name: string;
  readonly resources: Resources;
  /** Readable names for the logical ids a test talks about (`orders-table`, `role:store-result`, ...). */
  readonly aliases: ReadonlyMap<string, string>;
}

const list = (value: Json): Json[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const sameJson = (a: Json, b: Json) => JSON.stringify(a) === JSON.stringify(b);
const getAttId = (value: Json): string | undefined => (value as { 'Fn::GetAtt'?: string[] } | undefined)?.['Fn::GetAtt']?.[0];
const refId = (value: Json): string | undefined => (value as { Ref?: string } | undefined)?.Ref;

/**
 * Names the resources a permission can point at, found by what they are rather than by generated ids. Anything
 * else keeps its logical id (`${Id}`), so an unexpected resource still shows in a failure.
 */
function aliasesOf(resources: Resources): Map<string, string> {
  const aliases = new Map<string, string>();
  const short = (name: Json) => String(name).replace(/^energy-auction-\w+-/, '');
  for (const [id, resource] of Object.entries(resources)) {
    const props = resource.Properties ?? {};
    if (resource.Type === 'AWS::Lambda::Function') {
      aliases.set(id, `fn:${short(props.FunctionName)}`);
      aliases.set(getAttId(props.Role)!, `role:${short(props.FunctionName)}`);
      const env = ((props.Environment as { Variables?: Record<string, Json> } | undefined)?.Variables ?? {});
      if (refId(env.PLATFORM_BUCKET_NAME)) aliases.set(refId(env.PLATFORM_BUCKET_NAME)!, 'platform-bucket');
      if (refId(env.PLATFORM_API_KEY_SECRET_ARN)) aliases.set(refId(env.PLATFORM_API_KEY_SECRET_ARN)!, 'platform-secret');
      if (refId(env.SLACK_WEBHOOK_SECRET_ARN)) aliases.set(refId(env.SLACK_WEBHOOK_SECRET_ARN)!, 'slack-secret');
    }
    if (resource.Type === 'AWS::StepFunctions::StateMachine') {
      aliases.set(id, 'state-machine');
      aliases.set(getAttId(props.RoleArn)!, 'role:state-machine');
    }
    if (resource.Type === 'AWS::Events::Rule') {
      for (const target of list(props.Targets) as Array<{ RoleArn?: Json }>) {
        if (target.RoleArn) aliases.set(getAttId(target.RoleArn)!, 'role:schedule');
      }
    }
    if (resource.Type === 'AWS::ApiGateway::Account') aliases.set(getAttId(props.CloudWatchRoleArn)!, 'role:apigateway-logs');
    if (resource.Type === 'AWS::DynamoDB::Table') aliases.set(id, 'orders-table');
    if (resource.Type === 'AWS::S3::Bucket' && JSON.stringify(props.BucketName ?? '').includes('order-results')) aliases.set(id, 'results-bucket');
    if (resource.Type === 'AWS::SNS::Topic') {
      aliases.set(id, 'alerts-topic');
      if (getAttId(props.KmsMasterKeyId)) aliases.set(getAttId(props.KmsMasterKeyId)!, 'alerts-key');
    }
    if (resource.Type === 'AWS::SNS::Subscription') {
      const dlq = getAttId((props.RedrivePolicy as { deadLetterTargetArn?: Json } | undefined)?.deadLetterTargetArn);
      if (dlq) aliases.set(dlq, 'alerts-dlq');
    }
    if (resource.Type === 'AWS::Logs::LogGroup' && typeof props.LogGroupName === 'string') {
      aliases.set(id, `logs:${props.LogGroupName.replace(/^.*energy-auction-\w+-/, '')}`);
    }
  }
  return aliases;
}

/** A resource or ARN as readable text: aliases where known, `${Id.Attr}` / `${Id}` otherwise, joins concatenated. */
function render(value: Json, aliases: ReadonlyMap<string, string>): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const object = value as Record<string, Json>;
    if ('Ref' in object) {
      const id = String(object.Ref);
      return aliases.get(id) ?? `\${${id}}`;
    }
    if ('Fn::GetAtt' in object) {
      const [id, attribute] = object['Fn::GetAtt'] as string[];
      return aliases.has(id) ? `${aliases.get(id)}.${attribute}` : `\${${id}.${attribute}}`;
    }
    if ('Fn::Join' in object) {
      const [separator, parts] = object['Fn::Join'] as [string, Json[]];
      return parts.map((part) => render(part, aliases)).join(separator);
    }
    if ('Fn::Sub' in object) return String(Array.isArray(object['Fn::Sub']) ? object['Fn::Sub'][0] : object['Fn::Sub']);
    if ('Fn::Select' in object) {
      const [index, from] = object['Fn::Select'] as [number, Json];
      return `Select(${index},${render(from, aliases)})`;
    }
    if ('Fn::Split' in object) {
      const [separator, from] = object['Fn::Split'] as [string, Json];
      return `Split(${separator},${render(from, aliases)})`;
    }
  }
  return JSON.stringify(value);
}

/** Renders every intrinsic inside a Condition or Principal. */
function renderDeep(value: Json, aliases: ReadonlyMap<string, string>): Json {
  if (Array.isArray(value)) return value.map((item) => renderDeep(item, aliases));
  if (value && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) return render(value, aliases);
    return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, renderDeep(child, aliases)]));
  }
  return value;
}

interface ScannedStatement {
  readonly stack: StackKind;
  readonly template: string;
  readonly policy: string;
  /** Role aliases (`role:store-result`) where known, logical ids otherwise. */
  readonly roles: readonly string[];
  readonly statement: Record<string, Json>;
  readonly aliases: ReadonlyMap<string, string>;
}

function scan(t: TemplateUnderTest): ScannedStatement[] {
  const found: ScannedStatement[] = [];
  const roleName = (role: Json) => {
    const id = refId(role) ?? String(role);
    return t.aliases.get(id) ?? id;
  };
  for (const [logicalId, resource] of Object.entries(t.resources)) {
    const props = resource.Properties ?? {};
    const documents: Array<{ policy: string; roles: string[]; document: Json }> = [];
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
      documents.push({ policy: logicalId, roles: list(props.Roles).map(roleName), document: props.PolicyDocument });
    }
    if (resource.Type === 'AWS::IAM::Role') {
      for (const inline of list(props.Policies) as Array<{ PolicyName?: string; PolicyDocument: Json }>) {
        documents.push({ policy: `${logicalId}/${inline.PolicyName ?? 'inline'}`, roles: [roleName({ Ref: logicalId })], document: inline.PolicyDocument });
      }
    }
    for (const { policy, roles, document } of documents) {
      for (const statement of list((document as { Statement?: Json }).Statement)) {
        found.push({ stack: t.stack, template: t.name, policy, roles, statement: statement as Record<string, Json>, aliases: t.aliases });
      }
    }
  }
  return found;
}

/** One statement as `action on resource [if condition]` lines, one per pair, so statements can be compared as sets. */
function permissionsOf({ statement, aliases }: Pick<ScannedStatement, 'statement' | 'aliases'>): string[] {
  const effect = statement.Effect === 'Allow' ? '' : `${String(statement.Effect).toUpperCase()} `;
  const actions = statement.NotAction !== undefined ? list(statement.NotAction).map((a) => `NOT ${render(a, aliases)}`) : list(statement.Action).map((a) => render(a, aliases));
  const resources = statement.NotResource !== undefined ? list(statement.NotResource).map((r) => `NOT ${render(r, aliases)}`) : list(statement.Resource).map((r) => render(r, aliases));
  const condition = statement.Condition === undefined ? '' : ` if ${JSON.stringify(renderDeep(statement.Condition, aliases))}`;
  return actions.flatMap((action) => resources.map((resource) => `${effect}${action} on ${resource}${condition}`));
}

/** Every permission of every role of a template, by role name, sorted; managed policies as `managed <arn>`. */
function permissionsByRole(t: TemplateUnderTest, statements: readonly ScannedStatement[]): Record<string, string[]> {
  const byRole: Record<string, Set<string>> = {};
  for (const [id, resource] of Object.entries(t.resources)) {
    if (resource.Type !== 'AWS::IAM::Role') continue;
    const name = t.aliases.get(id) ?? id;
    byRole[name] = new Set(list(resource.Properties?.ManagedPolicyArns).map((arn) => `managed ${render(arn, t.aliases)}`));
  }
  for (const scanned of statements.filter((s) => s.template === t.name)) {
    for (const role of scanned.roles) for (const permission of permissionsOf(scanned)) byRole[role].add(permission);
  }
  return Object.fromEntries(Object.entries(byRole).map(([role, permissions]) => [role, [...permissions].sort()]));
}

// ---------------------------------------------------------------------------------------------------------------
// The expected permissions, written out. Change them only with the code that needs the change.

const TABLE = 'orders-table.Arn';
const INDEX_QUERY = 'dynamodb:Query on orders-table.Arn/index/by-auction';
const XRAY = ['xray:PutTelemetryRecords on *', 'xray:PutTraceSegments on *'];
const ownLogs = (handler: string) => [`logs:CreateLogStream on logs:${handler}.Arn`, `logs:PutLogEvents on logs:${handler}.Arn`];
const readSecret = (secret: string) => [`secretsmanager:DescribeSecret on ${secret}`, `secretsmanager:GetSecretValue on ${secret}`];

/** What each function may do beyond writing its own logs and traces. */
const FUNCTION_PERMISSIONS: Record<string, string[]> = {
  'post-orders': [`dynamodb:BatchGetItem on ${TABLE}`, `dynamodb:DeleteItem on ${TABLE}`, `dynamodb:GetItem on ${TABLE}`, `dynamodb:PutItem on ${TABLE}`],
  'get-order': [`dynamodb:GetItem on ${TABLE}`],
  'close-auction': [`dynamodb:UpdateItem on ${TABLE}`],
  'submit-orders': [`dynamodb:UpdateItem on ${TABLE}`, INDEX_QUERY, ...readSecret('platform-secret')],
  'fetch-results': [...readSecret('platform-secret'), 's3:PutObject on results-bucket.Arn/runs/*'],
  'store-result': [`dynamodb:UpdateItem on ${TABLE}`, 's3:PutObject on results-bucket.Arn/results/*'],
  // GetItem: the auction a run that ended early had closed (the status rule's events name only the execution).
  'finalize-auction': [
    `dynamodb:GetItem on ${TABLE}`,
    `dynamodb:UpdateItem on ${TABLE}`,
    INDEX_QUERY,
    's3:PutObject on results-bucket.Arn/runs/*',
    'sns:Publish on alerts-topic',
    'kms:Decrypt on alerts-key.Arn',
    'kms:GenerateDataKey* on alerts-key.Arn',
  ],
  'slack-notifier': ['sqs:SendMessage on alerts-dlq.Arn', ...readSecret('slack-secret')],
  'auction-platform': ['s3:ListBucket on platform-bucket.Arn', 's3:GetObject on platform-bucket.Arn/auctions/*', 's3:PutObject on platform-bucket.Arn/auctions/*'],
};
const RUN_FUNCTIONS = ['close-auction', 'submit-orders', 'fetch-results', 'store-result', 'finalize-auction'];
const MAP_RESULTS = 'results-bucket.Arn/runs/map-results/*';
const CHILD_EXECUTIONS = 'arn:aws:states:eu-west-1:${AWS::AccountId}:execution:Select(6,Split(:,state-machine))';
const STATE_MACHINE_PERMISSIONS = [
  ...RUN_FUNCTIONS.flatMap((handler) => [`lambda:InvokeFunction on fn:${handler}.Arn`, `lambda:InvokeFunction on fn:${handler}.Arn:*`]),
  // The Distributed Map's ItemReader reads the results file; it starts, watches and redrives its own children.
  's3:GetObject on arn:${AWS::Partition}:s3:::results-bucket/*',
  // Its ResultWriter writes the children's records (multipart) under its own prefix: the four actions AWS documents.
  ...['s3:AbortMultipartUpload', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:PutObject'].map((action) => `${action} on ${MAP_RESULTS}`),
  'states:StartExecution on state-machine',
  `states:DescribeExecution on ${CHILD_EXECUTIONS}:*`,
  `states:StopExecution on ${CHILD_EXECUTIONS}:*`,
  `states:RedriveExecution on ${CHILD_EXECUTIONS}/*:*`,
  ...['logs:CreateLogDelivery', 'logs:DeleteLogDelivery', 'logs:DescribeLogGroups', 'logs:DescribeResourcePolicies', 'logs:GetLogDelivery', 'logs:ListLogDeliveries', 'logs:PutResourcePolicy', 'logs:UpdateLogDelivery'].map((action) => `${action} on *`),
  ...['xray:GetSamplingRules', 'xray:GetSamplingTargets', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'].map((action) => `${action} on *`),
];

function expectedRoles(withPlatform: boolean): Record<string, string[]> {
  const functions = Object.keys(FUNCTION_PERMISSIONS).filter((handler) => withPlatform || handler !== 'auction-platform');
  return {
    ...Object.fromEntries(functions.map((handler) => [`role:${handler}`, [...ownLogs(handler), ...XRAY, ...FUNCTION_PERMISSIONS[handler]].sort()])),
    'role:state-machine': [...STATE_MACHINE_PERMISSIONS].sort(),
    'role:schedule': ['states:StartExecution on state-machine'],
  };
}

const APIGATEWAY_LOGS_POLICY = 'arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs';
/** The account settings stack: one role per account and region, the one AWS::ApiGateway::Account points at. */
const ACCOUNT_ROLES: Record<string, string[]> = {
  'role:apigateway-logs': [`managed ${APIGATEWAY_LOGS_POLICY}`],
};

// ---------------------------------------------------------------------------------------------------------------
// Wildcards: anything with a '*' needs a documented exception.

interface Exception {
  readonly id: string;
  readonly reason: string;
  readonly stack: StackKind;
  /** Name (alias or logical id) of the role(s) the statement is attached to. */
  readonly role: RegExp;
  /** Every action of the statement must be one of these (exact strings, wildcards spelled out). */
  readonly actions: readonly string[];
  /** Every resource of the statement, rendered by `render()`, must match one of these. */
  readonly resources: readonly RegExp[];
  /** When set, the statement must carry exactly this Condition. */
  readonly condition?: unknown;
}

const CFN_HASH = '[0-9A-F]{8}';
const ACCOUNT_LOGS = 'arn:aws:logs:eu-west-1:\\$\\{AWS::AccountId\\}';
const ACCOUNT_CODEBUILD = 'arn:aws:codebuild:eu-west-1:\\$\\{AWS::AccountId\\}';
const ARTIFACTS_BUCKET = `\\$\\{PipelineArtifactsBucket${CFN_HASH}\\.Arn\\}`;
const re = (source: string) => new RegExp(`^${source}$`);
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The documented exceptions. Keep this list short; the "still needed" test removes dead entries. */
const IAM_WILDCARD_EXCEPTIONS: readonly Exception[] = [
  {
    id: 'xray-tracing',
    reason: 'X-Ray PutTraceSegments/PutTelemetryRecords (and the sampling reads Step Functions adds) have no resource-level permissions; AWS requires Resource "*".',
    stack: 'auction',
    role: re(`role:(${Object.keys(FUNCTION_PERMISSIONS).join('|')}|state-machine)`),
    actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'],
    resources: [/^\*$/],
  },
  {
    id: 'state-machine-log-delivery',
    reason: 'Step Functions logging to CloudWatch Logs uses the vended-log delivery APIs, which support no resource-level permissions (Resource "*" per the Step Functions logging docs).',
    stack: 'auction',
    role: re('role:state-machine'),
    actions: ['logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery', 'logs:ListLogDeliveries', 'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups'],
    resources: [/^\*$/],
  },
  {
    id: 'state-machine-invokes-function-versions',
    reason: 'LambdaInvoke grants the function and its versions/aliases (`<function arn>:*`); still one named function.',
    stack: 'auction',
    role: re('role:state-machine'),
    actions: ['lambda:InvokeFunction'],
    resources: [re(`fn:(${RUN_FUNCTIONS.join('|')})\\.Arn(:\\*)?`)],
  },
  {
    id: 'store-result-writes-results-prefix',
    reason: 'store-result writes one object per accepted order under results/auction=.../customer=.../; keys are only known at run time, so PutObject is scoped to the results/ prefix.',
    stack: 'auction',
    role: re('role:store-result'),
    actions: ['s3:PutObject'],
    resources: [re('results-bucket\\.Arn/results/\\*')],
  },
  {
    id: 'run-work-files',
    reason: 'fetch-results writes a large run\'s results file and finalize-auction the full list of failed orders under runs/auction=.../<execution>/; keys are per run, so both are scoped to runs/.',
    stack: 'auction',
    role: re('role:(fetch-results|finalize-auction)'),
    actions: ['s3:PutObject'],
    resources: [re('results-bucket\\.Arn/runs/\\*')],
  },
  {
    id: 'simulated-platform-state',
    reason: 'The simulated platform keeps submitted batches and poll counters under auctions/<auction_id>/ in its own bucket; keys are per auction and batch.',
    stack: 'auction',
    role: re('role:auction-platform'),
    actions: ['s3:GetObject', 's3:PutObject'],
    resources: [re('platform-bucket\\.Arn/auctions/\\*')],
  },
  {
    id: 'publish-to-encrypted-topic',
    reason: 'Publishing to a KMS-encrypted topic needs kms:GenerateDataKey* (its variants) and kms:Decrypt, on the topic\'s key only.',
    stack: 'auction',
    role: re('role:finalize-auction'),
    actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
    resources: [re('alerts-key\\.Arn')],
  },
  {
    id: 'distributed-map-reader',
    reason: "CDK's Distributed Map grants its ItemReader GetObject on the results bucket's objects; the file key comes from the state at run time.",
    stack: 'auction',
    role: re('role:state-machine'),
    actions: ['s3:GetObject'],
    resources: [re(escape('arn:${AWS::Partition}:s3:::results-bucket/*'))],
  },
  {
    id: 'distributed-map-result-writer',
    reason: 'The Distributed Map\'s ResultWriter writes its child executions\' records (multipart uploads) under runs/map-results/<map run>/; keys are generated by Step Functions per Map Run, so the four documented actions are scoped to that prefix.',
    stack: 'auction',
    role: re('role:state-machine'),
    actions: ['s3:PutObject', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'],
    resources: [re(escape(MAP_RESULTS))],
  },
  {
    id: 'distributed-map-child-executions',
    reason: 'A Distributed Map describes, stops and redrives its own child executions, whose names are generated at run time; scoped to executions of this state machine.',
    stack: 'auction',
    role: re('role:state-machine'),
    actions: ['states:DescribeExecution', 'states:StopExecution', 'states:RedriveExecution'],
    resources: [re(`${escape(CHILD_EXECUTIONS)}(/\\*)?:\\*`)],
  },
  {
    id: 'pipeline-artifact-bucket',
    reason: 'CDK Pipelines grants its pipeline, source action and CodeBuild roles read (and where needed write) on the pipeline artifact bucket and its objects (bucket/*); generated by the construct, scoped to that one bucket.',
    stack: 'pipeline',
    role: re(`Pipeline(Role|Source\\w+CodePipelineActionRole|BuildSynthCdkBuildProjectRole|DevSmokeTestRole|UpdatePipelineSelfMutationRole|AssetsFileRole)${CFN_HASH}`),
    actions: ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:PutObject', 's3:PutObjectLegalHold', 's3:PutObjectRetention', 's3:PutObjectTagging', 's3:PutObjectVersionTagging', 's3:Abort*', 's3:PutObjectAcl', 's3:PutObjectVersionAcl'],
    resources: [re(ARTIFACTS_BUCKET), re(`${ARTIFACTS_BUCKET}/\\*`)],
  },
  {
    id: 'codebuild-own-logs-and-reports',
    reason: "A CodeBuild project writes log streams in its own log group (`/aws/codebuild/<project>:*`) and reports in groups named `<project>-*`; generated by CodeBuild's construct, scoped to the one project.",
    stack: 'pipeline',
    role: re(`Pipeline(BuildSynthCdkBuildProjectRole|DevSmokeTestRole|UpdatePipelineSelfMutationRole)${CFN_HASH}`),
    actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'codebuild:CreateReportGroup', 'codebuild:CreateReport', 'codebuild:UpdateReport', 'codebuild:BatchPutTestCases', 'codebuild:BatchPutCodeCoverages'],
    resources: [
      re(`${ACCOUNT_LOGS}:log-group:/aws/codebuild/\\$\\{Pipeline\\w+${CFN_HASH}\\}(:\\*)?`),
      re(`${ACCOUNT_CODEBUILD}:report-group/\\$\\{Pipeline\\w+${CFN_HASH}\\}-\\*`),
    ],
  },
  {
    id: 'asset-publishing-role',
    reason: 'CDK Pipelines shares one role across the file-asset publishing projects (Lambda bundles of the Dev/Prod stages), whose names do not exist when the role is made: it gets the account\'s /aws/codebuild/* log groups and report groups, and starts/reads those builds.',
    stack: 'pipeline',
    role: re(`PipelineAssetsFileRole${CFN_HASH}`),
    actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'codebuild:CreateReportGroup', 'codebuild:CreateReport', 'codebuild:UpdateReport', 'codebuild:BatchPutTestCases', 'codebuild:BatchPutCodeCoverages', 'codebuild:BatchGetBuilds', 'codebuild:StartBuild', 'codebuild:StopBuild'],
    resources: [re(`${ACCOUNT_LOGS}:log-group:/aws/codebuild/\\*`), re(`${ACCOUNT_CODEBUILD}:report-group/\\*`), /^\*$/],
  },
  {
    id: 'self-mutation-assumes-bootstrap-roles',
    reason: 'Self-mutation runs `cdk deploy` of the pipeline stack by assuming the CDK bootstrap roles; role names are not known at synth, so the Condition limits it to roles tagged aws-cdk:bootstrap-role.',
    stack: 'pipeline',
    role: re(`PipelineUpdatePipelineSelfMutationRole${CFN_HASH}`),
    actions: ['sts:AssumeRole'],
    resources: [re('arn:\\*:iam::\\$\\{AWS::AccountId\\}:role/\\*')],
    condition: { 'ForAnyValue:StringEquals': { 'iam:ResourceTag/aws-cdk:bootstrap-role': ['image-publishing', 'file-publishing', 'deploy'] } },
  },
  {
    id: 'self-mutation-reads-bootstrap-stack',
    reason: 'Self-mutation looks up the CDK bootstrap stack (DescribeStacks) and lists its staging bucket, both unnamed at synth; read-only, generated by CDK Pipelines.',
    stack: 'pipeline',
    role: re(`PipelineUpdatePipelineSelfMutationRole${CFN_HASH}`),
    actions: ['cloudformation:DescribeStacks', 's3:ListBucket'],
    resources: [/^\*$/],
  },
  {
    id: 'smoke-test-reads-api-key',
    reason: "The Dev smoke test reads the API key's value to call the API; the key id comes from a Dev stage output at deploy time, so the pipeline stack cannot name it. GET only.",
    stack: 'pipeline',
    role: re(`PipelineDevSmokeTestRole${CFN_HASH}`),
    actions: ['apigateway:GET'],
    resources: [re('arn:aws:apigateway:eu-west-1::/apikeys/\\*')],
  },
];

/** AWS-managed policies a role may attach, by role name, with the reason. */
const ALLOWED_MANAGED_POLICIES: ReadonlyArray<{ stack: StackKind; role: RegExp; policy: string; reason: string }> = [
  {
    stack: 'account',
    role: re('role:apigateway-logs'),
    policy: APIGATEWAY_LOGS_POLICY,
    reason: 'The API Gateway account role for access/execution logs; AWS publishes this policy for exactly that purpose.',
  },
];

interface Finding {
  readonly where: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  /** The exceptions that cover its pairs. */
  readonly exceptions: readonly string[];
  /** Its `action on resource` pairs no exception covers. */
  readonly uncovered: readonly string[];
}

function isFlagged({ statement, aliases }: ScannedStatement): boolean {
  if (statement.Effect !== 'Allow') return false;
  if (statement.NotAction !== undefined || statement.NotResource !== undefined) return true;
  const actions = list(statement.Action).map((a) => render(a, aliases));
  const resources = list(statement.Resource).map((r) => render(r, aliases));
  return actions.some((action) => action.includes('*')) || resources.some((resource) => resource.includes('*'));
}

/**
 * The exception that covers one action on one resource of a statement. Pair by pair, because CDK's
 * minimizePolicies merges statements of different purposes (X-Ray and log delivery) into one; every pair of a
 * flagged statement still needs its own exception, for every role the statement is attached to.
 */
function exceptionFor(exceptions: readonly Exception[], scanned: ScannedStatement, action: string, resource: string): Exception | undefined {
  const { statement } = scanned;
  return exceptions.find((exception) => exception.stack === scanned.stack
    && scanned.roles.length > 0 && scanned.roles.every((role) => exception.role.test(role))
    && exception.actions.includes(action)
    && exception.resources.some((pattern) => pattern.test(resource))
    // A Condition only narrows a statement, so one is required only where the exception depends on it.
    && (exception.condition === undefined || JSON.stringify(statement.Condition) === JSON.stringify(exception.condition)));
}

function findings(statements: readonly ScannedStatement[], exceptions: readonly Exception[] = IAM_WILDCARD_EXCEPTIONS): Finding[] {
  return statements.filter(isFlagged).map((scanned) => {
    const { statement, aliases } = scanned;
    const actions = list(statement.Action ?? statement.NotAction).map((a) => render(a, aliases));
    const resources = list(statement.Resource ?? statement.NotResource).map((r) => render(r, aliases));
    const inverted = statement.NotAction !== undefined || statement.NotResource !== undefined;
    const pairs = inverted || resources.length === 0 ? [] : actions.flatMap((action) => resources.map((resource) => [action, resource] as const));
    const covered = pairs.map(([action, resource]) => [`${action} on ${resource}`, exceptionFor(exceptions, scanned, action, resource)?.id] as const);
    return {
      where: `${scanned.template} ${scanned.policy} (${scanned.roles.join(', ')})`,
      actions,
      resources,
      exceptions: [...new Set(covered.flatMap(([, id]) => (id ? [id] : [])))],
      uncovered: inverted || pairs.length === 0 ? ['NotAction, NotResource or no Resource'] : covered.filter(([, id]) => !id).map(([pair]) => pair),
    };
  });
}

const unexcepted = (all: readonly Finding[]) => all.filter((finding) => finding.uncovered.length > 0);

/** IAM action globbing (`kms:GenerateDataKey*` allows kms:GenerateDataKey). */
const allowsAction = (pattern: string, action: string) =>
  new RegExp(`^${pattern.split('*').map(escape).join('.*')}$`, 'i').test(action);

// ---------------------------------------------------------------------------------------------------------------

let templates: TemplateUnderTest[];
let statements: ScannedStatement[];
let roles: Record<string, Record<string, string[]>>;

const ACCOUNT = 'Pipeline/Account/Settings';
/** Every stack of the app, by its path in the assembly, and what kind of stack it is. */
const STACKS: ReadonlyArray<readonly [string, StackKind]> = [
  ['Local/Auction', 'auction'],
  ['Pipeline', 'pipeline'],
  [ACCOUNT, 'account'],
  ['Pipeline/Dev/Auction', 'auction'],
  ['Pipeline/Prod/Auction', 'auction'],
];
let stackPaths: string[];

beforeAll(() => {
  // The app as `cdk synth` builds it (infra/build-app.ts), so no stack of it goes unchecked.
  const assembly = synthApp();
  stackPaths = assembly.stacksRecursively.map((stack) => stack.hierarchicalId);
  const underTest = ([name, stack]: readonly [string, StackKind]): TemplateUnderTest => {
    const artifact = assembly.stacksRecursively.find((candidate) => candidate.hierarchicalId === name);
    if (!artifact) throw new Error(`No stack ${name} in the assembly`);
    const resources = artifact.template.Resources as Resources;
    // Pipeline roles keep their logical ids (the exceptions name them); only its own topic and key get names.
    const aliases = stack === 'pipeline'
      ? new Map([...aliasesOf(resources)].filter(([, alias]) => alias === 'alerts-topic' || alias === 'alerts-key'))
      : aliasesOf(resources);
    return { stack, name, resources, aliases };
  };
  templates = STACKS.map(underTest);
  statements = templates.flatMap(scan);
  roles = Object.fromEntries(templates.filter((t) => t.stack !== 'pipeline').map((t) => [t.name, permissionsByRole(t, statements)]));
});

test('every stack of the app is checked', () => {
  expect([...stackPaths].sort()).toEqual(STACKS.map(([name]) => name).sort());
});

const auctionNames = ['Local/Auction', 'Pipeline/Dev/Auction', 'Pipeline/Prod/Auction'];
const hasPlatform = (name: string) => !name.includes('Prod');
const templateNamed = (name: string) => templates.find((t) => t.name === name)!;
/** Every permission of every role of a template as [role, permission]. */
const grants = (name: string) => Object.entries(roles[name]).flatMap(([role, permissions]) => permissions.map((permission) => [role, permission] as const));

describe('each role has exactly its permissions', () => {
  test.each(auctionNames)('%s: the roles are the product\'s and nothing else', (name) => {
    expect(Object.keys(roles[name]).sort()).toEqual(Object.keys(expectedRoles(hasPlatform(name))).sort());
  });

  test.each(auctionNames.flatMap((name) => Object.keys(expectedRoles(hasPlatform(name))).map((role) => [name, role])))('%s %s', (name, role) => {
    // The full set: one extra grant, on any statement of any policy of the role, fails here.
    expect(roles[name][role]).toEqual(expectedRoles(hasPlatform(name))[role]);
  });

  test(`${ACCOUNT}: its one role is the API Gateway logging role the account setting points at, with exactly the managed policy`, () => {
    expect(roles[ACCOUNT]).toEqual(ACCOUNT_ROLES);
    const owners = templates.filter((t) => Object.values(t.resources).some((resource) => resource.Type === 'AWS::ApiGateway::Account')).map((t) => t.name);
    expect(owners).toEqual([ACCOUNT]);
  });
});

describe('least privilege, across every role', () => {
  // Exact lists over every statement of every policy of every role: an extra action, resource or role fails them.
  const touchesTable = (permission: string) => permission.startsWith('dynamodb:') || permission.startsWith('* ') || permission.includes('orders-table');
  const touchesS3 = (permission: string) => /^(s3:|\* )/.test(permission) || /results-bucket|platform-bucket|:s3:::/.test(permission);
  const expectedGrants = (name: string, filter: (permission: string) => boolean) => Object.entries(expectedRoles(hasPlatform(name)))
    .flatMap(([role, permissions]) => permissions.filter(filter).map((permission) => `${role}: ${permission}`)).sort();
  const actualGrants = (name: string, filter: (permission: string) => boolean) =>
    grants(name).filter(([, permission]) => filter(permission)).map(([role, permission]) => `${role}: ${permission}`).sort();

  test.each(auctionNames)('%s: each function may use only the orders table, with exactly its DynamoDB actions; Query on by-auction only for submit-orders and finalize-auction', (name) => {
    const expected = expectedGrants(name, touchesTable);

    expect(actualGrants(name, touchesTable)).toEqual(expected);
    expect(expected.every((grant) => grant.endsWith(` on ${TABLE}`) || grant.endsWith(INDEX_QUERY))).toBe(true);
    expect(expected.filter((grant) => grant.endsWith(INDEX_QUERY))).toEqual([`role:finalize-auction: ${INDEX_QUERY}`, `role:submit-orders: ${INDEX_QUERY}`]);
  });

  /** Where each role may change objects: anything but a Get or List is a write. */
  const WRITE_SCOPES: ReadonlyArray<readonly [RegExp, RegExp]> = [
    [/^role:store-result$/, /^results-bucket\.Arn\/results\/\*$/],
    [/^role:(fetch-results|finalize-auction)$/, /^results-bucket\.Arn\/runs\/\*$/],
    [/^role:state-machine$/, /^results-bucket\.Arn\/runs\/map-results\/\*$/],
    [/^role:auction-platform$/, /^platform-bucket\.Arn\/auctions\/\*$/],
  ];

  test.each(auctionNames)('%s: objects are written only under results/ (store-result) and runs/ (fetch-results, finalize-auction, the map\'s writer): every S3 grant, exactly', (name) => {
    const s3 = actualGrants(name, touchesS3);
    const writes = grants(name).filter(([, permission]) => touchesS3(permission) && !/^s3:(Get|List)\w* on /.test(permission));

    expect(s3).toEqual(expectedGrants(name, touchesS3));
    expect(writes.filter(([role, permission]) => !WRITE_SCOPES.some(([roles, resource]) => roles.test(role) && resource.test(permission.replace(/^\S+ on /, ''))))).toEqual([]);
    expect(writes.map(([role]) => role)).toEqual(expect.arrayContaining(['role:store-result', 'role:fetch-results', 'role:finalize-auction', 'role:state-machine']));
  });

  test.each(auctionNames)('%s: no function role has a service wildcard or Resource "*" except X-Ray', (name) => {
    const functionRoles = Object.keys(FUNCTION_PERMISSIONS).map((handler) => `role:${handler}`);
    const broad = grants(name).filter(([role, permission]) => functionRoles.includes(role)
      && (/^(\*|[a-z0-9-]+:\*) on /.test(permission) || (permission.endsWith(' on *') && !permission.startsWith('xray:'))));
    expect(broad).toEqual([]);
    expect(grants(name).filter(([, permission]) => /^(dynamodb|s3|sns|sqs|kms|secretsmanager|lambda|states):\* /.test(permission))).toEqual([]);
  });

  test.each(auctionNames.filter(hasPlatform))('%s: the platform function reaches only its own bucket, under auctions/ plus ListBucket', (name) => {
    const s3 = grants(name).filter(([role, permission]) => role === 'role:auction-platform' && permission.startsWith('s3:')).map(([, permission]) => permission);
    expect(s3.sort()).toEqual(['s3:GetObject on platform-bucket.Arn/auctions/*', 's3:ListBucket on platform-bucket.Arn', 's3:PutObject on platform-bucket.Arn/auctions/*']);
    expect(grants(name).filter(([role, permission]) => role !== 'role:auction-platform' && permission.includes('platform-bucket'))).toEqual([]);
  });

  test.each(auctionNames)('%s: secrets are read only by the functions that need them', (name) => {
    const reads = grants(name).filter(([, permission]) => permission.startsWith('secretsmanager:GetSecretValue'));
    expect([...reads].sort()).toEqual([
      ['role:fetch-results', 'secretsmanager:GetSecretValue on platform-secret'],
      ['role:slack-notifier', 'secretsmanager:GetSecretValue on slack-secret'],
      ['role:submit-orders', 'secretsmanager:GetSecretValue on platform-secret'],
    ]);
    expect(grants(name).filter(([, permission]) => permission.startsWith('secretsmanager:') && !/^secretsmanager:(GetSecretValue|DescribeSecret) /.test(permission))).toEqual([]);
  });

  test.each(auctionNames)('%s: only finalize-auction may publish to the alerts topic', (name) => {
    expect(grants(name).filter(([, permission]) => permission.startsWith('sns:'))).toEqual([['role:finalize-auction', 'sns:Publish on alerts-topic']]);
  });

  test('the index the roles may query is the one the auction store queries', async () => {
    const sent: Array<Record<string, unknown>> = [];
    const client = { send: async (command: { input: Record<string, unknown> }) => { sent.push(command.input); return { Items: [] }; } };
    const store = new DynamoDbAuctionStore(client as never, 'orders');
    for await (const page of store.ordersOf('2026-12-01T2100Z')) expect(page).toEqual([]);

    expect(sent).toEqual([expect.objectContaining({ TableName: 'orders', IndexName: 'by-auction' })]);
    const table = Object.values(templateNamed('Local/Auction').resources).find((r) => r.Type === 'AWS::DynamoDB::Table')!;
    expect((table.Properties!.GlobalSecondaryIndexes as Array<{ IndexName: string }>).map((index) => index.IndexName)).toEqual(['by-auction']);
  });
});

describe('the encrypted alerts topic', () => {
  interface KeyStatement { readonly Effect: string; readonly Principal: Json; readonly Action: Json }
  const resourceOfType = (t: TemplateUnderTest, type: string) => Object.entries(t.resources).filter(([, r]) => r.Type === type);
  const keyPolicy = (t: TemplateUnderTest) => {
    const [[, key]] = resourceOfType(t, 'AWS::KMS::Key').filter(([id]) => t.aliases.get(id) === 'alerts-key');
    return list((key.Properties!.KeyPolicy as { Statement: Json }).Statement) as KeyStatement[];
  };
  /** One entry per principal: minimizePolicies merges `{Service: a}` and `{Service: b}` into `{Service: [a, b]}`. */
  const principalsOf = (principal: Json, aliases: ReadonlyMap<string, string>): Json[] => {
    const rendered = renderDeep(principal, aliases);
    if (!rendered || typeof rendered !== 'object' || Array.isArray(rendered)) return [rendered];
    return Object.entries(rendered).flatMap(([type, values]) => list(values).map((value) => ({ [type]: value })));
  };
  const keyAllows = (t: TemplateUnderTest, principal: Json, action: string) => keyPolicy(t).some((s) =>
    s.Effect === 'Allow' && principalsOf(s.Principal, t.aliases).some((one) => sameJson(one, principal)) && list(s.Action).some((a) => allowsAction(String(a), action)));
  const ACCOUNT_ROOT = { AWS: 'arn:aws:iam::${AWS::AccountId}:root' };
  const topicPolicyPrincipals = (t: TemplateUnderTest) => resourceOfType(t, 'AWS::SNS::TopicPolicy').flatMap(([, policy]) =>
    (list((policy.Properties!.PolicyDocument as { Statement: Json }).Statement) as Array<Record<string, Json>>)
      .filter((s) => s.Effect === 'Allow')
      .flatMap((s) => principalsOf(s.Principal, t.aliases).map((principal) => ({ principal, actions: list(s.Action).map(String) }))))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

  test.each(auctionNames)('%s: the topic policy lets only EventBridge and CloudWatch alarms publish', (name) => {
    expect(topicPolicyPrincipals(templateNamed(name))).toEqual([
      { principal: { Service: 'cloudwatch.amazonaws.com' }, actions: ['sns:Publish'] },
      { principal: { Service: 'events.amazonaws.com' }, actions: ['sns:Publish'] },
    ]);
  });

  test.each(auctionNames)('%s: every principal the topic policy lets in may use the key', (name) => {
    const t = templateNamed(name);
    for (const { principal } of topicPolicyPrincipals(t)) {
      for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) expect({ principal, action, allowed: keyAllows(t, principal, action) }).toEqual({ principal, action, allowed: true });
    }
  });

  test.each(auctionNames)('%s: every role that may publish may use the key, and the key policy lets IAM decide for the account', (name) => {
    const t = templateNamed(name);
    expect(keyAllows(t, ACCOUNT_ROOT, 'kms:GenerateDataKey')).toBe(true);
    const publishers = grants(name).filter(([, permission]) => /^sns:(Publish|\*) on alerts-topic$/.test(permission)).map(([role]) => role);
    expect(publishers.length).toBeGreaterThan(0);
    for (const role of publishers) {
      const keyUse = roles[name][role].filter((permission) => permission.endsWith(' on alerts-key.Arn')).map((permission) => permission.split(' ')[0]);
      for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
        expect({ role, action, allowed: keyUse.some((pattern) => allowsAction(pattern, action)) }).toEqual({ role, action, allowed: true });
      }
    }
  });

  test.each(auctionNames)('%s: everything that targets the topic publishes as a principal the topic and key allow', (name) => {
    const t = templateNamed(name);
    const allowed = topicPolicyPrincipals(t).map(({ principal }) => JSON.stringify(principal));
    const targetingRules = resourceOfType(t, 'AWS::Events::Rule').filter(([, rule]) =>
      (list(rule.Properties!.Targets) as Array<{ Arn: Json }>).some((target) => render(target.Arn, t.aliases) === 'alerts-topic'));
    const alarms = resourceOfType(t, 'AWS::CloudWatch::Alarm').filter(([, alarm]) =>
      list(alarm.Properties!.AlarmActions).some((action) => render(action, t.aliases) === 'alerts-topic'));
    expect(targetingRules.length).toBeGreaterThan(0);
    expect(alarms.length).toBeGreaterThan(5);
    expect(allowed).toContain(JSON.stringify({ Service: 'events.amazonaws.com' }));
    expect(allowed).toContain(JSON.stringify({ Service: 'cloudwatch.amazonaws.com' }));
    for (const service of ['events.amazonaws.com', 'cloudwatch.amazonaws.com']) {
      expect(keyAllows(t, { Service: service }, 'kms:GenerateDataKey')).toBe(true);
    }
  });

  test('the pipeline\'s failure rule publishes to the pipeline stack\'s own topic and key, whose policies let EventBridge in', () => {
    const pipeline = templateNamed('Pipeline');
    const rules = resourceOfType(pipeline, 'AWS::Events::Rule').filter(([, r]) => JSON.stringify(r.Properties!.EventPattern).includes('aws.codepipeline'));
    expect(rules).toHaveLength(1);
    const [[, rule]] = rules;
    // No target role: EventBridge publishes as its service principal, which the topic and key must let in.
    expect((list(rule.Properties!.Targets) as Array<{ Arn: Json; RoleArn?: Json }>).map((target) => ({ arn: render(target.Arn, pipeline.aliases), role: target.RoleArn })))
      .toEqual([{ arn: 'alerts-topic', role: undefined }]);

    const [[, topic]] = resourceOfType(pipeline, 'AWS::SNS::Topic');
    expect(topic.Properties!.TopicName).toBe('energy-auction-pipeline-alerts');
    expect(render(topic.Properties!.KmsMasterKeyId, pipeline.aliases)).toBe('alerts-key.Arn');
    expect(topicPolicyPrincipals(pipeline)).toEqual([{ principal: { Service: 'events.amazonaws.com' }, actions: ['sns:Publish'] }]);
    for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
      expect({ action, allowed: keyAllows(pipeline, { Service: 'events.amazonaws.com' }, action) }).toEqual({ action, allowed: true });
    }
  });
});

describe('wildcards in the synthesized templates', () => {
  test('each template has identity-policy statements to check (the account settings role has only its managed policy)', () => {
    for (const { name } of templates) {
      const count = statements.filter((scanned) => scanned.template === name).length;
      expect({ name, checked: name === ACCOUNT ? count === 0 : count > 5 }).toEqual({ name, checked: true });
    }
  });

  test('no Allow statement has a wildcard action or resource beyond the documented exceptions', () => {
    // On failure the received list names the policy, its roles, actions and resources.
    expect(unexcepted(findings(statements))).toEqual([]);
  });

  test('every exception is still needed by some statement', () => {
    const used = new Set(findings(statements).flatMap((finding) => finding.exceptions));
    expect(IAM_WILDCARD_EXCEPTIONS.map((exception) => exception.id).filter((id) => !used.has(id))).toEqual([]);
  });

  test('every exception has a written reason', () => {
    for (const exception of IAM_WILDCARD_EXCEPTIONS) expect(exception.reason.length).toBeGreaterThan(40);
  });

  test('roles attach no AWS-managed policy beyond the documented one', () => {
    const attached = templates.flatMap((t) => Object.entries(t.resources)
      .filter(([, resource]) => resource.Type === 'AWS::IAM::Role')
      .flatMap(([roleId, resource]) => list(resource.Properties?.ManagedPolicyArns).map((arn) => ({ name: t.name, stack: t.stack, role: t.aliases.get(roleId) ?? roleId, policy: render(arn, t.aliases) }))));
    const undocumented = attached.filter(({ stack, role, policy }) => !ALLOWED_MANAGED_POLICIES.some((allowed) => allowed.stack === stack && allowed.role.test(role) && allowed.policy === policy));

    expect(attached.length).toBeGreaterThan(0);
    expect(undocumented).toEqual([]);
  });
});

describe('the checker itself', () => {
  const aliases = new Map([['ResultsBucket46167C27', 'results-bucket'], ['OrdersTable1234ABCD', 'orders-table']]);
  const statementOn = (stack: StackKind, statement: Record<string, Json>, roleNames = ['role:post-orders']): ScannedStatement =>
    ({ stack, template: 'synthetic', policy: 'SyntheticPolicy', roles: roleNames, statement, aliases });
  const objects = (prefix: string) => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': ['ResultsBucket46167C27', 'Arn'] }, prefix]] });

  test("flags actions: ['dynamodb:*'] even on one table", () => {
    const scanned = statementOn('auction', { Effect: 'Allow', Action: 'dynamodb:*', Resource: { 'Fn::GetAtt': ['OrdersTable1234ABCD', 'Arn'] } });

    expect(unexcepted(findings([scanned]))).toHaveLength(1);
  });

  test('flags Resource "*" for an action outside the exceptions, and NotAction', () => {
    const scanned = [
      statementOn('auction', { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }),
      statementOn('auction', { Effect: 'Allow', NotAction: 'iam:*', Resource: { 'Fn::GetAtt': ['Bucket', 'Arn'] } }),
    ];

    expect(unexcepted(findings(scanned))).toHaveLength(2);
  });

  test('an excepted statement widened by one more action, resource or role is flagged again', () => {
    const exact = statementOn('auction', { Effect: 'Allow', Action: 's3:PutObject', Resource: objects('/results/*') }, ['role:store-result']);
    const moreActions = statementOn('auction', { Effect: 'Allow', Action: ['s3:PutObject', 's3:DeleteObject'], Resource: objects('/results/*') }, ['role:store-result']);
    const wholeBucket = statementOn('auction', { Effect: 'Allow', Action: 's3:PutObject', Resource: objects('/*') }, ['role:store-result']);
    const otherRole = statementOn('auction', { Effect: 'Allow', Action: 's3:PutObject', Resource: objects('/results/*') });

    const writerActions = ['s3:PutObject', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'];
    const mapWriter = statementOn('auction', { Effect: 'Allow', Action: writerActions, Resource: objects('/runs/map-results/*') }, ['role:state-machine']);
    const mapWriterOnRuns = statementOn('auction', { Effect: 'Allow', Action: writerActions, Resource: objects('/runs/*') }, ['role:state-machine']);

    expect(unexcepted(findings([exact, mapWriter]))).toEqual([]);
    expect(unexcepted(findings([moreActions, wholeBucket, otherRole, mapWriterOnRuns]))).toHaveLength(4);
  });

  test('the bootstrap-role exception needs its tag condition', () => {
    const selfMutation = 'PipelineUpdatePipelineSelfMutationRole57E559E8';
    const resource = { 'Fn::Join': ['', ['arn:*:iam::', { Ref: 'AWS::AccountId' }, ':role/*']] };

    expect(unexcepted(findings([statementOn('pipeline', { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: resource }, [selfMutation])]))).toHaveLength(1);
  });

  test('a statement CDK merged from two excepted purposes passes pair by pair; a pair no exception covers for its role is flagged', () => {
    const actions = ['xray:PutTraceSegments', 'logs:CreateLogDelivery'];
    const merged = statementOn('auction', { Effect: 'Allow', Action: actions, Resource: '*' }, ['role:state-machine']);
    const oneMore = statementOn('auction', { Effect: 'Allow', Action: [...actions, 's3:GetObject'], Resource: '*' }, ['role:state-machine']);
    const functionRole = statementOn('auction', { Effect: 'Allow', Action: actions, Resource: '*' }, ['role:post-orders']);

    expect(unexcepted(findings([merged]))).toEqual([]);
    expect(findings([merged])[0].exceptions).toEqual(['xray-tracing', 'state-machine-log-delivery']);
    expect(unexcepted(findings([oneMore, functionRole])).map((finding) => finding.uncovered)).toEqual([['s3:GetObject on *'], ['logs:CreateLogDelivery on *']]);
  });

  test('Deny statements are not findings', () => {
    expect(findings([statementOn('auction', { Effect: 'Deny', Action: '*', Resource: '*' })])).toEqual([]);
  });

  test('a grant added in a second statement of a second policy shows in the role\'s full set', () => {
    const t: TemplateUnderTest = {
      stack: 'auction',
      name: 'synthetic',
      resources: { Role: { Type: 'AWS::IAM::Role', Properties: {} } },
      aliases: new Map([...aliases, ['Role', 'role:store-result']]),
    };
    const base = statementOn('auction', { Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: { 'Fn::GetAtt': ['OrdersTable1234ABCD', 'Arn'] } }, ['role:store-result']);
    const extra = { ...statementOn('auction', { Effect: 'Allow', Action: ['dynamodb:UpdateItem', 'dynamodb:Scan'], Resource: { 'Fn::GetAtt': ['OrdersTable1234ABCD', 'Arn'] } }, ['role:store-result']), policy: 'Other' };

    expect(permissionsByRole(t, [base, extra])['role:store-result']).toEqual(['dynamodb:Scan on orders-table.Arn', 'dynamodb:UpdateItem on orders-table.Arn']);
  });

  test('renders conditions and Deny into the permission, so a narrowed or inverted grant is not the same grant', () => {
    expect(permissionsOf({ aliases, statement: { Effect: 'Allow', Action: 's3:ListBucket', Resource: { 'Fn::GetAtt': ['ResultsBucket46167C27', 'Arn'] }, Condition: { StringLike: { 's3:prefix': ['runs/*'] } } } }))
      .toEqual(['s3:ListBucket on results-bucket.Arn if {"StringLike":{"s3:prefix":["runs/*"]}}']);
    expect(permissionsOf({ aliases, statement: { Effect: 'Deny', Action: 's3:*', Resource: '*' } })).toEqual(['DENY s3:* on *']);
  });
});
