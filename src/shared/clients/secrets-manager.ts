import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { tracer } from '../powertools';

let secrets: SecretsManagerClient | undefined;

/** The Secrets Manager client of this execution environment (see ./dynamodb.ts for why one module per client). */
export function secretsClient(): SecretsManagerClient {
  secrets ??= tracer.captureAWSv3Client(new SecretsManagerClient({}));
  return secrets;
}
