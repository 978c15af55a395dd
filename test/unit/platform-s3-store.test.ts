// Scenarios: putJson sends PutObject with bucket/key/body/content type, getJson returns the text, a missing key (NoSuchKey or 404) is undefined, a missing bucket and other S3 errors are thrown naming the object, listKeys follows continuation tokens, the simulated platform end to end over the S3 store.
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { S3PlatformStore } from '../../src/adapters/s3-platform-store';
import { DEFAULT_PLATFORM_CONFIG } from '../../src/platform/simulated/config';
import { SimulatedPlatform } from '../../src/platform/simulated/simulated-platform';

const s3 = mockClient(S3Client);
const BUCKET = 'platform-bucket';
const AUCTION = '2026-12-01T2100Z';

const body = (text: string) => ({ Body: { transformToString: async () => text } }) as never;
const s3Error = (name: string, httpStatusCode: number) =>
  new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode }, message: name });

describe('S3PlatformStore', () => {
  const store = () => new S3PlatformStore(BUCKET, new S3Client({}));

  beforeEach(() => s3.reset());

  it('writes a JSON document', async () => {
    // Arrange
    s3.on(PutObjectCommand).resolves({});

    // Act
    await store().putJson('auctions/a/polls.json', '{"polls":1}');

    // Assert
    expect(s3).toReceiveCommandWith(PutObjectCommand, {
      Bucket: BUCKET,
      Key: 'auctions/a/polls.json',
      Body: '{"polls":1}',
      ContentType: 'application/json',
    });
  });

  it('reads a document as text', async () => {
    // Arrange
    s3.on(GetObjectCommand, { Bucket: BUCKET, Key: 'k.json' }).resolves(body('{"a":12345678901234567890}'));

    // Act
    const text = await store().getJson('k.json');

    // Assert
    expect(text).toBe('{"a":12345678901234567890}');
    expect(s3).toReceiveCommandWith(GetObjectCommand, { Bucket: BUCKET, Key: 'k.json' });
  });

  it.each([
    ['NoSuchKey', 404],
    ['NotFound', 404],
  ])('answers undefined for a missing key (%s)', async (name, status) => {
    // Arrange
    s3.on(GetObjectCommand).rejects(s3Error(name, status));

    // Act / Assert
    await expect(store().getJson('missing.json')).resolves.toBeUndefined();
  });

  it.each([
    ['NoSuchBucket', 404],
    ['AccessDenied', 403],
    ['InternalError', 500],
  ])('throws %s, naming the object', async (name, status) => {
    // Arrange
    s3.on(GetObjectCommand).rejects(s3Error(name, status));

    // Act / Assert
    await expect(store().getJson('k.json')).rejects.toThrow(`Could not read s3://${BUCKET}/k.json (${name}: ${name})`);
  });

  it('throws a failed write naming the object', async () => {
    // Arrange
    s3.on(PutObjectCommand).rejects(s3Error('SlowDown', 503));

    // Act / Assert
    await expect(store().putJson('k.json', '{}')).rejects.toThrow(`Could not write s3://${BUCKET}/k.json (SlowDown: SlowDown)`);
  });

  it('lists every key under a prefix across pages', async () => {
    // Arrange
    s3.on(ListObjectsV2Command)
      .resolvesOnce({ Contents: [{ Key: 'p/a.json' }, { Key: 'p/b.json' }], IsTruncated: true, NextContinuationToken: 't1' })
      .resolvesOnce({ Contents: [{ Key: 'p/c.json' }], IsTruncated: false });

    // Act
    const keys = await store().listKeys('p/');

    // Assert
    expect(keys).toEqual(['p/a.json', 'p/b.json', 'p/c.json']);
    expect(s3).toHaveReceivedCommandTimes(ListObjectsV2Command, 2);
    expect(s3).toHaveReceivedNthSpecificCommandWith(1, ListObjectsV2Command, { Bucket: BUCKET, Prefix: 'p/', ContinuationToken: undefined });
    expect(s3).toHaveReceivedNthSpecificCommandWith(2, ListObjectsV2Command, { Bucket: BUCKET, Prefix: 'p/', ContinuationToken: 't1' });
  });

  it('lists nothing under an empty prefix', async () => {
    // Arrange
    s3.on(ListObjectsV2Command).resolves({ KeyCount: 0 });

    // Act / Assert
    await expect(store().listKeys('none/')).resolves.toEqual([]);
  });

  it('carries the simulated platform: batch written, polls counted from nothing', async () => {
    // Arrange
    const objects = new Map<string, string>();
    s3.on(PutObjectCommand).callsFake((input: { Key: string; Body: string }) => {
      objects.set(input.Key, input.Body);
      return {};
    });
    s3.on(GetObjectCommand).callsFake((input: { Key: string }) => {
      const text = objects.get(input.Key);
      if (text === undefined) throw s3Error('NoSuchKey', 404);
      return body(text);
    });
    s3.on(ListObjectsV2Command).callsFake((input: { Prefix: string }) => ({
      Contents: [...objects.keys()].filter((key) => key.startsWith(input.Prefix)).sort().map((Key) => ({ Key })),
    }));
    const platform = new SimulatedPlatform(store(), { ...DEFAULT_PLATFORM_CONFIG, readyAfterPolls: 1, rejectedShare: 0 });

    // Act
    await platform.submitBatch(AUCTION, 'b1', '{"orders":[{"order_id":"a:1","parameter_1":"x","parameter_2":2.5}]}');
    const first = await platform.results(AUCTION);
    const second = await platform.results(AUCTION);

    // Assert
    expect(first).toEqual({ results: false });
    expect(second).toMatchObject({ results: true, orders: [{ order_id: 'a:1', status: 'accepted', cleared_volume: 2.5 }], next_page: null });
    expect(s3).toReceiveCommandWith(PutObjectCommand, { Bucket: BUCKET, Key: `auctions/${AUCTION}/batches/b1.json` });
    expect(s3).toReceiveCommandWith(PutObjectCommand, { Bucket: BUCKET, Key: `auctions/${AUCTION}/polls.json`, Body: '{"polls":2}' });
    expect(s3).toReceiveCommandWith(ListObjectsV2Command, { Bucket: BUCKET, Prefix: `auctions/${AUCTION}/batches/` });
  });
});
