/**
 * Reads a required environment variable, failing at cold start with the variable's name so a
 * misconfigured function is obvious in its first log line instead of on some later request.
 */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value.trim() === '') {
    throw new Error(`Missing required environment variable ${name}`);
  }
  return value;
}

/** Numeric setting with a default; rejects values that are not finite numbers within [min, max]. */
export function numberEnv(name: string, fallback: number, min = -Infinity, max = Infinity): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new Error(`Environment variable ${name} must be a number between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}

/** Optional string setting; empty counts as unset. */
export function optionalEnv(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** Whole-number setting with a default, within [min, max]. */
export function integerEnv(name: string, fallback: number, min = -Infinity, max = Infinity): number {
  const value = numberEnv(name, fallback, min, max);
  if (!Number.isInteger(value)) throw new Error(`Environment variable ${name} must be an integer, got ${value}`);
  return value;
}
