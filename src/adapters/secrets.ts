import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { secretsClient } from '../shared/clients/secrets-manager';

/** Reads a secret's string value; a binary-only secret is a configuration error. */
export async function readSecretString(secretId: string): Promise<string> {
  const output = await secretsClient().send(new GetSecretValueCommand({ SecretId: secretId }));
  if (output.SecretString === undefined) {
    throw new Error(`Secret ${secretId} has no string value`);
  }
  return output.SecretString;
}

export interface CachedSecret<T> {
  get(secretId: string): Promise<T>;
  /** Forget the value, e.g. after the webhook answered that it no longer exists (rotated secret). */
  invalidate(): void;
}

/**
 * Reads and parses a secret once per execution environment. The in-flight promise is shared so concurrent
 * callers make one call; a failed read or parse is dropped so the next invocation tries again.
 */
export function cachedSecret<T>(parse: (secretString: string) => T, read = readSecretString): CachedSecret<T> {
  let cached: { secretId: string; value: Promise<T> } | undefined;
  return {
    get(secretId) {
      if (cached === undefined || cached.secretId !== secretId) {
        const entry = { secretId, value: read(secretId).then(parse) };
        entry.value.catch(() => {
          if (cached === entry) cached = undefined;
        });
        cached = entry;
      }
      return cached.value;
    },
    invalidate() {
      cached = undefined;
    },
  };
}
