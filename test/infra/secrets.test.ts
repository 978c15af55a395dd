// Scenarios: in the Local stage, pipeline and Dev/Prod stage templates - no secret-shaped text (Slack webhook/tokens, AWS keys, private keys, GitHub tokens, credentials in URLs, dynamic secret references) anywhere but the simulated platform's API key value, which is exactly a reference to the platform secret; no Lambda env var carries a secret (secret-named vars are references ending _ARN/_NAME/_ID); the platform secret is generated and the Slack secret holds only the UNSET marker (no value in any template), both used only by Ref (their ARN) from the functions that need them, IAM and outputs; the orders API key has no value; the checker flags planted secrets.
import { Stack, Stage } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { UNSET_WEBHOOK_SECRET } from '../../src/alerts/webhook-url';
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

const AUCTION_NAMES = ['Local/Auction', 'Pipeline/Dev/Auction', 'Pipeline/Prod/Auction'];
const SIMULATED = ['Local/Auction', 'Pipeline/Dev/Auction'];
const auctionNamed = (name: string) => auctionTemplates.find((candidate) => candidate.name === name)!;

function secretNamed(template: NamedTemplate, which: 'slack' | 'platform'): [string, Record<string, Json>] {
  const secrets = resourcesOfType(template, 'AWS::SecretsManager::Secret').filter(([, props]) =>
    (which === 'slack' ? /\/slack-webhook$/.test(String(props.Name)) : /auction platform/.test(String(props.Description))));
  expect(secrets).toHaveLength(1);
  return secrets[0];
}

function functionNamed(template: NamedTemplate, handler: string): string {
  const [[id]] = resourcesOfType(template, 'AWS::Lambda::Function').filter(([, props]) => String(props.FunctionName).endsWith(`-${handler}`));
  return id;
}

/** The simulated platform's API key value: a dynamic reference CloudFormation resolves at deploy time, never text. */
const platformKeyValue = (secretId: string) => ({ 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: secretId }, ':SecretString:::}}']] });

/** The template without the one value allowed to hold a dynamic secret reference (after checking it is that). */
function withoutPlatformKeyValue(template: NamedTemplate): NamedTemplate['json'] {
  const json = JSON.parse(JSON.stringify(template.json)) as NamedTemplate['json'];
  for (const [, resource] of Object.entries(json.Resources)) {
    if (resource.Type === 'AWS::ApiGateway::ApiKey' && resource.Properties?.Value !== undefined) {
      expect(resource.Properties.Value).toEqual(platformKeyValue(secretNamed(template, 'platform')[0]));
      delete resource.Properties.Value;
    }
  }
  return json;
}

