// Covers: assembly reading (stage selection, cross-stack imports), diagram nodes and edges from the fixture
// templates (API -> function -> table, schedule -> state machine -> functions, topic -> notifier -> Slack),
// skipped CDK helper functions, collapsed alarms, reference walking, and that Graphviz accepts the DOT.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { listStages, selectStacks, TOP_LEVEL } from '../../scripts/diagram/assembly';
import {
  buildGraph,
  collectReferences,
  isHelperFunction,
  readableName,
  templatesToDot,
  type ArchitectureGraph,
} from '../../scripts/diagram/graph';

const fixture = join(__dirname, '..', 'fixtures', 'diagram');
const root = join(__dirname, '..', '..');

const edgeLine = (from: string, to: string) => new RegExp(`^\\s*"${escape(from)}" -> "${escape(to)}"[ ;]`, 'm');
const nodeLine = (id: string) => new RegExp(`^\\s*"${escape(id)}" \\[label=`, 'm');
function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
const hasEdge = (g: ArchitectureGraph, from: string, to: string) => g.edges.some((e) => e.from === from && e.to === to);

describe('reading the cloud assembly', () => {
  it('lists nested stage assemblies with their display names', () => {
    expect(listStages(fixture).map((s) => s.name)).toEqual(['Local', 'Pipeline/Dev']);
  });

  it('draws Local by default, with the top-level pipeline stack', () => {
    const { stage, stacks } = selectStacks(fixture);
    expect(stage).toBe('Local');
    expect(stacks.map((s) => s.stackName)).toEqual(['Local-Data', 'Local-App', 'Pipeline']);
  });

  it('selects a stage by its last name part, or the top level, and leaves the pipeline out on request', () => {
    expect(selectStacks(fixture, 'Dev', false).stacks.map((s) => s.stackName)).toEqual(['Dev-Data']);
    expect(selectStacks(fixture, TOP_LEVEL).stacks.map((s) => s.stackName)).toEqual(['Pipeline']);
  });

  it('names the known stages when the wanted one is missing', () => {
    expect(() => selectStacks(fixture, 'Prod')).toThrow(/Stage 'Prod' not found .*Local, Pipeline\/Dev/);
  });
});

