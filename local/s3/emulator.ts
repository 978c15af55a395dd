import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage, Server } from 'node:http';
import { accessKeyOf } from '../iam/authorizer';
import { deleteObjectKeys, S3RequestInfo, s3Target } from '../iam/requests';
import { allowS3rverContinuationTokens } from './s3rver-des';
import { readAll, startFrontDoor } from '../core/front-door';

// s3rver has no type declarations; this is the part of its API used here.
interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
  httpServer?: Server;
}
allowS3rverContinuationTokens();
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver') as new (options: Record<string, unknown>) => S3rverInstance;

export interface S3Emulator {
  readonly endpoint: string;
  close(): Promise<void>;
}

/** A bucket's settings as the template declares them, for what s3rver does not keep. */
export interface BucketSettings {
  /** Default encryption rules: `SSEAlgorithm` (AES256 or aws:kms) and the KMS key, when there is one. */
  readonly encryption?: ReadonlyArray<{ readonly algorithm: string; readonly kmsKey?: string; readonly bucketKey?: boolean }>;
  readonly publicAccessBlock?: Readonly<Record<'BlockPublicAcls' | 'IgnorePublicAcls' | 'BlockPublicPolicy' | 'RestrictPublicBuckets', boolean>>;
}

/** What the runtime adds in front of s3rver: IAM, and the template's bucket settings. */
export interface S3Hooks {
  /** The template's settings of a bucket, undefined for a bucket the template does not declare. */
  bucket?(name: string): BucketSettings | undefined;
  /** AWS's AccessDenied message (resource quoted, as S3 words it) when the caller may not make this request. */
  authorize?(request: S3RequestInfo, accessKeyId: string | undefined, deleteKeys: readonly string[]): string | undefined;
  /**
   * For a GetObject/HeadObject that found no object: S3 answers 403 instead of 404 when the caller may not
   * s3:ListBucket the bucket (so a missing key reveals nothing); the message to answer, or undefined for the 404.
   */
  notFound?(request: S3RequestInfo, accessKeyId: string | undefined): string | undefined;
}

/** s3rver knows one key pair; the front door signs every request over to it (SigV4 signatures are not checked). */
const S3RVER_KEY = 'S3RVER';

const xml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function accessDenied(method: string, message: string) {
  const requestId = randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase();
  const hostId = Buffer.from(randomUUID()).toString('base64');
  const body = method === 'HEAD' ? '' : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>${xml(message)}</Message><RequestId>${requestId}</RequestId><HostId>${hostId}</HostId></Error>`;
  return { status: 403, headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId, 'x-amz-id-2': hostId }, body };
}

function requestInfo(req: IncomingMessage): S3RequestInfo {
  const url = new URL(req.url ?? '/', 'http://local');
  return { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, host: req.headers.host };
}

/** Any access key is accepted, as LocalStack does: the request reaches s3rver under its own key. */
function asS3rver(req: IncomingMessage): { headers: Record<string, string>; path: string } {
  const headers: Record<string, string> = {};
  const auth = req.headers.authorization;
  if (auth) headers.authorization = auth.replace(/Credential=[^/]+\//, `Credential=${S3RVER_KEY}/`).replace(/^AWS [^:]+:/, `AWS ${S3RVER_KEY}:`);
  const url = new URL(req.url ?? '/', 'http://local');
  if (url.searchParams.has('X-Amz-Credential')) {
    url.searchParams.set('X-Amz-Credential', (url.searchParams.get('X-Amz-Credential') ?? '').replace(/^[^/]+\//, `${S3RVER_KEY}/`));
  }
  if (url.searchParams.has('AWSAccessKeyId')) url.searchParams.set('AWSAccessKeyId', S3RVER_KEY);
  return { headers, path: `${url.pathname}${url.search}` };
}

const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

function xmlAnswer(status: number, body: string) {
  return { status, headers: { 'content-type': 'application/xml', 'x-amz-request-id': randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase() }, body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}` };
}

/**
 * GetBucketEncryption and GetPublicAccessBlock, which s3rver does not implement, answered from the template.
 * A bucket without its own settings has AWS's defaults for new buckets: SSE-S3 (AES256) and all four public
 * access blocks on.
 */
