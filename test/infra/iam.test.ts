// Scenarios: no Allow statement with a wildcard action or resource in the Local stage, the pipeline stack and its Dev/Prod stage stacks beyond the documented exceptions; every exception still needed; only the documented AWS-managed policy; the checker itself flags dynamodb:*, Resource "*", NotAction and a widened exception.
//
// Scope: identity policies only (AWS::IAM::Policy, AWS::IAM::ManagedPolicy, AWS::IAM::Role inline Policies).
// Resource policies (S3 bucket, SNS topic, SQS queue policies, Lambda permissions) and KMS key policies are not
// IAM identity policies and are out of scope here; cdk-nag checks them at synth.
//
// A statement is flagged when Effect is Allow and an Action (or NotAction/NotResource at all) contains '*', or a
// Resource is '*' or contains '*'. An exception covers a flagged statement only if the stack, EVERY role the
// statement is attached to, EVERY action and EVERY resource match it (and its condition, when it names one), so a
// new action or resource added beside an excepted one still fails.
import { Stack, Stage } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { synthAuctionStack, synthPipelineStack } from './synth';

type StackKind = 'auction' | 'pipeline';

interface Exception {
  readonly id: string;
  readonly reason: string;
  readonly stack: StackKind;
  /** Logical id of the role(s) the statement is attached to. */
  readonly role: RegExp;
  /** Every action of the statement must be one of these (exact strings, wildcards spelled out). */
  readonly actions: readonly string[];
  /** Every resource of the statement, rendered by `render()`, must match one of these. */
  readonly resources: readonly RegExp[];
  /** When set, the statement must carry exactly this Condition. */
  readonly condition?: unknown;
}

const CFN_HASH = '[0-9A-F]{8}';
const ACCOUNT_LOGS = 'arn:\\$\\{AWS::Partition\\}:logs:eu-west-1:\\$\\{AWS::AccountId\\}';
const ACCOUNT_CODEBUILD = 'arn:\\$\\{AWS::Partition\\}:codebuild:eu-west-1:\\$\\{AWS::AccountId\\}';
const ARTIFACTS_BUCKET = `\\$\\{PipelineArtifactsBucket${CFN_HASH}\\.Arn\\}`;
const re = (source: string) => new RegExp(`^${source}$`);

