import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3Client } from '../shared/clients/s3';
import { ResultStoreUnavailable } from '../results/errors';
import type { ResultReader, ResultStore } from '../results/result-store';

/** S3 implementation of ResultStore; every S3 failure becomes ResultStoreUnavailable so the state machine can retry. */
export class S3ResultStore implements ResultStore, ResultReader {
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
      throw this.unavailable('write', key, error);
    }
  }

  async getJson(key: string): Promise<unknown> {
    let text: string;
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      text = (await object.Body?.transformToString('utf-8')) ?? '';
    } catch (error) {
      throw this.unavailable('read', key, error);
    }
    return JSON.parse(text);
  }

  private unavailable(verb: string, key: string, error: unknown): ResultStoreUnavailable {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return new ResultStoreUnavailable(`Could not ${verb} s3://${this.bucket}/${key} (${reason})`, { cause: error });
  }
}
