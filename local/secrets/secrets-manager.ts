import { randomBytes } from 'node:crypto';
import { resourcesOfType, Template } from '../core/assembly';
import { AwsJsonError, AwsJsonService } from '../core/aws-json-server';
import type { Resolver } from '../core/cfn-resolver';

/** The one version a local secret has. */
const LOCAL_VERSION_ID = '00000000-0000-0000-0000-000000000001';

export interface LocalSecret {
  readonly name: string;
  readonly arn: string;
  readonly value: string;
}

/** SecretId may be the name, the full ARN, or the ARN without its random suffix. */
export function findSecret(secrets: readonly LocalSecret[], id: string): LocalSecret | undefined {
  return secrets.find((s) => s.arn === id || s.name === id || s.arn.slice(0, -7) === id);
}

/** Secrets Manager's GetSecretValue (AWS JSON 1.1) for the secrets the template declares. */
export function secretsService(secrets: LocalSecret[]): AwsJsonService {
  const created = Date.now() / 1000;
  const find = (id: string) => findSecret(secrets, id);
  return {
    targetPrefix: 'secretsmanager',
    contentType: 'application/x-amz-json-1.1',
    operations: {
      GetSecretValue: (input) => {
        const secret = find(String(input.SecretId));
        if (!secret) throw new AwsJsonError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
        return {
          ARN: secret.arn,
          Name: secret.name,
          SecretString: secret.value,
          VersionId: LOCAL_VERSION_ID,
          VersionStages: ['AWSCURRENT'],
          CreatedDate: created,
        };
      },
      DescribeSecret: (input) => {
        const secret = find(String(input.SecretId));
        if (!secret) throw new AwsJsonError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
        return { ARN: secret.arn, Name: secret.name, CreatedDate: created };
      },
    },
  };
}

interface GenerateSecretString {
  SecretStringTemplate?: string;
  GenerateStringKey?: string;
  PasswordLength?: number;
}

/**
 * The local value of a declared secret. A secret that holds a webhook URL (its id, name, description or
 * the variable pointing at it mention Slack or a webhook) gets `webhookUrl`: as the whole string, or in
 * the URL-like keys of a JSON secret. Other secrets keep their template value or get a random one.
 */
export function localSecretValue(
  props: { SecretString?: unknown; GenerateSecretString?: GenerateSecretString },
  isWebhook: boolean,
  webhookUrl: string,
): string {
  const generated = props.GenerateSecretString;
  const random = () => randomBytes(Math.ceil((generated?.PasswordLength ?? 32) / 2)).toString('hex');
  let json: Record<string, unknown> | undefined;
  const text = typeof props.SecretString === 'string' ? props.SecretString : generated?.SecretStringTemplate;
  if (text) {
    try {
      const parsed = JSON.parse(text);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) json = parsed;
    } catch {
      // a plain-text secret
    }
  }
  if (json) {
    if (generated?.GenerateStringKey) json[generated.GenerateStringKey] = random();
    if (isWebhook) {
      for (const key of Object.keys(json)) if (/url|webhook/i.test(key)) json[key] = webhookUrl;
      if (generated?.GenerateStringKey && /url|webhook/i.test(generated.GenerateStringKey)) json[generated.GenerateStringKey] = webhookUrl;
    }
    return JSON.stringify(json);
  }
  if (isWebhook) return webhookUrl;
  return typeof props.SecretString === 'string' ? props.SecretString : random();
}

const DYNAMIC_REFERENCE = /\{\{resolve:([a-z-]+):([^}]*)\}\}/g;

/**
 * Resolves CloudFormation dynamic references to the local secrets, as CloudFormation does at deploy time:
 * `{{resolve:secretsmanager:<name or ARN>[:SecretString[:<json key>[:<version stage>[:<version id>]]]]}}`.
 * Anything it cannot answer (SSM parameters, unknown secrets or keys, other versions) throws naming `where`.
 */
export function resolveDynamicReferences(text: string, secrets: readonly LocalSecret[], where: string): string {
  return text.replace(DYNAMIC_REFERENCE, (whole, service: string, rest: string) => {
    if (service !== 'secretsmanager') throw new Error(`${where}: dynamic reference ${whole} is not supported locally (only secretsmanager)`);
    // An ARN holds six colons of its own (arn:aws:secretsmanager:<region>:<account>:secret:<name>).
    const parts = rest.split(':');
    const idParts = rest.startsWith('arn:') ? 7 : 1;
    const secretId = parts.slice(0, idParts).join(':');
    const [secretString = '', jsonKey = '', stage = '', versionId = ''] = parts.slice(idParts);
    const secret = findSecret(secrets, secretId);
    if (!secret) throw new Error(`${where}: dynamic reference ${whole} names secret ${secretId}, which is not a secret of the template`);
    if (secretString && secretString !== 'SecretString') throw new Error(`${where}: dynamic reference ${whole}: expected SecretString, got ${secretString}`);
    if ((stage && stage !== 'AWSCURRENT') || (versionId && versionId !== LOCAL_VERSION_ID)) {
      throw new Error(`${where}: dynamic reference ${whole}: the local secret has only its current version (AWSCURRENT)`);
    }
    if (!jsonKey) return secret.value;
    let json: unknown;
    try {
      json = JSON.parse(secret.value);
    } catch {
      throw new Error(`${where}: dynamic reference ${whole} asks for key ${jsonKey}, but secret ${secret.name} is not JSON`);
    }
    const value = json && typeof json === 'object' ? (json as Record<string, unknown>)[jsonKey] : undefined;
    if (value === undefined) throw new Error(`${where}: dynamic reference ${whole}: secret ${secret.name} has no key ${jsonKey}`);
    return typeof value === 'string' ? value : JSON.stringify(value);
  });
}

/**
 * The template's secrets with their local values. The Slack webhook secret (named so, or read by a function
 * variable named so) resolves to `webhookUrl`: the local sink or a real Slack URL.
 */
export function readSecrets(template: Template, resolver: Resolver, webhookUrl: string): LocalSecret[] {
  const fnEnvRefs = resourcesOfType(template, 'AWS::Lambda::Function').flatMap(([, f]) =>
    Object.entries(((f.Properties?.Environment as Record<string, unknown>)?.Variables as Record<string, unknown>) ?? {}),
  );
  return resourcesOfType(template, 'AWS::SecretsManager::Secret').map(([id, res]) => {
    const p = resolver.resolve(res.Properties ?? {}) as Record<string, unknown>;
    const referencedAs = fnEnvRefs.filter(([, v]) => JSON.stringify(v).includes(`"${id}"`)).map(([k]) => k);
    const isWebhook = /slack|webhook/i.test([id, p.Name, p.Description, ...referencedAs].join(' '));
    return { name: resolver.physicalName(id), arn: resolver.ref(id), value: localSecretValue(p, isWebhook, webhookUrl) };
  });
}
