import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { PlatformStore } from '../platform/simulated/store';
import { s3Client } from '../shared/clients/s3';

/** S3 implementation of the simulated platform's store. */
export class S3PlatformStore implements PlatformStore {
  constructor(
    private readonly bucket: string,
    private readonly client: S3Client = s3Client(),
  ) {}

  async putJson(key: string, json: string): Promise<void> {
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: json, ContentType: 'application/json' }));
    } catch (error) {
      throw this.failure('write', key, error);
    }
  }

  async getJson(key: string): Promise<string | undefined> {
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return (await object.Body?.transformToString('utf-8')) ?? '';
    } catch (error) {
      // A key that is not there yet (no polls so far) is an answer, not a failure. Without s3:ListBucket S3
      // says AccessDenied instead, so the function's role needs it.
      if (isMissingKey(error)) return undefined;
      throw this.failure('read', key, error);
    }
  }

  async listKeys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let continuationToken: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: continuationToken }),
        );
        for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
        continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (continuationToken !== undefined);
    } catch (error) {
      throw this.failure('list', prefix, error);
    }
    return keys; // S3 lists in ascending key order
  }

  private failure(verb: string, key: string, error: unknown): Error {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return new Error(`Could not ${verb} s3://${this.bucket}/${key} (${reason})`, { cause: error });
  }
}

function isMissingKey(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  // A missing bucket is also a 404, and a configuration error.
  return error.name === 'NoSuchKey' || (status === 404 && error.name !== 'NoSuchBucket');
}