describe('no secret in any template', () => {
  test('no template text has a secret shape, the platform key\'s reference to its secret aside', () => {
    const found = templates.flatMap((template) => secretShapesIn(JSON.stringify(withoutPlatformKeyValue(template))).map((shape) => `${template.name}: ${shape}`));

    expect(found).toEqual([]);
  });

  test.each(AUCTION_NAMES)('%s: dynamic secret references appear only in the simulated platform\'s API key', (name) => {
    const text = JSON.stringify(auctionNamed(name).json);
    expect(text.match(/\{\{resolve:/g) ?? []).toHaveLength(SIMULATED.includes(name) ? 1 : 0);
  });

  test('no Lambda environment variable carries a secret', () => {
    const environments = auctionTemplates.flatMap(lambdaEnvironments);
    const problems = environments.flatMap(({ where, name, value }) => environmentProblems(name, value).map((problem) => `${where} ${name}: ${problem}`));

    expect(environments.length).toBeGreaterThan(10);
    expect(problems).toEqual([]);
    expect(environments.map(({ name }) => name)).not.toContain('SLACK_WEBHOOK_URL');
    expect(environments.map(({ name }) => name)).not.toContain('PLATFORM_API_KEY');
  });
});

describe('secrets', () => {
  test.each(AUCTION_NAMES)('%s: the platform secret is generated; the Slack secret holds only the UNSET marker until an operator fills it', (name) => {
    const template = auctionNamed(name);
    expect(resourcesOfType(template, 'AWS::SecretsManager::Secret')).toHaveLength(2);
    const [, slack] = secretNamed(template, 'slack');
    const [, platform] = secretNamed(template, 'platform');

    expect(slack.SecretString).toBe(UNSET_WEBHOOK_SECRET);
    expect(slack.GenerateSecretString).toBeUndefined();
    expect(platform.SecretString).toBeUndefined();
    expect(platform.GenerateSecretString).toEqual({ PasswordLength: 40, ExcludePunctuation: true });
  });

  const ARN_PATHS = (functionIds: string[], variable: string) => [
    ...functionIds.map((id) => `/Resources/${id}/Properties/Environment/Variables/${variable}`),
    '/Resources/\\w+/Properties/PolicyDocument/Statement/\\d+/Resource(/\\d+)?',
    '/Outputs/\\w+/Value',
  ];

  test.each(AUCTION_NAMES)('%s: the Slack secret is referenced only by ARN from the notifier env, IAM and outputs', (name) => {
    const template = auctionNamed(name);
    const [secretId] = secretNamed(template, 'slack');
    const notifierId = functionNamed(template, 'slack-notifier');
    const references = referencesTo(secretId, template.json);

    // Ref on a Secret is its ARN; a GetAtt or a reference from anywhere else would be a new way to reach it.
    expect(references.every(({ how }) => how === 'Ref')).toBe(true);
    expect(references.map(({ path }) => path)).toContain(`/Resources/${notifierId}/Properties/Environment/Variables/SLACK_WEBHOOK_SECRET_ARN`);
    const allowed = new RegExp(`^(${ARN_PATHS([notifierId], 'SLACK_WEBHOOK_SECRET_ARN').join('|')})$`);
    expect(references.map(({ path }) => path).filter((path) => !allowed.test(path))).toEqual([]);
  });

  test.each(AUCTION_NAMES)('%s: the platform secret is referenced only by ARN from submit-orders and fetch-results, IAM, outputs and the simulated platform\'s key', (name) => {
    const template = auctionNamed(name);
    const [secretId] = secretNamed(template, 'platform');
    const users = ['submit-orders', 'fetch-results'].map((handler) => functionNamed(template, handler));
    const references = referencesTo(secretId, template.json);

    expect(references.every(({ how }) => how === 'Ref')).toBe(true);
    for (const id of users) expect(references.map(({ path }) => path)).toContain(`/Resources/${id}/Properties/Environment/Variables/PLATFORM_API_KEY_SECRET_ARN`);
    const keyPaths = resourcesOfType(template, 'AWS::ApiGateway::ApiKey').filter(([, props]) => props.Value !== undefined)
      .map(([keyId]) => `/Resources/${keyId}/Properties/Value/Fn::Join/1/1`);
    expect(keyPaths).toHaveLength(SIMULATED.includes(name) ? 1 : 0);
    const allowed = new RegExp(`^(${[...ARN_PATHS(users, 'PLATFORM_API_KEY_SECRET_ARN'), ...keyPaths].join('|')})$`);
    expect(references.map(({ path }) => path).filter((path) => !allowed.test(path))).toEqual([]);
  });
});

describe('API keys', () => {
  test('the orders API key has no value in any template; only its id is output', () => {
    const keys = templates.flatMap((template) => resourcesOfType(template, 'AWS::ApiGateway::ApiKey')
      .filter(([, props]) => String(props.Name).endsWith('-orders-key'))
      .map(([logicalId, props]) => ({ template, logicalId, props })));

    expect(keys).toHaveLength(auctionTemplates.length);
    for (const { template, logicalId, props } of keys) {
      expect(props.Value).toBeUndefined();
      // A Ref to an API key is its id; nothing in the template can read the value.
      expect(referencesTo(logicalId, template.json).every(({ how }) => how === 'Ref')).toBe(true);
    }
  });

  test.each(SIMULATED)('%s: the simulated platform\'s key takes its value from the platform secret, at deploy time', (name) => {
    const template = auctionNamed(name);
    const keys = resourcesOfType(template, 'AWS::ApiGateway::ApiKey').filter(([, props]) => !String(props.Name).endsWith('-orders-key'));

    expect(keys).toHaveLength(1);
    expect(keys[0][1].Value).toEqual(platformKeyValue(secretNamed(template, 'platform')[0]));
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
