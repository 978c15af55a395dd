import { SNSClient } from '@aws-sdk/client-sns';
import { tracer } from '../powertools';

let sns: SNSClient | undefined;

/** The SNS client of this execution environment (see ./dynamodb.ts for why one module per client). */
export function snsClient(): SNSClient {
  sns ??= tracer.captureAWSv3Client(new SNSClient({}));
  return sns;
}
