import { badRequest } from './errors';

// Opaque to clients (they pass back what they got); versioned so the format can change without confusion.

export function pageToken(batchIndex: number): string {
  return Buffer.from(`batch:${batchIndex}`, 'utf8').toString('base64url');
}

/** The batch index a token names; a 400 for anything this platform did not hand out. */
export function batchIndexOf(token: string, batchCount: number): number {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  const match = /^batch:(0|[1-9]\d{0,8})$/.exec(text);
  const index = match ? Number(match[1]) : -1;
  // Re-encoding rules out tokens that merely decode to something valid (padding, stray characters).
  if (index < 0 || index >= batchCount || pageToken(index) !== token) {
    throw badRequest(`Unknown page token "${token.slice(0, 100)}"`);
  }
  return index;
}