function bucketSetting(info: S3RequestInfo, hooks: S3Hooks) {
  const wantsEncryption = info.query.has('encryption');
  const wantsBlock = info.query.has('publicAccessBlock');
  if (!wantsEncryption && !wantsBlock) return undefined;
  const { bucket, key } = s3Target(info);
  if (key) return undefined;
  const settings = hooks.bucket?.(bucket);
  if (!settings) return undefined; // s3rver answers NoSuchBucket (or NotImplemented) itself
  if (wantsEncryption) {
    const rules = (settings.encryption ?? [{ algorithm: 'AES256' }]).map((r) =>
      `<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>${xml(r.algorithm)}</SSEAlgorithm>${r.kmsKey ? `<KMSMasterKeyID>${xml(r.kmsKey)}</KMSMasterKeyID>` : ''}</ApplyServerSideEncryptionByDefault><BucketKeyEnabled>${r.bucketKey === true}</BucketKeyEnabled></Rule>`);
    return xmlAnswer(200, `<ServerSideEncryptionConfiguration xmlns="${S3_XMLNS}">${rules.join('')}</ServerSideEncryptionConfiguration>`);
  }
  const block = settings.publicAccessBlock ?? { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };
  const fields = (['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'] as const).map((f) => `<${f}>${block[f]}</${f}>`);
  return xmlAnswer(200, `<PublicAccessBlockConfiguration xmlns="${S3_XMLNS}">${fields.join('')}</PublicAccessBlockConfiguration>`);
}

/**
 * Starts s3rver on loopback with the template's buckets, behind a front door on `port` that accepts any
 * credentials and checks IAM (hooks). s3rver only stores on disk, so "in memory" means a temporary
 * directory removed on close.
 */
export async function startS3(port: number, directory: string | undefined, buckets: string[], hooks: S3Hooks = {}): Promise<S3Emulator> {
  const dir = directory ?? mkdtempSync(join(tmpdir(), 'local-s3-'));
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    directory: dir,
    silent: true,
    // SigV2 signatures (old clients) are computed with the caller's secret, which s3rver cannot know.
    allowMismatchedSignatures: true,
    configureBuckets: buckets.map((name) => ({ name, configs: [] })),
  });
  const address = await server.run();
  const door = await startFrontDoor(port, `http://127.0.0.1:${address.port}`, 's3', async (req) => {
    const info = requestInfo(req);
    const key = accessKeyOf(req.headers, info.query);
    const forward = asS3rver(req);
    // DeleteObjects names its keys in the body, the only request whose permissions need it.
    const body = req.method === 'POST' && info.query.has('delete') ? await readAll(req) : undefined;
    const denied = hooks.authorize?.(info, key, body ? deleteObjectKeys(body.toString('utf8')) : []);
    if (denied) return accessDenied(info.method, denied);
    const settings = info.method === 'GET' ? bucketSetting(info, hooks) : undefined;
    if (settings) return settings;
    const reads = (info.method === 'GET' || info.method === 'HEAD') && hooks.notFound && !/[?&](acl|tagging|uploadId|attributes)\b/.test(req.url ?? '');
    if (!reads) return { ...forward, body };
    return {
      ...forward,
      answerStatus: 404,
      answer: (status, headers, out) => {
        const hidden = status === 404 ? hooks.notFound?.(info, key) : undefined;
        if (!hidden) return { status, headers, body: out };
        const denial = accessDenied(info.method, hidden);
        return { status: denial.status, headers: denial.headers, body: Buffer.from(denial.body) };
      },
    };
  });
  return {
    endpoint: door.endpoint,
    close: async () => {
      await door.close();
      await server.close();
      if (!directory) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A bucket's BucketEncryption and PublicAccessBlockConfiguration, from its resolved template properties. */
export function readBucketSettings(props: Record<string, unknown>): BucketSettings {
  const rules = ((props.BucketEncryption as { ServerSideEncryptionConfiguration?: Array<Record<string, unknown>> } | undefined)?.ServerSideEncryptionConfiguration ?? []).map((rule) => {
    const byDefault = (rule.ServerSideEncryptionByDefault ?? {}) as { SSEAlgorithm?: string; KMSMasterKeyID?: string };
    return { algorithm: byDefault.SSEAlgorithm ?? 'AES256', kmsKey: byDefault.KMSMasterKeyID, bucketKey: rule.BucketKeyEnabled === true };
  });
  const block = props.PublicAccessBlockConfiguration as Record<string, boolean> | undefined;
  return {
    encryption: rules.length ? rules : undefined,
    publicAccessBlock: block
      ? { BlockPublicAcls: block.BlockPublicAcls === true, IgnorePublicAcls: block.IgnorePublicAcls === true, BlockPublicPolicy: block.BlockPublicPolicy === true, RestrictPublicBuckets: block.RestrictPublicBuckets === true }
      : undefined,
  };
}
