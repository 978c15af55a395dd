import { InvalidOrderResult, OrderRejected } from './errors';
import type { ResultStore } from './result-store';

export interface OrderResult {
  readonly status: 'accepted' | 'rejected';
  readonly power: number;
  readonly [extra: string]: unknown;
}

export interface StoreRequest {
  readonly order: OrderResult;
  readonly index: number;
  readonly executionName: string;
  /** Execution start time; it fixes the date partition so a retry writes the same key. */
  readonly startTime: Date;
}

export interface StoredResult {
  readonly status: 'stored';
  readonly index: number;
  readonly key: string;
}

// Step Functions execution names cannot contain these either; rejecting them keeps the key one path segment.
const isUnsafeName = (name: string): boolean =>
  /[\s/\\]/.test(name) || [...name].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);

/** Checks the map item shape; everything that fails here is a contract bug, not something a retry fixes. */
export function parseStoreRequest(event: unknown): StoreRequest {
  if (typeof event !== 'object' || event === null) {
    throw new InvalidOrderResult('Expected an object {order, index, executionName, startTime}');
  }
  const { order, index, executionName, startTime } = event as Record<string, unknown>;
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0) {
    throw new InvalidOrderResult(`index must be a non-negative integer, got ${JSON.stringify(index)}`);
  }
  if (typeof executionName !== 'string' || executionName === '' || executionName.length > 80 || isUnsafeName(executionName)) {
    throw new InvalidOrderResult(`executionName must be 1-80 characters without slashes or whitespace (index ${index})`);
  }
  const started = typeof startTime === 'string' ? new Date(startTime) : undefined;
  if (started === undefined || Number.isNaN(started.getTime())) {
    throw new InvalidOrderResult(`startTime must be an ISO-8601 date, got ${JSON.stringify(startTime)} (index ${index})`);
  }
  if (typeof order !== 'object' || order === null || Array.isArray(order)) {
    throw new InvalidOrderResult(`order ${index} must be an object`);
  }
  const { status, power } = order as Record<string, unknown>;
  if (status !== 'accepted' && status !== 'rejected') {
    throw new InvalidOrderResult(`order ${index} has unknown status ${JSON.stringify(status)}`);
  }
  if (typeof power !== 'number' || !Number.isFinite(power)) {
    throw new InvalidOrderResult(`order ${index} has a power that is not a finite number: ${JSON.stringify(power)}`);
  }
  return { order: order as OrderResult, index, executionName, startTime: started };
}

/** Athena-friendly, deterministic key: same run and index always map to the same object. */
export function resultKey(request: Pick<StoreRequest, 'index' | 'executionName' | 'startTime'>): string {
  const date = request.startTime.toISOString().slice(0, 10);
  const order = String(request.index).padStart(6, '0');
  return `orders/date=${date}/run=${request.executionName}/order-${order}.json`;
}

/** Rejected orders become a named error for the state machine; accepted ones are written to the store. */
export async function storeOrderResult(request: StoreRequest, store: ResultStore, now: Date): Promise<StoredResult> {
  const { order, index, executionName } = request;
  if (order.status === 'rejected') {
    throw new OrderRejected(`Order ${index} was rejected by the auction (power ${order.power})`);
  }
  const key = resultKey(request);
  const body = JSON.stringify({ order, index, executionName, stored_at: now.toISOString() });
  await store.putJson(key, body);
  return { status: 'stored', index, key };
}
