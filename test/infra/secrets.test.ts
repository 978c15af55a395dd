// Scenarios: in the Local stage, pipeline and Dev/Prod stage templates — no secret-shaped text (Slack webhook/tokens, AWS keys, private keys, GitHub tokens, credentials in URLs) anywhere; no Lambda env var carries a secret (secret-named vars are references ending _ARN/_NAME/_ID); the Slack secret is used only by Ref (its ARN) from the notifier env, IAM and outputs, never by value or dynamic reference; secrets have no SecretString; API keys have no Value; the checker flags planted secrets.
import { Stack, Stage } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { synthAuctionStack, synthPipelineStack } from './synth';

type Json = unknown;
type Resources = Record<string, { Type: string; Properties?: Record<string, Json> }>;
interface NamedTemplate {
  readonly name: string;
  readonly json: { Resources: Resources; Outputs?: Record<string, { Value: Json }> };
}

/** Shapes of common credentials; any match in a template means a secret was committed to it. */
const SECRET_SHAPES: ReadonlyArray<{ name: string; pattern: RegExp }> = [
  { name: 'Slack webhook URL', pattern: /https:\/\/hooks\.slack\.com\//i },
  { name: 'Slack token', pattern: /xox[baprs]-[0-9A-Za-z-]+/ },
  { name: 'AWS access key id', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { name: 'private key', pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ },
  { name: 'GitHub token', pattern: /\bgh[pousr]_[A-Za-z0-9]{36}\b/ },
  { name: 'credentials in a URL', pattern: /[a-z][a-z0-9+.-]*:\/\/[^/\s:@"]+:[^/\s@"]+@/i },
  { name: 'CloudFormation dynamic secret reference', pattern: /\{\{resolve:(?:secretsmanager|ssm-secure):/ },
];

/** Environment variable names that would hold a secret if their value were a literal. */
const SECRET_LIKE_NAME = /SECRET|TOKEN|PASSWORD|PASSWD|API_?KEY|WEBHOOK|PRIVATE_?KEY|CREDENTIAL/i;
/** Such a variable may only point at the secret (its ARN, name or id), never carry it. */
const POINTER_NAME = /_(ARN|NAME|ID)$/;

function secretShapesIn(text: string): string[] {
  return SECRET_SHAPES.filter(({ pattern }) => pattern.test(text)).map(({ name }) => name);
}

function lambdaEnvironments(template: NamedTemplate): Array<{ where: string; name: string; value: Json }> {
  return Object.entries(template.json.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
    .flatMap(([logicalId, resource]) => {
      const variables = ((resource.Properties?.Environment as { Variables?: Record<string, Json> } | undefined)?.Variables ?? {});
      return Object.entries(variables).map(([name, value]) => ({ where: `${template.name} ${logicalId}`, name, value }));
    });
}

/** Problems with one environment variable, empty when it is fine. */
function environmentProblems(name: string, value: Json): string[] {
  const problems = secretShapesIn(JSON.stringify(value)).map((shape) => `value looks like a ${shape}`);
  if (SECRET_LIKE_NAME.test(name)) {
    if (typeof value === 'string') problems.push('secret-like name with a literal value');
    if (!POINTER_NAME.test(name)) problems.push('secret-like name that does not end in _ARN, _NAME or _ID');
  }
  return problems;
}

/** Every JSON path at which `logicalId` is referenced, with how (Ref or GetAtt). */
function referencesTo(logicalId: string, value: Json, path = ''): Array<{ path: string; how: 'Ref' | 'GetAtt' }> {
  if (value === null || typeof value !== 'object') return [];
  const object = value as Record<string, Json>;
  const here: Array<{ path: string; how: 'Ref' | 'GetAtt' }> = [];
  if (object.Ref === logicalId) here.push({ path, how: 'Ref' });
  if (Array.isArray(object['Fn::GetAtt']) && object['Fn::GetAtt'][0] === logicalId) here.push({ path, how: 'GetAtt' });
  return [...here, ...Object.entries(object).flatMap(([key, child]) => referencesTo(logicalId, child, `${path}/${key}`))];
}

function resourcesOfType(template: NamedTemplate, type: string): Array<[string, Record<string, Json>]> {
  return Object.entries(template.json.Resources)
    .filter(([, resource]) => resource.Type === type)
    .map(([logicalId, resource]) => [logicalId, resource.Properties ?? {}]);
}

let templates: NamedTemplate[];
let auctionTemplates: NamedTemplate[];

beforeAll(() => {
  const pipeline = synthPipelineStack().stack;
  const stageStack = (stageName: string) => (pipeline.node.findChild(stageName) as Stage).node.findChild('Auction') as Stack;
  const named = (name: string, template: Template): NamedTemplate => ({ name, json: template.toJSON() as NamedTemplate['json'] });
  auctionTemplates = [
    named('Local/Auction', synthAuctionStack().template),
    named('Pipeline/Dev/Auction', Template.fromStack(stageStack('Dev'))),
    named('Pipeline/Prod/Auction', Template.fromStack(stageStack('Prod'))),
  ];
  templates = [...auctionTemplates, named('Pipeline', Template.fromStack(pipeline))];
});

describe('no secret in any template', () => {
  test('no template text has a secret shape', () => {
    const found = templates.flatMap((template) => secretShapesIn(JSON.stringify(template.json)).map((shape) => `${template.name}: ${shape}`));

    expect(found).toEqual([]);
  });

  test('no Lambda environment variable carries a secret', () => {
    const environments = auctionTemplates.flatMap(lambdaEnvironments);
    const problems = environments.flatMap(({ where, name, value }) => environmentProblems(name, value).map((problem) => `${where} ${name}: ${problem}`));

    expect(environments.length).toBeGreaterThan(10);
    expect(problems).toEqual([]);
    expect(environments.map(({ name }) => name)).not.toContain('SLACK_WEBHOOK_URL');
  });
});

describe('Slack webhook secret', () => {
  test.each(['Local/Auction', 'Pipeline/Dev/Auction', 'Pipeline/Prod/Auction'])('%s: is generated, with no SecretString in the template', (name) => {
    const template = auctionTemplates.find((candidate) => candidate.name === name)!;
    const secrets = resourcesOfType(template, 'AWS::SecretsManager::Secret');

    expect(secrets).toHaveLength(1);
    const [, props] = secrets[0];
    expect(props.SecretString).toBeUndefined();
    expect(props.GenerateSecretString).toBeDefined();
    expect(props.Name).toMatch(/\/slack-webhook$/);
  });

  test.each(['Local/Auction', 'Pipeline/Dev/Auction', 'Pipeline/Prod/Auction'])('%s: is referenced only by ARN from the notifier env, IAM and outputs', (name) => {
    const template = auctionTemplates.find((candidate) => candidate.name === name)!;
    const [[secretId]] = resourcesOfType(template, 'AWS::SecretsManager::Secret');
    const [[notifierId]] = Object.entries(template.json.Resources).filter(
      ([, resource]) => resource.Type === 'AWS::Lambda::Function' && JSON.stringify(resource.Properties?.Environment ?? {}).includes(`"Ref":"${secretId}"`),
    );

    const references = referencesTo(secretId, template.json);

    // Ref on a Secret is its ARN; a GetAtt or a reference from anywhere else would be a new way to reach it.
    expect(references.every(({ how }) => how === 'Ref')).toBe(true);
    expect(references.map(({ path }) => path)).toContain(`/Resources/${notifierId}/Properties/Environment/Variables/SLACK_WEBHOOK_SECRET_ARN`);
    for (const { path } of references) {
      expect(path).toMatch(
        new RegExp(`^(/Resources/${notifierId}/Properties/Environment/Variables/\\w+_ARN|/Resources/\\w+/Properties/PolicyDocument/Statement/\\d+/Resource(/\\d+)?|/Outputs/\\w+/Value)$`),
      );
    }
  });
});

describe('API key', () => {
  test('no API key value is in any template; only its id is output', () => {
    const keys = templates.flatMap((template) => resourcesOfType(template, 'AWS::ApiGateway::ApiKey').map(([logicalId, props]) => ({ template, logicalId, props })));

    expect(keys).toHaveLength(auctionTemplates.length);
    for (const { template, logicalId, props } of keys) {
      expect(props.Value).toBeUndefined();
      // A Ref to an API key is its id; nothing in the template can read the value.
      expect(referencesTo(logicalId, template.json).every(({ how }) => how === 'Ref')).toBe(true);
    }
  });
});

describe('the checker itself', () => {
  test('flags planted secrets in values and names', () => {
    expect(environmentProblems('SLACK_WEBHOOK_URL', 'https://hooks.slack.com/services/T000/B000/XXXXXXXX')).toEqual(
      expect.arrayContaining(['value looks like a Slack webhook URL', 'secret-like name with a literal value']),
    );
    expect(environmentProblems('BOT', 'xoxb-1234-5678-abcdef')).toEqual(['value looks like a Slack token']);
    expect(environmentProblems('AWS_ACCESS_KEY', 'AKIAIOSFODNN7EXAMPLE')).toContain('value looks like a AWS access key id');
    expect(environmentProblems('DB_URL', 'postgres://app:hunter2@db.internal:5432/orders')).toEqual(['value looks like a credentials in a URL']);
    expect(environmentProblems('API_KEY_ID', 'abc123')).toEqual(['secret-like name with a literal value']);
    expect(environmentProblems('GITHUB_TOKEN', { Ref: 'Token' })).toEqual(['secret-like name that does not end in _ARN, _NAME or _ID']);
  });

  test('accepts a secret referenced by ARN and plain settings', () => {
    expect(environmentProblems('SLACK_WEBHOOK_SECRET_ARN', { Ref: 'AlertsSlackWebhook451B5E01' })).toEqual([]);
    expect(environmentProblems('MAX_BODY_BYTES', '1048576')).toEqual([]);
    expect(environmentProblems('POWERTOOLS_SERVICE_NAME', 'post-orders')).toEqual([]);
  });
});
