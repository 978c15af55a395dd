import { numberEnv, optionalEnv, requireEnv } from '../../shared/env';

/** What makes the simulated platform behave one way or another; all of it deterministic per seed. */
export interface SimulatedPlatformConfig {
  /** First-page polls of an auction answered `{"results": false}` before the results are ready. */
  readonly readyAfterPolls: number;
  /** Share of each batch's answered orders that are rejected (rounded per batch). */
  readonly rejectedShare: number;
  /** Chance that a poll answers a deliberately malformed answer instead. */
  readonly malformedShare: number;
  /** Share of each batch's orders the platform never answers for (rounded per batch). */
  readonly noResultShare: number;
  readonly seed: string;
}

export const DEFAULT_PLATFORM_CONFIG: SimulatedPlatformConfig = {
  readyAfterPolls: 1,
  rejectedShare: 0.5,
  malformedShare: 0,
  noResultShare: 0,
  seed: 'platform',
};

/** The service's settings, read per invocation so a bad value fails with the variable's name. */
export function simulatedPlatformSettingsFromEnv(): SimulatedPlatformConfig & { readonly bucketName: string } {
  const readyAfterPolls = numberEnv('PLATFORM_READY_AFTER_POLLS', DEFAULT_PLATFORM_CONFIG.readyAfterPolls, 0, 1_000_000);
  if (!Number.isInteger(readyAfterPolls)) {
    throw new Error(`Environment variable PLATFORM_READY_AFTER_POLLS must be a whole number, got ${readyAfterPolls}`);
  }
  return {
    bucketName: requireEnv('PLATFORM_BUCKET_NAME'),
    readyAfterPolls,
    rejectedShare: numberEnv('PLATFORM_REJECTED_SHARE', DEFAULT_PLATFORM_CONFIG.rejectedShare, 0, 1),
    malformedShare: numberEnv('PLATFORM_MALFORMED_SHARE', DEFAULT_PLATFORM_CONFIG.malformedShare, 0, 1),
    noResultShare: numberEnv('PLATFORM_NO_RESULT_SHARE', DEFAULT_PLATFORM_CONFIG.noResultShare, 0, 1),
    seed: optionalEnv('PLATFORM_SEED') ?? DEFAULT_PLATFORM_CONFIG.seed,
  };
}
