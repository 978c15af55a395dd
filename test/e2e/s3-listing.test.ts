// Scenarios: ListObjectsV2 pages through the local S3 emulator with continuation tokens (s3rver's DES
// tokens fail on OpenSSL 3 without the runtime's shim), as `npm run pipeline` does for large runs.
import { randomUUID } from 'node:crypto';
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { LocalRuntime, startLocalRuntime } from './harness';

let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startLocalRuntime();
});

afterAll(async () => {
  await runtime?.stop();
});

test('a truncated listing continues with its token until every key is seen', async () => {
  // Arrange
  const prefix = `e2e-listing-${randomUUID()}/`;
  const keys = Array.from({ length: 5 }, (_, i) => `${prefix}object-${i}.json`);
  const Bucket = runtime.endpoints.bucketName;
  for (const Key of keys) await runtime.s3.send(new PutObjectCommand({ Bucket, Key, Body: '{}' }));

  // Act
  const seen: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await runtime.s3.send(new ListObjectsV2Command({ Bucket, Prefix: prefix, MaxKeys: 2, ContinuationToken: token }));
    seen.push(...(page.Contents ?? []).map((object) => object.Key!));
    token = page.NextContinuationToken;
    pages += 1;
  } while (token && pages < 10);

  // Assert
  expect(seen).toEqual(keys);
  expect(pages).toBe(3);
  for (const Key of keys) await runtime.s3.send(new DeleteObjectCommand({ Bucket, Key }));
});