/** The documented exceptions. Keep this list short; the "still needed" test removes dead entries. */
const IAM_WILDCARD_EXCEPTIONS: readonly Exception[] = [
  {
    id: 'xray-tracing',
    reason: 'X-Ray PutTraceSegments/PutTelemetryRecords (and the sampling reads Step Functions adds) have no resource-level permissions; AWS requires Resource "*".',
    stack: 'auction',
    role: re(`(OrdersApiPostOrders|ResultsPipelineFetchResults|ResultsPipelineStoreResult|ResultsPipelineSummarizeRun|AlertsSlackNotifier)FunctionRole${CFN_HASH}|ResultsPipelineStateMachineRole${CFN_HASH}`),
    actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'],
    resources: [/^\*$/],
  },
  {
    id: 'state-machine-log-delivery',
    reason: 'Step Functions logging to CloudWatch Logs uses the vended-log delivery APIs, which support no resource-level permissions (Resource "*" per the Step Functions logging docs).',
    stack: 'auction',
    role: re(`ResultsPipelineStateMachineRole${CFN_HASH}`),
    actions: ['logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery', 'logs:ListLogDeliveries', 'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups'],
    resources: [/^\*$/],
  },
  {
    id: 'state-machine-invokes-function-versions',
    reason: 'LambdaInvoke grants the function and its versions/aliases (`<function arn>:*`); still one named function.',
    stack: 'auction',
    role: re(`ResultsPipelineStateMachineRole${CFN_HASH}`),
    actions: ['lambda:InvokeFunction'],
    resources: [re(`\\$\\{ResultsPipeline(FetchResults|StoreResult|SummarizeRun)Function${CFN_HASH}\\.Arn\\}(:\\*)?`)],
  },
  {
    id: 'store-result-writes-orders-prefix',
    reason: 'store-result writes one object per order under orders/date=.../run=.../; keys are only known at run time, so PutObject is scoped to the orders/ prefix of the results bucket.',
    stack: 'auction',
    role: re(`ResultsPipelineStoreResultFunctionRole${CFN_HASH}`),
    actions: ['s3:PutObject'],
    resources: [re(`\\$\\{ResultsBucket${CFN_HASH}\\.Arn\\}/orders/\\*`)],
  },
  {
    id: 'large-run-work-files',
    reason: 'Large runs: fetch-results writes runs/<execution>/orders.json and summarize-run writes runs/<execution>/failures.json and reads the Distributed Map results under map-results/; keys are per run, so each function is scoped to its prefix.',
    stack: 'auction',
    role: re(`ResultsPipeline(FetchResults|SummarizeRun)FunctionRole${CFN_HASH}`),
    actions: ['s3:PutObject', 's3:GetObject'],
    resources: [re(`\\$\\{ResultsBucket${CFN_HASH}\\.Arn\\}/(runs|map-results)/\\*`)],
  },
  {
    id: 'distributed-map-reader-and-writer',
    reason: "CDK's Distributed Map grants its ItemReader (GetObject of the orders file) and ResultWriter (multipart PutObject of the batch results) on the results bucket's objects; the file key comes from the state at run time.",
    stack: 'auction',
    role: re(`ResultsPipelineStateMachineRole${CFN_HASH}`),
    actions: ['s3:GetObject', 's3:PutObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'],
    resources: [re(`arn:\\$\\{AWS::Partition\\}:s3:::\\$\\{ResultsBucket${CFN_HASH}\\}/\\*`)],
  },
  {
    id: 'distributed-map-child-executions',
    reason: 'A Distributed Map starts, describes, stops and redrives its own child executions, whose names are generated at run time; scoped to executions of this state machine.',
    stack: 'auction',
    role: re(`ResultsPipelineStateMachineRole${CFN_HASH}`),
    actions: ['states:DescribeExecution', 'states:StopExecution', 'states:RedriveExecution'],
    resources: [/^arn:\$\{AWS::Partition\}:states:eu-west-1:\$\{AWS::AccountId\}:execution:\{"Fn::Select":\[6,\{"Fn::Split":\[":",\{"Ref":"ResultsPipelineStateMachine[0-9A-F]{8}"\}\]\}\]\}(\/\*)?:\*$/],
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
    resources: [re('arn:\\$\\{AWS::Partition\\}:apigateway:eu-west-1::/apikeys/\\*')],
  },
];

/** AWS-managed policies a role may attach, by role logical id, with the reason. */
const ALLOWED_MANAGED_POLICIES: ReadonlyArray<{ role: RegExp; policy: string; reason: string }> = [
  {
    role: re(`OrdersApiCloudWatchRole${CFN_HASH}`),
    policy: 'arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs',
    reason: 'The API Gateway account role for access/execution logs; AWS publishes this policy for exactly that purpose.',
  },
];

type Json = unknown;
interface ScannedStatement {
  readonly stack: StackKind;
  readonly template: string;
  readonly policy: string;
  readonly roles: readonly string[];
  readonly statement: Record<string, Json>;
}
interface Finding {
  readonly where: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly exception?: string;
}

/** A resource or ARN as readable text: `${Id.Attr}` for GetAtt, `${Id}` for Ref, joins concatenated. */
function render(value: Json): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const object = value as Record<string, Json>;
    if ('Ref' in object) return `\${${String(object.Ref)}}`;
    if ('Fn::GetAtt' in object) return `\${${(object['Fn::GetAtt'] as string[]).join('.')}}`;
    if ('Fn::Join' in object) {
      const [separator, parts] = object['Fn::Join'] as [string, Json[]];
      return parts.map(render).join(separator);
    }
    if ('Fn::Sub' in object) return String(Array.isArray(object['Fn::Sub']) ? object['Fn::Sub'][0] : object['Fn::Sub']);
  }
  return JSON.stringify(value);
}

