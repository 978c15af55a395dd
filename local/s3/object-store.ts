import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { localClientConfig } from '../core/aws-clients';
import type { ObjectStore } from '../stepfunctions/distributed-map';

/** The S3 calls of a Distributed Map's ItemReader and ResultWriter, made with the AWS SDK against the local S3 endpoint. */
export function s3ObjectStore(endpoint: string, credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }): ObjectStore & { close(): void } {
  // With the state machine's credentials, its role's policies decide these reads and writes, as in AWS.
  const client = new S3Client({ ...localClientConfig(endpoint), ...(credentials ? { credentials } : {}), forcePathStyle: true });
  return {
    getObject: async (bucket, key) => {
      const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return (await out.Body?.transformToString('utf8')) ?? '';
    },
    putObject: async (bucket, key, body) => {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' }));
    },
    close: () => client.destroy(),
  };
}
