import { randomBytes } from 'node:crypto';
import { AwsJsonError, AwsJsonService } from '../aws-json-server';

export interface LocalSecret {
  readonly name: string;
  readonly arn: string;
  readonly value: string;
}

/** Secrets Manager's GetSecretValue (AWS JSON 1.1) for the secrets the template declares. */
export function secretsService(secrets: LocalSecret[]): AwsJsonService {
  const created = Date.now() / 1000;
  const find = (id: string) =>
    // SecretId may be the name, the full ARN, or the ARN without its random suffix.
    secrets.find((s) => s.arn === id || s.name === id || s.arn.slice(0, -7) === id);
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
          VersionId: '00000000-0000-0000-0000-000000000001',
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