const list = (value: Json): Json[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const roleIds = (roles: Json): string[] => list(roles).map((role) => render(role).replace(/^\$\{(.*)\}$/, '$1'));

function scan(stack: StackKind, name: string, template: Record<string, Json>): ScannedStatement[] {
  const found: ScannedStatement[] = [];
  const resources = (template.Resources ?? {}) as Record<string, { Type: string; Properties?: Record<string, Json> }>;
  for (const [logicalId, resource] of Object.entries(resources)) {
    const props = resource.Properties ?? {};
    const documents: Array<{ policy: string; roles: string[]; document: Json }> = [];
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
      documents.push({ policy: logicalId, roles: roleIds(props.Roles), document: props.PolicyDocument });
    }
    if (resource.Type === 'AWS::IAM::Role') {
      for (const inline of list(props.Policies) as Array<{ PolicyName?: string; PolicyDocument: Json }>) {
        documents.push({ policy: `${logicalId}/${inline.PolicyName ?? 'inline'}`, roles: [logicalId], document: inline.PolicyDocument });
      }
    }
    for (const { policy, roles, document } of documents) {
      for (const statement of list((document as { Statement?: Json }).Statement)) {
        found.push({ stack, template: name, policy, roles, statement: statement as Record<string, Json> });
      }
    }
  }
  return found;
}

function isFlagged({ statement }: ScannedStatement): boolean {
  if (statement.Effect !== 'Allow') return false;
  if (statement.NotAction !== undefined || statement.NotResource !== undefined) return true;
  const actions = list(statement.Action).map(render);
  const resources = list(statement.Resource).map(render);
  return actions.some((action) => action.includes('*')) || resources.some((resource) => resource.includes('*'));
}

function matches(exception: Exception, scanned: ScannedStatement): boolean {
  const { statement } = scanned;
  if (exception.stack !== scanned.stack || statement.NotAction !== undefined || statement.NotResource !== undefined) return false;
  if (scanned.roles.length === 0 || !scanned.roles.every((role) => exception.role.test(role))) return false;
  if (!list(statement.Action).map(render).every((action) => exception.actions.includes(action))) return false;
  const resources = list(statement.Resource).map(render);
  if (resources.length === 0 || !resources.every((resource) => exception.resources.some((pattern) => pattern.test(resource)))) return false;
  // A Condition only narrows a statement, so one is required only where the exception depends on it.
  return exception.condition === undefined || JSON.stringify(statement.Condition) === JSON.stringify(exception.condition);
}

function findings(statements: readonly ScannedStatement[], exceptions: readonly Exception[] = IAM_WILDCARD_EXCEPTIONS): Finding[] {
  return statements.filter(isFlagged).map((scanned) => ({
    where: `${scanned.template} ${scanned.policy} (${scanned.roles.join(', ')})`,
    actions: list(scanned.statement.Action ?? scanned.statement.NotAction).map(render),
    resources: list(scanned.statement.Resource ?? scanned.statement.NotResource).map(render),
    exception: exceptions.find((exception) => matches(exception, scanned))?.id,
  }));
}

const unexcepted = (all: readonly Finding[]) => all.filter((finding) => finding.exception === undefined);

let templates: Array<{ stack: StackKind; name: string; json: Record<string, Json> }>;
let statements: ScannedStatement[];

beforeAll(() => {
  const pipeline = synthPipelineStack().stack;
  const stageStack = (stageName: string) => (pipeline.node.findChild(stageName) as Stage).node.findChild('Auction') as Stack;
  templates = [
    { stack: 'auction', name: 'Local/Auction', json: synthAuctionStack().template.toJSON() },
    { stack: 'pipeline', name: 'Pipeline', json: Template.fromStack(pipeline).toJSON() },
    { stack: 'auction', name: 'Pipeline/Dev/Auction', json: Template.fromStack(stageStack('Dev')).toJSON() },
    { stack: 'auction', name: 'Pipeline/Prod/Auction', json: Template.fromStack(stageStack('Prod')).toJSON() },
  ];
  statements = templates.flatMap(({ stack, name, json }) => scan(stack, name, json));
});

