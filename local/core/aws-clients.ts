import { REGION } from './cfn-resolver';

/**
 * Credentials of the runtime's own clients and of the examples it prints. Any credentials work locally;
 * a key that is not a function's or state machine's is allowed everything, as an administrator's would be.
 */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** Client config for the runtime's own SDK clients talking to a local emulator. */
export function localClientConfig(endpoint: string) {
  return { endpoint, region: REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 2 };
}
