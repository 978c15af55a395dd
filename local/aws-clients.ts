/** Fake credentials shared by every local client and Lambda. s3rver only accepts its built-in key pair. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** Client config for the runtime's own SDK clients talking to a local emulator. */
export function localClientConfig(endpoint: string) {
  return { endpoint, region: 'eu-west-1', credentials: LOCAL_CREDENTIALS, maxAttempts: 2 };
}
