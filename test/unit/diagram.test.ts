// Covers: assembly reading (stages, pipeline stack, cross-stack imports); Local with the simulated platform (HTTP calls from execute-api URLs, customers from ApiUrl, IAM-labelled reads/writes, clusters); Prod with an external platform; inline customer/platform rules; helpers; valid DOT.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { listStages, selectStacks, TOP_LEVEL } from '../../scripts/diagram/assembly';
import {
  accessVerb,
  buildGraph,
  collectReferences,
  isHelperFunction,
  readableName,
  renderText,
  templatesToDot,
  type ArchitectureGraph,
  type CfnResource,
  type StackTemplate,
} from '../../scripts/diagram/graph';

const fixture = join(__dirname, '..', 'fixtures', 'diagram');
const root = join(__dirname, '..', '..');

const edge = (g: ArchitectureGraph, from: string, to: string) => g.edges.find((e) => e.from === from && e.to === to);
const into = (g: ArchitectureGraph, to: string) => g.edges.filter((e) => e.to === to).map((e) => e.from).sort();
const concernOf = (g: ArchitectureGraph) => (id: string) => g.nodes.find((n) => n.id === id)?.concern;
const RUN_FUNCTIONS = [
  'CloseAuctionFunction', 'SubmitOrdersFunction', 'FetchResultsFunction', 'StoreResultFunction', 'FinalizeAuctionFunction',
];

/** Lays the DOT out with Graphviz and answers the names of the nodes it placed. */
function layoutNodeNames(dot: string): string[] {
  // @hpcc-js/wasm-graphviz is ESM-only, so lay out in a child Node process rather than inside Jest's CJS.
  const script =
    "import { Graphviz } from '@hpcc-js/wasm-graphviz';" +
    "let dot = ''; for await (const c of process.stdin) dot += c;" +
    "const g = JSON.parse((await Graphviz.load()).layout(dot, 'json', 'dot'));" +
    'console.log(JSON.stringify(g.objects.filter((o) => !o.name.startsWith("cluster_")).map((o) => o.name)));';
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, input: dot });
  return (JSON.parse(out.toString()) as string[]).sort();
}

describe('reading the cloud assembly', () => {
  it('lists nested stage assemblies with their display names', () => {
    expect(listStages(fixture).map((s) => s.name)).toEqual(['Local', 'Pipeline/Dev', 'Pipeline/Prod']);
  });

  it('draws Local by default, with the top-level pipeline stack', () => {
    const { stage, stacks } = selectStacks(fixture);
    expect(stage).toBe('Local');
    expect(stacks.map((s) => s.stackName)).toEqual(['energy-auction-local', 'Pipeline']);
  });

  it('selects a stage by its last name part, or the top level, and leaves the pipeline out on request', () => {
    expect(selectStacks(fixture, 'Dev', false).stacks.map((s) => s.stackName)).toEqual(['Dev-Data']);
    expect(selectStacks(fixture, 'Prod').stacks.map((s) => s.stackName)).toEqual(['Prod-Data', 'Prod-App', 'Pipeline']);
    expect(selectStacks(fixture, TOP_LEVEL).stacks.map((s) => s.stackName)).toEqual(['Pipeline']);
  });

  it('names the known stages when the wanted one is missing', () => {
    expect(() => selectStacks(fixture, 'Staging')).toThrow(/Stage 'Staging' not found .*Local, Pipeline\/Dev, Pipeline\/Prod/);
  });
});

