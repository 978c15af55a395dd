import type { AuctionId } from '../auctions/auction-id';
import type { CustomerId } from '../auctions/customer';

/**
 * One path segment for any record_id: letters, digits and `-._~` stay, other ASCII becomes `%XX`
 * (`/` included, so an id never adds a prefix level, and `%` itself, so decoding is unambiguous),
 * printable non-ASCII stays as UTF-8, and BMP control, format, separator or lone-surrogate code units
 * become `%uXXXX`. Characters beyond the BMP stay as their 4 UTF-8 bytes whatever their category:
 * escaping them would cost 12 bytes, and 128 of them (a valid record_id counts code points) would not
 * fit S3's 1024-byte keys. At most 6 bytes per code point, so any valid id fits with room to spare.
 */
export function keySegment(id: string): string {
  let out = '';
  for (let i = 0; i < id.length; i++) {
    const code = id.charCodeAt(i);
    const char = id[i];
    if (/[A-Za-z0-9\-._~]/.test(char)) out += char;
    else if (code < 0x80) out += `%${code.toString(16).toUpperCase().padStart(2, '0')}`;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < id.length && id.charCodeAt(i + 1) >= 0xdc00 && id.charCodeAt(i + 1) <= 0xdfff) {
      out += id.slice(i, i + 2);
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
