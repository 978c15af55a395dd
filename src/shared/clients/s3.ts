import { S3Client } from '@aws-sdk/client-s3';
import { tracer } from '../powertools';

let s3: S3Client | undefined;

/** The S3 client of this execution environment (see ./dynamodb.ts for why one module per client). */
export function s3Client(): S3Client {
  s3 ??= tracer.captureAWSv3Client(new S3Client({}));
  return s3;
}