describe('Local: the app with its simulated auction platform', () => {
  const { stacks } = selectStacks(fixture);
  const graph = buildGraph(stacks);
  const dot = templatesToDot(stacks, 'Test');
  const concern = concernOf(graph);

  it('has a node per architecture resource, named from its CDK path, and no CDK helper functions', () => {
    expect(graph.nodes.filter((n) => n.service === 'Lambda').map((n) => n.id).sort()).toEqual([
      'AuctionPlatformFunction', 'GetOrderFunction', 'PostOrdersFunction', 'SlackNotifierFunction', ...RUN_FUNCTIONS,
    ].sort());
    expect(graph.nodes.filter((n) => n.service === 'API Gateway').map((n) => n.id).sort()).toEqual(['AuctionPlatformApi', 'OrdersApi']);
    expect(graph.nodes.filter((n) => n.service === 'External').map((n) => n.id).sort()).toEqual(['Customers', 'GitHub', 'Slack']);
    expect(graph.nodes.find((n) => n.id === 'Schedule')).toMatchObject({ service: 'EventBridge', detail: 'cron(0 * * * ? *)' });
    expect(dot).toMatch(/"PostOrdersFunction" \[label=<<font[^>]*>Lambda<\/font><br\/><b>PostOrdersFunction<\/b>>/);
  });

  it('has customers call only the API the ApiUrl output names, with their API key', () => {
    expect(edge(graph, 'Customers', 'OrdersApi')).toMatchObject({ label: 'HTTPS + API key' });
    expect(edge(graph, 'Customers', 'AuctionPlatformApi')).toBeUndefined();
    expect(graph.edges.filter((e) => e.from === 'Customers').map((e) => e.to)).toEqual(['OrdersApi']);
  });

  it('labels the API edges with their routes, one line per route', () => {
    expect(edge(graph, 'OrdersApi', 'PostOrdersFunction')?.label).toBe('POST /orders');
    expect(edge(graph, 'OrdersApi', 'GetOrderFunction')?.label).toBe('GET /orders/{record_id}');
    expect(edge(graph, 'AuctionPlatformApi', 'AuctionPlatformFunction')?.label).toBe(
      'PUT /auctions/{auction_id}/batches/{batch_id}\nGET /auctions/{auction_id}/results',
    );
    expect(dot).toContain('label="PUT /auctions/{auction_id}/batches/{batch_id}\\nGET /auctions/{auction_id}/results"');
  });

  it('draws an HTTP call where a function environment resolves to the platform API execute-api URL, and only there', () => {
    expect(into(graph, 'AuctionPlatformApi')).toEqual(['ApiKey', 'FetchResultsFunction', 'SubmitOrdersFunction']);
    expect(edge(graph, 'SubmitOrdersFunction', 'AuctionPlatformApi')).toMatchObject({ label: 'HTTPS + API key' });
    expect(edge(graph, 'FetchResultsFunction', 'AuctionPlatformApi')).toMatchObject({ label: 'HTTPS + API key' });
    // The platform key is the secret the callers read; it feeds the API without ordering the flow.
    expect(edge(graph, 'ApiKey', 'AuctionPlatformApi')).toEqual(expect.objectContaining({ dashed: true, constraint: false }));
    expect(into(graph, 'ApiKey')).toEqual(['FetchResultsFunction', 'SubmitOrdersFunction']);
    expect(edge(graph, 'SubmitOrdersFunction', 'ApiKey')?.label).toBe('reads');
  });

  it('labels reads, writes and publishes from the IAM grants, with the S3 key prefixes', () => {
    expect(Object.fromEntries(into(graph, 'OrdersTable').map((from) => [from, edge(graph, from, 'OrdersTable')?.label]))).toEqual({
      CloseAuctionFunction: 'writes',
      FinalizeAuctionFunction: 'reads, writes',
      GetOrderFunction: 'reads',
      PostOrdersFunction: 'reads, writes',
      StoreResultFunction: 'writes',
      SubmitOrdersFunction: 'reads, writes',
    });
    expect(edge(graph, 'StoreResultFunction', 'ResultsBucket')?.label).toBe('writes results/*');
    expect(edge(graph, 'FetchResultsFunction', 'ResultsBucket')?.label).toBe('writes runs/*');
    expect(edge(graph, 'AuctionRunStateMachine', 'ResultsBucket')?.label).toBe('reads');
    expect(edge(graph, 'AuctionPlatformFunction', 'State')?.label).toBe('reads, writes auctions/*');
    expect(edge(graph, 'FinalizeAuctionFunction', 'AlertsTopic')?.label).toBe('publishes');
    expect(edge(graph, 'SlackNotifierFunction', 'SlackWebhook')?.label).toBe('reads');
  });

  it('runs schedule -> state machine -> the five run functions; EndedRuns watches the run and targets the topic and finalize', () => {
    expect(edge(graph, 'Schedule', 'AuctionRunStateMachine')).toBeDefined();
    expect(graph.edges.filter((e) => e.from === 'AuctionRunStateMachine' && !e.label && !e.dashed).map((e) => e.to).sort())
      .toEqual([...RUN_FUNCTIONS].sort());
    expect(edge(graph, 'AuctionRunStateMachine', 'EndedRuns')).toMatchObject({ dashed: true });
    expect(graph.edges.filter((e) => e.from === 'EndedRuns').map((e) => e.to).sort()).toEqual(['AlertsTopic', 'FinalizeAuctionFunction']);
  });

  it('delivers alerts topic -> notifier -> Slack, with dead-letter queue and the collapsed alarms', () => {
    expect(edge(graph, 'AlertsTopic', 'SlackNotifierFunction')).toBeDefined();
    expect(edge(graph, 'SlackNotifierFunction', 'Slack')?.label).toBe('webhook');
    expect(edge(graph, 'SlackNotifierFunction', 'DeadLetterQueue')).toMatchObject({ label: 'DLQ', dashed: true });
    expect(edge(graph, 'AlertsTopic', 'DeadLetterQueue')).toMatchObject({ label: 'DLQ', dashed: true });
    expect(graph.nodes.filter((n) => n.service === 'CloudWatch')).toEqual([expect.objectContaining({ id: 'CloudWatch alarms', detail: '2 alarms' })]);
    expect(edge(graph, 'CloudWatch alarms', 'AlertsTopic')).toBeDefined();
  });

  it('draws the deployment pipeline with its source repository, stages and failure alerts', () => {
    expect(dot).toMatch(/"GitHub" \[label=<<b>GitHub<\/b><br\/><font[^>]*>energy-trading\/energy-auction-pipeline</);
    expect(edge(graph, 'GitHub', 'Pipeline')).toBeDefined();
    expect(dot).toMatch(/"Pipeline" \[label=<.*Source → Build → UpdatePipeline → Dev → Prod/);
    // The rule names the Dev topic by ARN; it is drawn to the same topic of the drawn stage.
    expect(edge(graph, 'PipelineFailed', 'AlertsTopic')).toMatchObject({ label: 'dev stage', dashed: true });
  });

  it('draws no edge the templates do not imply', () => {
    expect(graph.nodes.map((n) => n.id)).not.toContain('Auction platform (simulated)');
    expect(graph.edges.filter((e) => e.label?.startsWith('HTTPS')).map((e) => e.from).sort())
      .toEqual(['Customers', 'FetchResultsFunction', 'SubmitOrdersFunction']);
    expect(graph.edges.filter((e) => e.from === e.to)).toEqual([]);
    expect(into(graph, 'Slack')).toEqual(['SlackNotifierFunction']);
    expect(into(graph, 'State')).toEqual(['AuctionPlatformFunction']);
    expect(edge(graph, 'PostOrdersFunction', 'ResultsBucket')).toBeUndefined();
    expect(edge(graph, 'Schedule', 'AlertsTopic')).toBeUndefined();
  });

  it('groups nodes into Orders API / Auction run / Auction platform (simulated) / Alerts / Deployment', () => {
    expect(['Customers', 'Slack', 'GitHub'].map(concern)).toEqual([undefined, undefined, undefined]);
    expect(['OrdersApi', 'PostOrdersFunction', 'GetOrderFunction', 'OrdersTable'].map(concern)).toEqual(['api', 'api', 'api', 'api']);
    expect(['Schedule', 'AuctionRunStateMachine', 'EndedRuns', 'ResultsBucket', ...RUN_FUNCTIONS].map(concern))
      .toEqual(Array(9).fill('run'));
    expect(['AuctionPlatformApi', 'AuctionPlatformFunction', 'State', 'ApiKey'].map(concern)).toEqual(Array(4).fill('platform'));
    expect(['AlertsTopic', 'SlackNotifierFunction', 'DeadLetterQueue', 'SlackWebhook', 'CloudWatch alarms'].map(concern))
      .toEqual(Array(5).fill('alerts'));
    expect(['Pipeline', 'PipelineFailed'].map(concern)).toEqual(['deploy', 'deploy']);
    const clusters = [...dot.matchAll(/subgraph "cluster_(\w+)" \{\s*label="([^"]+)"/g)].map((m) => `${m[1]}: ${m[2]}`);
    expect(clusters).toEqual([
      'api: Orders API', 'run: Auction run', 'platform: Auction platform (simulated)', 'alerts: Alerts', 'deploy: Deployment',
    ]);
    expect(dot).toMatch(/rankdir=LR/);
    expect(dot).toMatch(/"EndedRuns" -> "FinalizeAuctionFunction" \[constraint=false\];/);
  });

  it('is valid DOT that Graphviz lays out with every node', () => {
    expect(layoutNodeNames(dot)).toEqual(graph.nodes.map((n) => n.id).sort());
  });
});

describe('Prod: an external auction platform, resources split over two stacks', () => {
  const { stacks } = selectStacks(fixture, 'Prod', false);
  const graph = buildGraph(stacks);
  const dot = templatesToDot(stacks);

  it('draws the platform outside the app, named from its URL host, and no platform cluster', () => {
    const platform = graph.nodes.find((n) => n.id === 'Auction platform');
    expect(platform).toMatchObject({ service: 'External', detail: 'auction-platform.example.com/v1/' });
    expect(platform?.concern).toBeUndefined();
    expect(into(graph, 'Auction platform')).toEqual(['FetchResultsFunction', 'SubmitOrdersFunction']);
    expect(edge(graph, 'SubmitOrdersFunction', 'Auction platform')?.label).toBe('HTTPS');
    expect(graph.nodes.some((n) => n.concern === 'platform')).toBe(false);
    expect(dot).not.toContain('cluster_platform');
    expect(concernOf(graph)('ApiKey')).toBe('run');
  });

  it('follows imports across stacks and reads grants from policies, inline role policies and managed policies', () => {
    expect(edge(graph, 'PostOrdersFunction', 'OrdersTable')?.label).toBe('reads, writes');
    expect(edge(graph, 'SubmitOrdersFunction', 'OrdersTable')?.label).toBe('writes');
    expect(edge(graph, 'SubmitOrdersFunction', 'ApiKey')?.label).toBe('reads');
    expect(edge(graph, 'FetchResultsFunction', 'ResultsBucket')?.label).toBe('writes runs/*');
    expect(['OrdersTable', 'ResultsBucket'].map(concernOf(graph))).toEqual(['api', 'run']);
  });

  it('has customers call the API nothing inside calls when there is no ApiUrl output', () => {
    expect(graph.edges.filter((e) => e.from === 'Customers')).toEqual([{ from: 'Customers', to: 'OrdersApi', label: 'HTTPS' }]);
  });

  it('is valid DOT that Graphviz lays out with every node', () => {
    expect(layoutNodeNames(dot)).toEqual(graph.nodes.map((n) => n.id).sort());
  });
});

describe('which API customers call, and which is a platform', () => {
  const api = (path: string): CfnResource => ({ Type: 'AWS::ApiGateway::RestApi', Metadata: { 'aws:cdk:path': path } });
  const url = (apiId: string) => ({ 'Fn::Join': ['', ['https://', { Ref: apiId }, '.execute-api.eu-west-1.', { Ref: 'AWS::URLSuffix' }, '/v1/']] });
  const fn = (path: string, env: Record<string, unknown> = {}): CfnResource => ({
    Type: 'AWS::Lambda::Function', Properties: { Environment: { Variables: env } }, Metadata: { 'aws:cdk:path': path },
  });

  it('takes the ApiUrl output over the uncalled-API rule', () => {
    const stacks: StackTemplate[] = [{
      stackName: 'S',
      template: {
        Resources: { A: api('S/Admin/Api/Resource'), B: api('S/Public/Api/Resource') },
        Outputs: { ApiUrl: { Value: url('B') }, AdminUrl: { Value: url('A') } },
      },
    }];
    const g = buildGraph(stacks);
    expect(g.edges.filter((e) => e.from === 'Customers').map((e) => e.to)).toEqual(['PublicApi']);
    expect(concernOf(g)('AdminApi')).toBe('api');
  });

  it('sees an HTTP call through an imported execute-api URL, and makes the called API a platform', () => {
    const stacks: StackTemplate[] = [
      {
        stackName: 'Platform',
        template: {
          Resources: { P: api('Platform/Auction/Api/Resource'), O: api('Platform/Orders/Api/Resource') },
          Outputs: { Url: { Value: url('P'), Export: { Name: 'Platform:Url' } } },
        },
      },
      { stackName: 'Run', template: { Resources: { F: fn('Run/Caller/Resource', { BASE: { 'Fn::ImportValue': 'Platform:Url' } }) } } },
    ];
    const g = buildGraph(stacks);
    expect(edge(g, 'Caller', 'AuctionApi')?.label).toBe('HTTPS');
    expect(g.edges.filter((e) => e.from === 'Customers').map((e) => e.to)).toEqual(['OrdersApi']);
    expect(['AuctionApi', 'OrdersApi'].map(concernOf(g))).toEqual(['platform', 'api']);
  });
});

describe('template helpers', () => {
  it('finds Ref, Fn::GetAtt (both forms), Fn::Sub and Fn::ImportValue, ignoring pseudo parameters', () => {
    const { refs, imports } = collectReferences({
      a: { Ref: 'Table1' },
      b: [{ 'Fn::GetAtt': ['Fn1', 'Arn'] }, { 'Fn::GetAtt': 'Queue1.Arn' }],
      c: { 'Fn::Join': ['', [{ Ref: 'AWS::Region' }, { 'Fn::Sub': 'arn:${AWS::Partition}:${Topic1}:${!Literal}' }]] },
      d: { 'Fn::Sub': ['${Local}-${Bucket1.Arn}', { Local: { Ref: 'Secret1' } }] },
      e: { 'Fn::ImportValue': 'Stack:Export1' },
    });
    expect([...refs].sort()).toEqual(['Bucket1', 'Fn1', 'Queue1', 'Secret1', 'Table1', 'Topic1']);
    expect([...imports]).toEqual(['Stack:Export1']);
  });

  it('renders a value as text with references as placeholders, imports through the resolver', () => {
    expect(renderText({ 'Fn::Join': ['', ['https://', { Ref: 'Api' }, '.execute-api.', { Ref: 'AWS::URLSuffix' }, '/']] }))
      .toBe('https://${Api}.execute-api.${AWS::URLSuffix}/');
    expect(renderText({ 'Fn::Join': ['/', [{ 'Fn::GetAtt': ['Bucket', 'Arn'] }, 'runs', '*']] })).toBe('${Bucket.Arn}/runs/*');
    expect(renderText({ 'Fn::ImportValue': 'X' }, (name) => `<${name}>`)).toBe('<X>');
    expect(renderText({ 'Fn::Sub': 'arn:${AWS::Partition}:sns' })).toBe('arn:${AWS::Partition}:sns');
  });

  it('tells reads, writes and publishes apart by IAM action, and leaves plumbing unnamed', () => {
    expect(['dynamodb:GetItem', 'dynamodb:Query', 's3:ListBucket', 'secretsmanager:GetSecretValue', 's3:GetObject*'].map(accessVerb))
      .toEqual(Array(5).fill('reads'));
    expect(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem', 's3:DeleteObject'].map(accessVerb))
      .toEqual(Array(4).fill('writes'));
    expect(['sns:Publish', 'sqs:SendMessage'].map(accessVerb)).toEqual(['publishes', 'sends']);
    expect(['lambda:InvokeFunction', 'xray:PutTraceSegments', 'logs:PutLogEvents', 'kms:GenerateDataKey*'].map(accessVerb))
      .toEqual(Array(4).fill(undefined));
  });

  it('names resources from the CDK path, skipping generic construct ids', () => {
    const meta = (path: string) => ({ Type: 'AWS::Lambda::Function', Metadata: { 'aws:cdk:path': path } });
    expect(readableName('X', meta('Local/App/PostOrdersFunction/Resource'))).toBe('PostOrdersFunction');
    expect(readableName('X', meta('Local/App/FetchResults/Function/Resource'))).toBe('FetchResultsFunction');
    expect(readableName('X', meta('Local/Data/Orders/Table/Resource'))).toBe('OrdersTable');
    expect(readableName('X', meta('Local/Auction/AuctionPlatform/Api/Resource'))).toBe('AuctionPlatformApi');
    expect(readableName('AlertsTopic7D8E9F0A', { Type: 'AWS::SNS::Topic' })).toBe('AlertsTopic');
  });

  it('recognizes CDK helper functions by logical id or path', () => {
    const fn = (path?: string) => ({ Type: 'AWS::Lambda::Function', Metadata: path ? { 'aws:cdk:path': path } : {} });
    expect(isHelperFunction('LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8aFD4BFC8A', fn())).toBe(true);
    expect(isHelperFunction('CustomS3AutoDeleteObjectsCustomResourceProviderHandler9D90184F', fn())).toBe(true);
    expect(isHelperFunction('Handler886CB40B', fn('Stage/Stack/Custom::CDKBucketDeployment/Provider/Handler'))).toBe(true);
    expect(isHelperFunction('PostOrdersFunction3D4E5F6A', fn('Local/App/PostOrdersFunction/Resource'))).toBe(false);
  });
});