describe('IAM statements in the synthesized templates', () => {
  test('each template has identity-policy statements to check', () => {
    for (const { name } of templates) {
      expect(statements.filter((scanned) => scanned.template === name).length).toBeGreaterThan(5);
    }
  });

  test('no Allow statement has a wildcard action or resource beyond the documented exceptions', () => {
    // On failure the received list names the policy, its roles, actions and resources.
    expect(unexcepted(findings(statements))).toEqual([]);
  });

  test('every exception is still needed by some statement', () => {
    const used = new Set(findings(statements).map((finding) => finding.exception));
    expect(IAM_WILDCARD_EXCEPTIONS.map((exception) => exception.id).filter((id) => !used.has(id))).toEqual([]);
  });

  test('every exception has a written reason', () => {
    for (const exception of IAM_WILDCARD_EXCEPTIONS) expect(exception.reason.length).toBeGreaterThan(40);
  });

  test('roles attach no AWS-managed policy beyond the documented one', () => {
    const attached = templates.flatMap(({ name, json }) =>
      Object.entries(json.Resources as Record<string, { Type: string; Properties?: { ManagedPolicyArns?: Json } }>)
        .filter(([, resource]) => resource.Type === 'AWS::IAM::Role')
        .flatMap(([roleId, resource]) => list(resource.Properties?.ManagedPolicyArns).map((arn) => ({ name, roleId, policy: render(arn) }))),
    );
    const undocumented = attached.filter(({ roleId, policy }) => !ALLOWED_MANAGED_POLICIES.some((allowed) => allowed.role.test(roleId) && allowed.policy === policy));

    expect(undocumented).toEqual([]);
  });
});

describe('the checker itself', () => {
  const functionRole = 'OrdersApiPostOrdersFunctionRole9683A8C3';
  const statementOn = (stack: StackKind, statement: Record<string, Json>, roles = [functionRole]): ScannedStatement => ({ stack, template: 'synthetic', policy: 'SyntheticPolicy', roles, statement });

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

  test('an excepted statement widened by one more action or resource is flagged again', () => {
    const storeRole = 'ResultsPipelineStoreResultFunctionRoleAF47E080';
    const objects = { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['ResultsBucket46167C27', 'Arn'] }, '/orders/*']] };
    const exact = statementOn('auction', { Effect: 'Allow', Action: 's3:PutObject', Resource: objects }, [storeRole]);
    const moreActions = statementOn('auction', { Effect: 'Allow', Action: ['s3:PutObject', 's3:DeleteObject'], Resource: objects }, [storeRole]);
    const wholeBucket = statementOn('auction', { Effect: 'Allow', Action: 's3:PutObject', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['ResultsBucket46167C27', 'Arn'] }, '/*']] } }, [storeRole]);
    const otherRole = statementOn('auction', { Effect: 'Allow', Action: 's3:PutObject', Resource: objects });

    expect(unexcepted(findings([exact]))).toEqual([]);
    expect(unexcepted(findings([moreActions, wholeBucket, otherRole]))).toHaveLength(3);
  });

  test('the bootstrap-role exception needs its tag condition', () => {
    const selfMutation = 'PipelineUpdatePipelineSelfMutationRole57E559E8';
    const resource = { 'Fn::Join': ['', ['arn:*:iam::', { Ref: 'AWS::AccountId' }, ':role/*']] };

    expect(unexcepted(findings([statementOn('pipeline', { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: resource }, [selfMutation])]))).toHaveLength(1);
  });

  test('Deny statements are not findings', () => {
    expect(findings([statementOn('auction', { Effect: 'Deny', Action: '*', Resource: '*' })])).toEqual([]);
  });
});
