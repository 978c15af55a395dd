import type { StoredOrder } from './order';

/**
 * Where accepted orders go. Implementations upsert by record_id (so repeating a request is safe) and throw
 * StorageUnavailableError when they give up on a transient failure; any other error is a bug or a
 * misconfiguration.
 */
export interface OrderStore {
  putAll(orders: readonly StoredOrder[]): Promise<void>;
}
