import type { AuctionId } from '../auctions/auction-id';
import type { CustomerId } from '../auctions/customer';

/**
 * One path segment for any record_id: letters, digits and `-._~` stay, other ASCII becomes `%XX`
 * (`/` included, so an id never adds a prefix level, and `%` itself, so decoding is unambiguous),
 * printable non-ASCII stays as UTF-8, and control, format or lone-surrogate code units become `%uXXXX`.
 * At most 6 bytes per UTF-16 unit, so a 128-character id stays far inside S3's 1024-byte keys.
 */
export function keySegment(id: string): string {
  let out = '';
  for (let i = 0; i < id.length; i++) {
    const code = id.charCodeAt(i);
    const char = id[i];
    if (/[A-Za-z0-9\-._~]/.test(char)) out += char;
    else if (code < 0x80) out += `%${code.toString(16).toUpperCase().padStart(2, '0')}`;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < id.length && id.charCodeAt(i + 1) >= 0xdc00 && id.charCodeAt(i + 1) <= 0xdfff) {
      const pair = id.slice(i, i + 2);
      out += /\p{C}/u.test(pair) ? `%u${code.toString(16).toUpperCase()}%u${id.charCodeAt(i + 1).toString(16).toUpperCase()}` : pair;
      i++;
    } else if (code >= 0xd800 && code <= 0xdfff) out += `%u${code.toString(16).toUpperCase()}`;
    else out += /[\p{C}\p{Z}]/u.test(char) ? `%u${code.toString(16).toUpperCase().padStart(4, '0')}` : char;
  }
  return out;
}

/**
 * Where an accepted order's result lives: Athena-friendly partitions by auction and customer, and a
 * name that is a pure function of the order, so a retried item overwrites itself and two auctions or
 * two customers never collide.
 */
export function resultKey(auctionId: AuctionId, customer: CustomerId, recordId: string): string {
  return `results/auction=${auctionId}/customer=${customer}/${keySegment(recordId)}.json`;
}

/** Working files of one run. */
export const runFileKey = (auctionId: AuctionId, executionName: string, file: string): string =>
  `runs/auction=${auctionId}/${keySegment(executionName)}/${file}`;
