import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3Client } from '../shared/clients';
import { ResultStoreUnavailable } from '../results/errors';
import type { ResultStore } from '../results/result-store';

/** S3 implementation of ResultStore; every S3 failure becomes ResultStoreUnavailable so the state machine can retry. */
export class S3ResultStore implements ResultStore {
  constructor(
    private readonly bucket: string,
    private readonly client: S3Client = s3Client(),
  ) {}

  async putJson(key: string, body: string): Promise<void> {
    try {
      await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: 'application/json' }),
      );
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new ResultStoreUnavailable(`Could not write s3://${this.bucket}/${key} (${reason})`, { cause: error });
    }
  }
}
