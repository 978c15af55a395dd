import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from '../powertools';

// One module per client, so a function's bundle carries only the SDK clients it uses. Each client is
// created once per execution environment; endpoints come from AWS_ENDPOINT_URL_<SERVICE> when set.
let documentClient: DynamoDBDocumentClient | undefined;

export function dynamoDocumentClient(): DynamoDBDocumentClient {
  documentClient ??= DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return documentClient;
}

let exactClient: DynamoDBDocumentClient | undefined;

/**
 * The same client, but numbers come back as NumberValue (their exact decimal text) instead of JS
 * numbers, so an order's parameter_2 keeps every digit on its way to the platform and to S3.
 */
export function exactDocumentClient(): DynamoDBDocumentClient {
  exactClient ??= DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})), {
    marshallOptions: { removeUndefinedValues: true },
    unmarshallOptions: { wrapNumbers: true },
  });
  return exactClient;
}
