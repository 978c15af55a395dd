import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { tracer } from './powertools';

// One client per service per execution environment, created lazily so a function only pays for the
// clients it uses. Endpoints come from the standard AWS_ENDPOINT_URL_<SERVICE> variables when set.
let documentClient: DynamoDBDocumentClient | undefined;
let s3: S3Client | undefined;
let secrets: SecretsManagerClient | undefined;

export function dynamoDocumentClient(): DynamoDBDocumentClient {
  documentClient ??= DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return documentClient;
}

export function s3Client(): S3Client {
  s3 ??= tracer.captureAWSv3Client(new S3Client({}));
  return s3;
}

export function secretsClient(): SecretsManagerClient {
  secrets ??= tracer.captureAWSv3Client(new SecretsManagerClient({}));
  return secrets;
}
