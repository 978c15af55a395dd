/**
 * Pure part of the diagram: CloudFormation templates in, architecture graph and Graphviz DOT out.
 * Nothing here knows logical ids of this app; edges come from Ref / Fn::GetAtt / Fn::Sub / Fn::ImportValue
 * found anywhere inside the relevant properties, their labels from the IAM grants, API methods and
 * execute-api URLs in functions' environments, so the picture follows the synthesized app.
 */

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
  readonly Outputs?: Record<string, { readonly Value?: unknown; readonly Export?: { readonly Name?: unknown } }>;
}

export interface StackTemplate {
  /** Stack name (or artifact id); only used to keep resources of different stacks apart. */
  readonly stackName: string;
  readonly template: CfnTemplate;
}

/**
 * What a node is part of: the API customers call, the scheduled run, a service the app deploys only to
 * call it over HTTP (the simulated platform), alerting, and the deployment pipeline.
 */
export type Concern = 'api' | 'run' | 'platform' | 'alerts' | 'deploy';

export type Service =
  | 'API Gateway'
  | 'Lambda'
  | 'DynamoDB'
  | 'S3'
  | 'Step Functions'
  | 'SNS'
  | 'SQS'
  | 'EventBridge'
  | 'Secrets Manager'
  | 'CloudWatch'
  | 'CodePipeline'
  | 'External';

export interface GraphNode {
  /** DOT node id: the readable name, made unique. */
  readonly id: string;
  readonly service: Service;
  readonly name: string;
  /** Extra line under the name, e.g. a schedule expression. */
  readonly detail?: string;
  concern?: Concern;
}

export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  /** Several labels (e.g. the routes of one integration) are separate lines. */
  readonly label?: string;
  readonly dashed?: boolean;
  /** false: drawn, but does not place its head right of its tail (a reaction or a key's source, not a flow). */
  readonly constraint?: boolean;
}

export interface ArchitectureGraph {
  readonly nodes: GraphNode[];
  readonly edges: GraphEdge[];
}

const SERVICE_BY_TYPE: Record<string, Service> = {
  'AWS::ApiGateway::RestApi': 'API Gateway',
  'AWS::Lambda::Function': 'Lambda',
  'AWS::DynamoDB::Table': 'DynamoDB',
  'AWS::S3::Bucket': 'S3',
  'AWS::StepFunctions::StateMachine': 'Step Functions',
  'AWS::SNS::Topic': 'SNS',
  'AWS::SQS::Queue': 'SQS',
  'AWS::Events::Rule': 'EventBridge',
  'AWS::SecretsManager::Secret': 'Secrets Manager',
  'AWS::CloudWatch::Alarm': 'CloudWatch',
  'AWS::CodePipeline::Pipeline': 'CodePipeline',
};

const STORES = new Set<Service>(['DynamoDB', 'S3']);

/** Construct ids that only say what kind of thing it is; the parent construct's id says which one. */
const GENERIC_PATH_PARTS = new Set([
  'Function', 'Handler', 'Fn', 'Lambda', 'Table', 'Bucket', 'Topic', 'Queue', 'Secret', 'StateMachine', 'Rule',
  'Alarm', 'Api', 'RestApi', 'Pipeline',
]);

const ALARMS_ID = 'CloudWatch alarms';
export const EXTERNAL = {
  customers: 'Customers',
  slack: 'Slack',
  github: 'GitHub',
} as const;

/** Key of a resource across stacks. */
type Key = string;
const keyOf = (stackIndex: number, logicalId: string): Key => `${stackIndex}/${logicalId}`;

interface IndexedResource {
  readonly key: Key;
  readonly stackIndex: number;
  readonly logicalId: string;
  readonly resource: CfnResource;
}

/** CDK's own Lambdas (log retention, custom-resource providers) are plumbing, not architecture. */
export function isHelperFunction(logicalId: string, resource: CfnResource): boolean {
  const path = cdkPath(resource) ?? '';
  return (
    logicalId.startsWith('LogRetention') ||
    logicalId.startsWith('AWS679f53fac002430cb0da5b7982bd2287') || // AwsCustomResource singleton
    logicalId.startsWith('BucketNotificationsHandler') ||
    /CustomResource|Provider/.test(logicalId) ||
    /CustomResource|Provider/.test(path)
  );
}

function cdkPath(resource: CfnResource): string | undefined {
  const path = resource.Metadata?.['aws:cdk:path'];
  return typeof path === 'string' ? path : undefined;
}

