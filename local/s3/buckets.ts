import { resourcesOfType, Template } from '../core/assembly';
import type { Resolver } from '../core/cfn-resolver';
import type { OnStop } from '../core/cleanups';
import { BucketSettings, readBucketSettings, S3Emulator, S3Hooks, startS3 } from './emulator';
import { S3FaultProxy, startS3FaultProxy } from './fault-proxy';

/** The template's buckets by physical name, with the settings GetBucketEncryption and friends answer. */
export function readBuckets(template: Template, resolver: Resolver): Map<string, BucketSettings> {
  return new Map(
    resourcesOfType(template, 'AWS::S3::Bucket').map(([id, res]) => [
      resolver.physicalName(id),
      readBucketSettings(resolver.resolve(res.Properties ?? {}) as Record<string, unknown>),
    ]),
  );
}

export interface StartS3Options {
  readonly port: number;
  /** Where the objects persist; in memory when undefined. */
  readonly directory?: string;
  readonly buckets: readonly string[];
  readonly hooks: S3Hooks;
  /** Tests only: put a proxy in front of s3rver that can fail chosen PUTs. */
  readonly faultInjection: boolean;
}

export interface LocalS3 {
  readonly emulator: S3Emulator;
  /** The fault proxy, with fault injection only. */
  readonly proxy?: S3FaultProxy;
  /** What clients call: the proxy when there is one, else s3rver. */
  readonly endpoint: string;
}

/** Starts s3rver with the template's buckets; with fault injection it moves to a free port behind the proxy. */
export async function startS3Service(options: StartS3Options, onStop: OnStop): Promise<LocalS3> {
  const emulator = await startS3(options.faultInjection ? 0 : options.port, options.directory, [...options.buckets], options.hooks);
  onStop(() => emulator.close());
  const proxy = options.faultInjection ? await startS3FaultProxy(options.port, emulator.endpoint) : undefined;
  if (proxy) onStop(() => proxy.close());
  return { emulator, proxy, endpoint: proxy?.endpoint ?? emulator.endpoint };
}