describe('diagram DOT from the fixture templates', () => {
  const { stacks } = selectStacks(fixture);
  const graph = buildGraph(stacks);
  const dot = templatesToDot(stacks, 'Test');

  it('has a node per interesting resource, named from its CDK path and labelled with its service', () => {
    for (const id of [
      'OrdersApi', 'PostOrdersFunction', 'OrdersTable', 'FetchResultsFunction', 'StoreResultFunction', 'OrderResultsBucket',
      'ResultsStateMachine', 'HourlySchedule', 'ExecutionFailedRule', 'AlertsTopic', 'SlackNotifierFunction',
      'NotifierDlq', 'SlackWebhook', 'Pipeline', 'Customers', 'Slack', 'Auction platform (simulated)',
    ]) {
      expect(dot).toMatch(nodeLine(id));
    }
    expect(dot).toMatch(/"PostOrdersFunction" \[label=<<font[^>]*>Lambda<\/font><br\/><b>PostOrdersFunction<\/b>>/);
    expect(dot).toMatch(/"OrdersTable" \[label=<<font[^>]*>DynamoDB</);
    expect(dot).toMatch(/"HourlySchedule" \[label=<.*rate\(1 hour\)/);
  });

  it('skips CDK helper functions and non-architecture resources', () => {
    const ids = graph.nodes.map((n) => n.id);
    expect(ids.filter((id) => /LogRetention|CustomResource|Provider|AWS679f/.test(id))).toEqual([]);
    expect(graph.nodes.filter((n) => n.service === 'Lambda').map((n) => n.id).sort()).toEqual([
      'FetchResultsFunction', 'PostOrdersFunction', 'SlackNotifierFunction', 'StoreResultFunction',
    ]);
    expect(ids).not.toContain('ArtifactsBucket');
    expect(ids).not.toEqual(expect.arrayContaining([expect.stringMatching(/Role|POST|orders$/)]));
  });

  it('links customers -> API -> function -> table, through the cross-stack import', () => {
    expect(dot).toMatch(edgeLine('Customers', 'OrdersApi'));
    expect(dot).toMatch(/"OrdersApi" -> "PostOrdersFunction" \[label="POST \/orders"\]/);
    expect(dot).toMatch(edgeLine('PostOrdersFunction', 'OrdersTable'));
  });

  it('links schedule -> state machine -> functions and topic, and the store function -> bucket', () => {
    expect(dot).toMatch(edgeLine('HourlySchedule', 'ResultsStateMachine'));
    expect(dot).toMatch(edgeLine('ResultsStateMachine', 'FetchResultsFunction'));
    expect(dot).toMatch(edgeLine('ResultsStateMachine', 'StoreResultFunction'));
    expect(dot).toMatch(edgeLine('ResultsStateMachine', 'AlertsTopic'));
    expect(dot).toMatch(edgeLine('StoreResultFunction', 'OrderResultsBucket'));
    expect(dot).toMatch(edgeLine('FetchResultsFunction', 'Auction platform (simulated)'));
  });

  it('links status rule -> topic -> notifier -> Slack, with its secret and dead-letter queue', () => {
    expect(dot).toMatch(edgeLine('ResultsStateMachine', 'ExecutionFailedRule'));
    expect(dot).toMatch(edgeLine('ExecutionFailedRule', 'AlertsTopic'));
    expect(dot).toMatch(edgeLine('AlertsTopic', 'SlackNotifierFunction'));
    expect(dot).toMatch(edgeLine('SlackNotifierFunction', 'Slack'));
    expect(dot).toMatch(edgeLine('SlackNotifierFunction', 'SlackWebhook'));
    expect(dot).toMatch(/"SlackNotifierFunction" -> "NotifierDlq" \[label="DLQ", style=dashed\]/);
  });

  it('collapses the alarms into one node that feeds the topic (Ref and Fn::Sub both count)', () => {
    const alarms = graph.nodes.filter((n) => n.service === 'CloudWatch');
    expect(alarms).toEqual([expect.objectContaining({ id: 'CloudWatch alarms', detail: '2 alarms' })]);
    expect(dot).toMatch(edgeLine('CloudWatch alarms', 'AlertsTopic'));
  });

  it('draws the deployment pipeline with its source repository, stages and failure alerts', () => {
    expect(dot).toMatch(/"GitHub" \[label=<<b>GitHub<\/b><br\/><font[^>]*>energy-trading\/energy-auction-pipeline</);
    expect(dot).toMatch(edgeLine('GitHub', 'Pipeline'));
    expect(dot).toMatch(/"Pipeline" \[label=<.*Source → Build → UpdatePipeline → Dev → Prod/);
    expect(dot).toMatch(/"Pipeline" -> "PipelineFailed" \[style=dashed\]/);
    // The rule names the Dev topic by ARN; it is drawn to the same topic of the drawn stage.
    expect(dot).toMatch(/"PipelineFailed" -> "AlertsTopic" \[label="dev stage", style=dashed\]/);
  });

  it('draws no edge the templates do not imply', () => {
    expect(hasEdge(graph, 'PostOrdersFunction', 'OrderResults')).toBe(false);
    expect(hasEdge(graph, 'HourlySchedule', 'AlertsTopic')).toBe(false);
    expect(graph.edges.filter((e) => e.to === 'Slack').map((e) => e.from)).toEqual(['SlackNotifierFunction']);
  });

  it('groups nodes into Orders API / Results pipeline / Alerts clusters, left to right', () => {
    const concern = (id: string) => graph.nodes.find((n) => n.id === id)?.concern;
    expect(['OrdersApi', 'PostOrdersFunction', 'OrdersTable'].map(concern)).toEqual(['api', 'api', 'api']);
    expect(['ResultsStateMachine', 'FetchResultsFunction', 'StoreResultFunction', 'OrderResultsBucket', 'HourlySchedule'].map(concern))
      .toEqual(['pipeline', 'pipeline', 'pipeline', 'pipeline', 'pipeline']);
    expect(['AlertsTopic', 'SlackNotifierFunction', 'NotifierDlq', 'SlackWebhook', 'ExecutionFailedRule'].map(concern))
      .toEqual(['alerts', 'alerts', 'alerts', 'alerts', 'alerts']);
    expect(dot).toMatch(/rankdir=LR/);
    expect(dot).toMatch(/subgraph "cluster_api" \{\s*label="Orders API"/);
    expect(dot).toMatch(/subgraph "cluster_pipeline" \{\s*label="Results pipeline"/);
    expect(dot).toMatch(/subgraph "cluster_alerts" \{\s*label="Alerts"/);
  });

  it('is valid DOT that Graphviz lays out with every node', () => {
    // @hpcc-js/wasm-graphviz is ESM-only, so lay out in a child Node process rather than inside Jest's CJS.
    const script =
      "import { Graphviz } from '@hpcc-js/wasm-graphviz';" +
      "let dot = ''; for await (const c of process.stdin) dot += c;" +
      "const g = JSON.parse((await Graphviz.load()).layout(dot, 'json', 'dot'));" +
      'console.log(JSON.stringify(g.objects.filter((o) => !o.name.startsWith("cluster_")).map((o) => o.name)));';
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, input: dot });
    expect((JSON.parse(out.toString()) as string[]).sort()).toEqual(graph.nodes.map((n) => n.id).sort());
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

  it('names resources from the CDK path, skipping generic construct ids', () => {
    const meta = (path: string) => ({ Type: 'AWS::Lambda::Function', Metadata: { 'aws:cdk:path': path } });
    expect(readableName('X', meta('Local/App/PostOrdersFunction/Resource'))).toBe('PostOrdersFunction');
    expect(readableName('X', meta('Local/App/FetchResults/Function/Resource'))).toBe('FetchResultsFunction');
    expect(readableName('X', meta('Local/Data/Orders/Table/Resource'))).toBe('OrdersTable');
    expect(readableName('X', meta('Local/App/OrdersApi/Api/Resource'))).toBe('OrdersApi');
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