/**
 * 'Local/App/PostOrdersFunction/Resource' -> 'PostOrdersFunction'; a generic id borrows its parent's:
 * 'Local/App/Orders/Table/Resource' -> 'OrdersTable', 'Local/App/OrdersApi/Api/Resource' -> 'OrdersApi'.
 * Without a path, the logical id minus CDK's hash.
 */
export function readableName(logicalId: string, resource: CfnResource): string {
  const parts = (cdkPath(resource) ?? '').split('/').filter((p) => p && p !== 'Resource' && p !== 'Default');
  const child = parts.at(-1);
  if (!child) return logicalId.replace(/[0-9A-F]{8}$/, '');
  const parent = parts.length > 1 ? parts.at(-2)! : '';
  if (!GENERIC_PATH_PARTS.has(child) || !parent) return child;
  return parent.endsWith(child) ? parent : `${parent}${child}`;
}

/** Logical ids referenced anywhere inside `value` (same stack), plus export names it imports. */
export function collectReferences(value: unknown): { refs: Set<string>; imports: Set<string> } {
  const refs = new Set<string>();
  const imports = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      v.forEach(walk);
      return;
    }
    if (v === null || typeof v !== 'object') return;
    for (const [k, inner] of Object.entries(v as Record<string, unknown>)) {
      if (k === 'Ref' && typeof inner === 'string') {
        if (!inner.startsWith('AWS::')) refs.add(inner);
      } else if (k === 'Fn::GetAtt') {
        if (Array.isArray(inner) && typeof inner[0] === 'string') refs.add(inner[0]);
        else if (typeof inner === 'string') refs.add(inner.split('.')[0]);
        else walk(inner);
      } else if (k === 'Fn::Sub') {
        const [text, vars] = Array.isArray(inner) ? inner : [inner, undefined];
        if (typeof text === 'string') subReferences(text, vars).forEach((r) => refs.add(r));
        walk(vars);
      } else if (k === 'Fn::ImportValue' && typeof inner === 'string') {
        imports.add(inner);
      } else {
        walk(inner);
      }
    }
  };
  walk(value);
  return { refs, imports };
}

/** `${Name}` and `${Name.Attr}` inside a Fn::Sub string; `${!Literal}` and pseudo parameters are not references. */
function subReferences(text: string, vars: unknown): string[] {
  const local = vars && typeof vars === 'object' ? new Set(Object.keys(vars)) : new Set<string>();
  const out: string[] = [];
  for (const m of text.matchAll(/\$\{([^}!][^}]*)\}/g)) {
    const name = m[1].split('.')[0];
    if (!name.startsWith('AWS::') && !local.has(name)) out.push(name);
  }
  return out;
}

/**
 * The text a value resolves to, references kept as `${Name}` placeholders:
 * Fn::Join ['', ['https://', {Ref: 'Api'}, '.execute-api.']] -> 'https://${Api}.execute-api.'.
 * `importValue` resolves a Fn::ImportValue to the text of the export (cross-stack URLs and ARNs).
 */
export function renderText(value: unknown, importValue: (name: string) => string = () => ''): string {
  const render = (v: unknown): string => {
    if (typeof v === 'string') return v;
    if (Array.isArray(v)) return v.map(render).join('');
    if (!v || typeof v !== 'object') return '';
    const o = v as Record<string, unknown>;
    if (Array.isArray(o['Fn::Join'])) {
      const [sep, parts] = o['Fn::Join'] as [unknown, unknown];
      return Array.isArray(parts) ? parts.map(render).join(typeof sep === 'string' ? sep : '') : '';
    }
    if (typeof o.Ref === 'string') return `\${${o.Ref}}`;
    if (Array.isArray(o['Fn::GetAtt'])) return `\${${(o['Fn::GetAtt'] as unknown[]).join('.')}}`;
    if (typeof o['Fn::GetAtt'] === 'string') return `\${${o['Fn::GetAtt']}}`;
    if (o['Fn::Sub'] !== undefined) return render(Array.isArray(o['Fn::Sub']) ? o['Fn::Sub'][0] : o['Fn::Sub']);
    if (typeof o['Fn::ImportValue'] === 'string') return importValue(o['Fn::ImportValue']);
    return '';
  };
  return render(value);
}

/** Telemetry and encryption keys: every function has them, none is a data flow. */
const PLUMBING_SERVICES = new Set(['logs', 'xray', 'kms', 'cloudwatch']);

/** What an IAM action lets its principal do to a resource drawn in the graph; undefined for plumbing. */
export function accessVerb(action: string): 'reads' | 'writes' | 'publishes' | 'sends' | undefined {
  const [service, name = ''] = action.split(':');
  if (PLUMBING_SERVICES.has(service)) return undefined;
  if (service === 'sns' && /^(Publish|\*)/.test(name)) return 'publishes';
  if (service === 'sqs' && /^(Send|\*)/.test(name)) return 'sends';
  if (/^(Get|BatchGet|Query|Scan|List|Describe|Receive|ConditionCheck)/.test(name)) return 'reads';
  if (/^(Put|Update|Delete|BatchWrite|PartiQL(Insert|Update|Delete)|Abort|Restore)/.test(name)) return 'writes';
  return undefined;
}

/** 'Auction platform' for https://auction-platform.example.com/v1/: the host's first label, in words. */
function serviceNameOfHost(host: string): string {
  const words = host.split('.')[0].replace(/[-_]+/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const VERB_ORDER = ['reads', 'writes', 'publishes', 'sends'];

/** Builds the architecture graph from the templates of one stage (plus, optionally, the pipeline stack). */
export function buildGraph(stacks: readonly StackTemplate[]): ArchitectureGraph {
  const resources = new Map<Key, IndexedResource>();
  const exportsByName = new Map<string, { stackIndex: number; value: unknown }>();

  stacks.forEach(({ template }, stackIndex) => {
    for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
      resources.set(keyOf(stackIndex, logicalId), { key: keyOf(stackIndex, logicalId), stackIndex, logicalId, resource });
    }
    // Cross-stack references arrive as Fn::ImportValue of an export whose value holds the Ref/GetAtt.
    for (const output of Object.values(template.Outputs ?? {})) {
      const name = output.Export?.Name;
      if (typeof name === 'string') exportsByName.set(name, { stackIndex, value: output.Value });
    }
  });

  /** Resources (by key) that `value`, found in a resource of `stackIndex`, points at. */
  const targetsOf = (stackIndex: number, value: unknown): Key[] => {
    const { refs, imports } = collectReferences(value);
    const keys = [...refs].map((r) => keyOf(stackIndex, r)).filter((k) => resources.has(k));
    for (const name of imports) {
      const exported = exportsByName.get(name);
      if (exported) keys.push(...targetsOf(exported.stackIndex, exported.value));
    }
    return keys;
  };
  const textOf = (value: unknown): string => renderText(value, (name) => textOf(exportsByName.get(name)?.value));
  const ofType = (type: string) => [...resources.values()].filter((r) => r.resource.Type === type);

  // Nodes --------------------------------------------------------------------------------------------
  const nodeIdByKey = new Map<Key, string>();
  const nodes = new Map<string, GraphNode>();
  const usedIds = new Set<string>();
  const uniqueId = (name: string, stackName: string): string => {
    let id = usedIds.has(name) ? `${name} (${stackName})` : name;
    for (let n = 2; usedIds.has(id); n++) id = `${name} ${n}`;
    usedIds.add(id);
    return id;
  };

  let alarmCount = 0;
  for (const r of resources.values()) {
    const service = SERVICE_BY_TYPE[r.resource.Type];
    if (!service) continue;
    if (service === 'Lambda' && isHelperFunction(r.logicalId, r.resource)) continue;
    // CDK Pipelines' artifact store is plumbing of the pipeline, not part of the product.
    if (service === 'S3' && /ArtifactsBucket/.test(cdkPath(r.resource) ?? r.logicalId)) continue;
    if (service === 'CloudWatch') {
      alarmCount++;
      nodeIdByKey.set(r.key, ALARMS_ID);
      continue;
    }
    const id = uniqueId(readableName(r.logicalId, r.resource), stacks[r.stackIndex].stackName);
    nodeIdByKey.set(r.key, id);
    nodes.set(id, { id, service, name: id, detail: detailOf(r.resource) });
  }
  if (alarmCount > 0) {
    usedIds.add(ALARMS_ID);
    nodes.set(ALARMS_ID, {
      id: ALARMS_ID,
      service: 'CloudWatch',
      name: 'Alarms',
      detail: `${alarmCount} alarm${alarmCount === 1 ? '' : 's'}`,
      concern: 'alerts',
    });
  }
  // Outside actors stay outside the clusters: they are not part of what we deploy.
  const external = (id: string, detail?: string): string => {
    if (!nodes.has(id)) nodes.set(id, { id, service: 'External', name: id, detail });
    return id;
  };

  // Edges --------------------------------------------------------------------------------------------
  const edges = new Map<string, GraphEdge>();
  const addEdge = (from: string | undefined, to: string | undefined, extra: Partial<GraphEdge> = {}): void => {
    if (!from || !to || from === to) return;
    const id = `${from}\u0000${to}`;
    const existing = edges.get(id);
    // Keep the first edge, but let a later labelled edge (e.g. another route) add its label as a new line.
    if (existing && (!extra.label || existing.label?.split('\n').includes(extra.label))) return;
    const label = existing?.label ? `${existing.label}\n${extra.label}` : extra.label;
    edges.set(id, { from, to, ...existing, ...extra, label });
  };
  const node = (key: Key | undefined): string | undefined => (key ? nodeIdByKey.get(key) : undefined);
  /** Edges from `fromKey` to whatever `value` (found in a resource of `stackIndex`) references. */
  const link = (fromKey: Key, stackIndex: number, value: unknown, extra?: Partial<GraphEdge>): void => {
    for (const k of targetsOf(stackIndex, value)) addEdge(node(fromKey), node(k), extra);
  };
  const linkInto = (value: unknown, stackIndex: number, toKey: Key, extra?: Partial<GraphEdge>): void => {
    for (const k of targetsOf(stackIndex, value)) addEdge(node(k), node(toKey), extra);
  };

  /**
   * A rule in the pipeline stack can only name a stage's topic by ARN (stages are separate assemblies).
   * 'energy-auction-dev-alerts' is drawn to the drawn stage's 'energy-auction-local-alerts': same name but
   * for one token, the stage.
   */
  const linkTopicByName = (fromKey: Key, arn: unknown, extra?: Partial<GraphEdge>): void => {
    const name = /:sns:[^"]*:([\w-]+)$/.exec(textOf(arn))?.[1];
    if (!name) return;
    for (const r of ofType('AWS::SNS::Topic')) {
      const topicName = r.resource.Properties?.TopicName;
      if (typeof topicName !== 'string') continue;
      const stage = differingToken(name, topicName);
      if (stage === undefined) continue;
      addEdge(node(fromKey), node(r.key), { ...extra, label: stage ? `${stage} stage` : undefined, dashed: true });
    }
  };

  // REST APIs: their routes, which ones want an API key, and which are called from inside the app.
  const apiKeyRequired = new Set<string>();
  for (const r of ofType('AWS::ApiGateway::Method')) {
    const props = r.resource.Properties ?? {};
    const method = typeof props.HttpMethod === 'string' ? props.HttpMethod : undefined;
    const label = method ? `${method} ${apiPath(resources, r.stackIndex, props.ResourceId)}` : undefined;
    const [api] = targetsOf(r.stackIndex, props.RestApiId);
    if (props.ApiKeyRequired === true && node(api)) apiKeyRequired.add(node(api)!);
    for (const fn of targetsOf(r.stackIndex, props.Integration)) addEdge(node(api), node(fn), { label });
  }
  const httpsTo = (api: string) => (apiKeyRequired.has(api) ? 'HTTPS + API key' : 'HTTPS');
  const calledApis = new Set<string>();
  /** An environment value that resolves to an execute-api URL is an HTTP call of that API; another URL, of a service outside. */
  const linkEnvironment = (fnKey: Key, stackIndex: number, vars: Record<string, unknown>): void => {
    for (const value of Object.values(vars)) {
      const url = textOf(value);
      const apis = targetsOf(stackIndex, value).filter((k) => resources.get(k)?.resource.Type === 'AWS::ApiGateway::RestApi');
      if (/^https?:\/\/[^/]*\.execute-api\./.test(url) && apis.length > 0) {
        for (const api of apis.map(node).filter((id): id is string => !!id)) {
          calledApis.add(api);
          addEdge(node(fnKey), api, { label: httpsTo(api) });
        }
        continue;
      }
      const host = /^https?:\/\/([\w.-]+)(\/[^?#]*)?/.exec(url);
      if (host && !url.includes('${')) {
        addEdge(node(fnKey), external(serviceNameOfHost(host[1]), `${host[1]}${host[2] ?? ''}`), { label: 'HTTPS' });
        continue;
      }
      link(fnKey, stackIndex, value);
    }
  };

  for (const r of resources.values()) {
    const props = r.resource.Properties ?? {};
    switch (r.resource.Type) {
      case 'AWS::Lambda::Function':
        if (!node(r.key)) break; // a CDK helper
        link(r.key, r.stackIndex, props.DeadLetterConfig, { label: 'DLQ', dashed: true });
        linkEnvironment(r.key, r.stackIndex, envVariables(r.resource));
        break;
      case 'AWS::Lambda::EventInvokeConfig': {
        const [fn] = targetsOf(r.stackIndex, props.FunctionName);
        if (fn) link(fn, r.stackIndex, props.DestinationConfig, { label: 'on failure', dashed: true });
        break;
      }
      case 'AWS::Lambda::EventSourceMapping': {
        const [fn] = targetsOf(r.stackIndex, props.FunctionName);
        if (fn) linkInto(props.EventSourceArn, r.stackIndex, fn);
        break;
      }
      case 'AWS::StepFunctions::StateMachine':
        link(r.key, r.stackIndex, [props.DefinitionString, props.Definition, props.DefinitionSubstitutions]);
        break;
      case 'AWS::Events::Rule':
        // Whatever the pattern watches (a state machine, a pipeline) feeds the rule; the rule feeds its targets.
        linkInto(props.EventPattern, r.stackIndex, r.key, { dashed: true });
        // Only the target ARNs: a target's RoleArn or input is not a data flow. A schedule starts a flow;
        // a pattern rule reacts to one, so its targets keep their place in the flow they belong to.
        for (const target of Array.isArray(props.Targets) ? (props.Targets as { Arn?: unknown }[]) : []) {
          const reaction = props.EventPattern === undefined ? {} : { constraint: false };
          if (targetsOf(r.stackIndex, target?.Arn).length > 0) link(r.key, r.stackIndex, target.Arn, reaction);
          else linkTopicByName(r.key, target?.Arn, reaction);
        }
        break;
      case 'AWS::SNS::Topic':
        link(r.key, r.stackIndex, props.Subscription);
        break;
      case 'AWS::SNS::Subscription': {
        for (const topic of targetsOf(r.stackIndex, props.TopicArn)) {
          link(topic, r.stackIndex, props.Endpoint);
          link(topic, r.stackIndex, props.RedrivePolicy, { label: 'DLQ', dashed: true });
        }
        break;
      }
      case 'AWS::CloudWatch::Alarm':
        link(r.key, r.stackIndex, props.AlarmActions);
        break;
      case 'AWS::CodeStarNotifications::NotificationRule':
        for (const pipeline of targetsOf(r.stackIndex, props.Resource)) link(pipeline, r.stackIndex, props.Targets);
        break;
      case 'AWS::ApiGateway::ApiKey':
        // A key whose value is a secret's: whoever reads that secret can call the API.
        for (const secret of targetsOf(r.stackIndex, props.Value)) {
          if (resources.get(secret)?.resource.Type !== 'AWS::SecretsManager::Secret') continue;
          for (const api of apisOfKey(resources, targetsOf, r)) {
            addEdge(node(secret), node(api), { label: 'API key', dashed: true, constraint: false });
          }
        }
        break;
    }
  }

  // What the grants allow, on the edges: a grant labels the edge the references drew, or draws it. An edge
  // that already says more (a route, HTTPS, DLQ) keeps its label.
  for (const { principal, target, verbs, prefixes } of grants(resources, targetsOf, textOf)) {
    const [from, to] = [node(principal), node(target)];
    if (!from || !to || from === to) continue;
    const id = `${from}\u0000${to}`;
    const existing = edges.get(id);
    if (existing?.label) continue;
    if (verbs.size === 0) {
      addEdge(from, to);
      continue;
    }
    const words = VERB_ORDER.filter((v) => verbs.has(v)).join(', ');
    const label = prefixes.size > 0 ? `${words} ${[...prefixes].sort().join(', ')}` : words;
    edges.set(id, { ...existing, from, to, label });
  }

  // Customers call the API the stack's ApiUrl output names; without one, every API nothing inside calls.
  const apis = [...nodes.values()].filter((n) => n.service === 'API Gateway').map((n) => n.id);
  const published = stacks.flatMap(({ template }, stackIndex) =>
    Object.entries(template.Outputs ?? {})
      .filter(([name]) => name === 'ApiUrl')
      .flatMap(([, output]) => targetsOf(stackIndex, output.Value).map(node)),
  ).filter((id): id is string => !!id);
  const customerApis = apis.filter((api) => (published.length > 0 ? published.includes(api) : !calledApis.has(api)));
  for (const api of customerApis) addEdge(external(EXTERNAL.customers), api, { label: httpsTo(api) });

  const notifiers = functionsWithEnv(resources, /^SLACK_/).map(node).filter((id): id is string => !!id);
  for (const fn of notifiers) addEdge(fn, external(EXTERNAL.slack), { label: 'webhook' });
  for (const r of ofType('AWS::CodePipeline::Pipeline')) {
    const repo = sourceRepository(r.resource);
    if (repo && node(r.key)) addEdge(external(EXTERNAL.github, repo), node(r.key));
  }

  const graph = { nodes: [...nodes.values()], edges: [...edges.values()] };
  assignConcerns(graph, calledApis);
  return graph;
}

interface Grant {
  /** The function or state machine whose role holds the grant. */
  readonly principal: Key;
  readonly target: Key;
  readonly verbs: Set<string>;
  /** S3 key prefixes the grant is limited to, e.g. 'results/*'. */
  readonly prefixes: Set<string>;
}

/**
 * What each function and state machine may do to each resource, from the Allow statements of the IAM
 * policies (AWS::IAM::Policy, AWS::IAM::ManagedPolicy, a role's inline Policies) of the role it runs as.
 */
function grants(
  resources: Map<Key, IndexedResource>,
  targetsOf: (stackIndex: number, value: unknown) => Key[],
  textOf: (value: unknown) => string,
): Grant[] {
  const principalsByRole = new Map<Key, Key[]>();
  for (const r of resources.values()) {
    if (r.resource.Type !== 'AWS::Lambda::Function' && r.resource.Type !== 'AWS::StepFunctions::StateMachine') continue;
    const props = r.resource.Properties ?? {};
    for (const role of targetsOf(r.stackIndex, props.Role ?? props.RoleArn)) {
      principalsByRole.set(role, [...(principalsByRole.get(role) ?? []), r.key]);
    }
  }

  const byPair = new Map<string, Grant>();
  const allow = (principal: Key, stackIndex: number, document: unknown): void => {
    for (const statement of [(document as { Statement?: unknown } | undefined)?.Statement ?? []].flat()) {
      const s = statement as { Effect?: unknown; Action?: unknown; Resource?: unknown } | undefined;
      if (s?.Effect !== 'Allow') continue;
      const verbs = [s.Action].flat().map((a) => (typeof a === 'string' ? accessVerb(a) : undefined));
      for (const resource of [s.Resource].flat()) {
        // 'arn:...:s3:::${Bucket}/results/*' -> 'results/*'; '*' is the whole bucket.
        const prefix = /^[^/]*\/(.+)$/.exec(textOf(resource))?.[1];
        for (const target of targetsOf(stackIndex, resource)) {
          const id = `${principal}\u0000${target}`;
          const grant = byPair.get(id) ?? { principal, target, verbs: new Set<string>(), prefixes: new Set<string>() };
          for (const verb of verbs) if (verb) grant.verbs.add(verb);
          const isBucket = resources.get(target)?.resource.Type === 'AWS::S3::Bucket';
          if (isBucket && prefix && prefix !== '*') grant.prefixes.add(prefix);
          byPair.set(id, grant);
        }
      }
    }
  };
  for (const r of resources.values()) {
    const props = r.resource.Properties ?? {};
    if (r.resource.Type === 'AWS::IAM::Policy' || r.resource.Type === 'AWS::IAM::ManagedPolicy') {
      for (const role of targetsOf(r.stackIndex, props.Roles)) {
        for (const principal of principalsByRole.get(role) ?? []) allow(principal, r.stackIndex, props.PolicyDocument);
      }
    } else if (r.resource.Type === 'AWS::IAM::Role') {
      for (const principal of principalsByRole.get(r.key) ?? []) {
        for (const policy of [props.Policies ?? []].flat()) {
          allow(principal, r.stackIndex, (policy as { PolicyDocument?: unknown } | undefined)?.PolicyDocument);
        }
      }
    }
  }
  return [...byPair.values()];
}

/** The REST APIs a key belongs to: its StageKeys, or the usage plans it is added to. */
function apisOfKey(
  resources: Map<Key, IndexedResource>,
  targetsOf: (stackIndex: number, value: unknown) => Key[],
  key: IndexedResource,
): Key[] {
  const isApi = (k: Key) => resources.get(k)?.resource.Type === 'AWS::ApiGateway::RestApi';
  const apis = targetsOf(key.stackIndex, key.resource.Properties?.StageKeys).filter(isApi);
  for (const r of resources.values()) {
    if (r.resource.Type !== 'AWS::ApiGateway::UsagePlanKey') continue;
    if (!targetsOf(r.stackIndex, r.resource.Properties?.KeyId).includes(key.key)) continue;
    for (const plan of targetsOf(r.stackIndex, r.resource.Properties?.UsagePlanId)) {
      apis.push(...targetsOf(r.stackIndex, resources.get(plan)?.resource.Properties?.ApiStages).filter(isApi));
    }
  }
  return [...new Set(apis)];
}

function functionsWithEnv(resources: Map<Key, IndexedResource>, pattern: RegExp): Key[] {
  return [...resources.values()]
    .filter((r) => r.resource.Type === 'AWS::Lambda::Function' && Object.keys(envVariables(r.resource)).some((v) => pattern.test(v)))
    .map((r) => r.key);
}

/** '' when equal; the token of `a` that differs when they differ in exactly one '-' token; else undefined. */
function differingToken(a: string, b: string): string | undefined {
  if (a === b) return '';
  const [ta, tb] = [a.split('-'), b.split('-')];
  const diff = ta.filter((t, i) => t !== tb[i]);
  return ta.length === tb.length && diff.length === 1 ? diff[0] : undefined;
}

function envVariables(resource: CfnResource): Record<string, unknown> {
  const env = resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined;
  return env?.Variables ?? {};
}

function detailOf(resource: CfnResource): string | undefined {
  const props = resource.Properties ?? {};
  if (resource.Type === 'AWS::Events::Rule') {
    if (typeof props.ScheduleExpression === 'string') return props.ScheduleExpression;
    const pattern = props.EventPattern as { source?: unknown; detail?: { status?: unknown; state?: unknown } } | undefined;
    const states = pattern?.detail?.status ?? pattern?.detail?.state;
    if (Array.isArray(states)) return states.join(' | ');
    if (Array.isArray(pattern?.source)) return pattern.source.join(', ');
  }
  if (resource.Type === 'AWS::CodePipeline::Pipeline' && Array.isArray(props.Stages)) {
    return (props.Stages as { Name?: unknown }[])
      .map((s) => s.Name)
      .filter((n): n is string => typeof n === 'string')
      .join(' → ');
  }
  return undefined;
}

function sourceRepository(resource: CfnResource): string | undefined {
  for (const stage of (resource.Properties?.Stages as { Actions?: unknown[] }[] | undefined) ?? []) {
    for (const action of (stage.Actions ?? []) as { Configuration?: Record<string, unknown> }[]) {
      const repo = action.Configuration?.FullRepositoryId ?? action.Configuration?.Repo;
      if (typeof repo === 'string') return repo;
    }
  }
  return undefined;
}

/** '/orders/{id}' from a chain of AWS::ApiGateway::Resource PathParts. */
function apiPath(resources: Map<Key, IndexedResource>, stackIndex: number, resourceId: unknown): string {
  const parts: string[] = [];
  let current = resourceId;
  for (let depth = 0; depth < 20; depth++) {
    const [ref] = collectReferences(current).refs;
    const res = ref ? resources.get(keyOf(stackIndex, ref)) : undefined;
    if (!res || res.resource.Type !== 'AWS::ApiGateway::Resource') break;
    parts.unshift(String(res.resource.Properties?.PathPart ?? ''));
    current = res.resource.Properties?.ParentId;
  }
  return `/${parts.join('/')}`;
}

/**
 * Groups nodes by concern for the clusters: the anchors decide by type (an API the app itself calls is a
 * platform, not the product's API), rules join what they watch or start, functions follow whoever invokes
 * them, and data stores and secrets follow their users (a secret that is an API's key follows that API).
 */
function assignConcerns(graph: ArchitectureGraph, calledApis: ReadonlySet<string>): void {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const incoming = (id: string) => graph.edges.filter((e) => e.to === id).map((e) => byId.get(e.from)!);
  const outgoing = (id: string) => graph.edges.filter((e) => e.from === id).map((e) => byId.get(e.to)!);
  const unassigned = (service: Service) => graph.nodes.filter((n) => n.service === service && !n.concern);

  for (const n of graph.nodes) {
    if (n.concern) continue;
    if (n.service === 'API Gateway') n.concern = calledApis.has(n.id) ? 'platform' : 'api';
    else if (n.service === 'Step Functions') n.concern = 'run';
    else if (n.service === 'SNS' || n.service === 'SQS' || n.service === 'CloudWatch') n.concern = 'alerts';
    else if (n.service === 'CodePipeline') n.concern = 'deploy';
  }
  for (const n of unassigned('Secrets Manager')) {
    n.concern = outgoing(n.id).find((x) => x.service === 'API Gateway')?.concern;
  }
  // Rules: a pattern rule belongs with what it watches, a schedule with what it starts.
  for (const n of unassigned('EventBridge')) {
    n.concern = incoming(n.id).find((x) => x.concern)?.concern ?? outgoing(n.id).find((x) => x.concern)?.concern;
  }
  for (const n of unassigned('Lambda')) {
    n.concern = incoming(n.id).find((x) => x.concern)?.concern;
  }
  // A store several concerns share sits with the customers' API, where its data comes in.
  for (const n of graph.nodes.filter((x) => !x.concern && x.service !== 'External')) {
    const users = new Set(incoming(n.id).map((x) => x.concern));
    if (users.size === 1) n.concern = [...users][0];
    else if (users.has('api') && STORES.has(n.service)) n.concern = 'api';
  }
}

// DOT ------------------------------------------------------------------------------------------------------

const STYLE: Record<Service, { fill: string; border: string; shape?: string; style?: string }> = {
  'API Gateway': { fill: '#F3ECFF', border: '#8C4FFF' },
  Lambda: { fill: '#FFF1E0', border: '#ED7100' },
  DynamoDB: { fill: '#E8EAFB', border: '#3B48CC', shape: 'cylinder' },
  S3: { fill: '#EAF4E4', border: '#3F8624', shape: 'cylinder' },
  'Step Functions': { fill: '#FCE8F1', border: '#CD2264' },
  SNS: { fill: '#FCE8F1', border: '#E7157B' },
  SQS: { fill: '#FCE8F1', border: '#E7157B' },
  EventBridge: { fill: '#FCE8F1', border: '#E7157B' },
  'Secrets Manager': { fill: '#FBE9EB', border: '#DD344C' },
  CloudWatch: { fill: '#FCE8F1', border: '#E7157B' },
  CodePipeline: { fill: '#E8F0FB', border: '#3B48CC' },
  External: { fill: '#F2F2F2', border: '#666666', style: 'rounded,filled,dashed' },
};

const CLUSTERS: Record<Concern, string> = {
  api: 'Orders API',
  run: 'Auction run',
  platform: 'Auction platform (simulated)',
  alerts: 'Alerts',
  deploy: 'Deployment',
};

const quote = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
const html = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function nodeLine(n: GraphNode): string {
  const style = STYLE[n.service];
  const rows =
    n.service === 'External'
      ? [`<b>${html(n.name)}</b>`, ...(n.detail ? [`<font point-size="12">${html(n.detail)}</font>`] : [])]
      : [
          `<font point-size="12" color="#555555">${html(n.service)}</font>`,
          `<b>${html(n.name)}</b>`,
          ...(n.detail ? [`<font point-size="12">${html(n.detail)}</font>`] : []),
        ];
  const attrs = [
    `label=<${rows.join('<br/>')}>`,
    `fillcolor=${quote(style.fill)}`,
    `color=${quote(style.border)}`,
    ...(style.shape ? [`shape=${style.shape}`] : []),
    ...(style.style ? [`style=${quote(style.style)}`] : []),
  ];
  return `${quote(n.id)} [${attrs.join(', ')}];`;
}

/** Renders the graph as left-to-right DOT with one cluster per concern. */
export function toDot(graph: ArchitectureGraph, title = 'Energy-auction order pipeline'): string {
  const lines = [
    'digraph architecture {',
    '  rankdir=LR;',
    '  newrank=true;',
    '  nodesep=0.3; ranksep=0.5; pad=0.3;',
    `  labelloc=t; fontsize=24; fontname="DejaVu Sans"; label=${quote(title)};`,
    '  node [shape=box, style="rounded,filled", fontname="DejaVu Sans", fontsize=15, margin="0.15,0.06", penwidth=1.5];',
    '  edge [fontname="DejaVu Sans", fontsize=12, color="#555555", fontcolor="#333333", arrowsize=0.8];',
  ];
  for (const concern of Object.keys(CLUSTERS) as Concern[]) {
    const members = graph.nodes.filter((n) => n.concern === concern);
    if (members.length === 0) continue;
    lines.push(`  subgraph ${quote(`cluster_${concern}`)} {`);
    lines.push(`    label=${quote(CLUSTERS[concern])}; fontsize=17; style="rounded,dashed"; color="#999999";`);
    for (const n of members) lines.push(`    ${nodeLine(n)}`);
    lines.push('  }');
  }
  for (const n of graph.nodes.filter((x) => !x.concern)) lines.push(`  ${nodeLine(n)}`);
  for (const e of graph.edges) {
    const attrs = [
      ...(e.label ? [`label=${quote(e.label)}`] : []),
      ...(e.dashed ? ['style=dashed'] : []),
      ...(e.constraint === false ? ['constraint=false'] : []),
    ];
    lines.push(`  ${quote(e.from)} -> ${quote(e.to)}${attrs.length ? ` [${attrs.join(', ')}]` : ''};`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** Templates in, DOT out: the whole pure pipeline in one call. */
export function templatesToDot(stacks: readonly StackTemplate[], title?: string): string {
  return toDot(buildGraph(stacks), title);
}
