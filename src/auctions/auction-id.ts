/**
 * Auctions are named after their gate closure, e.g. `2026-12-01T2100Z`: sortable, readable, and safe in
 * S3 keys, Step Functions execution names and URLs (no colon). Gate closures are aligned to the period
 * from midnight UTC, so a 60-minute period closes on every full hour.
 */
export type AuctionId = string;

const AUCTION_ID = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})(\d{2})Z$/;

export function auctionIdOf(gateClosure: Date): AuctionId {
  const iso = gateClosure.toISOString(); // 2026-12-01T21:00:00.000Z
  return `${iso.slice(0, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}Z`;
}

/** The gate closure an auction id names; undefined when the text is not an auction id. */
export function gateClosureOf(auctionId: string): Date | undefined {
  const m = AUCTION_ID.exec(auctionId);
  if (!m) return undefined;
  const date = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]));
  return auctionIdOf(date) === auctionId ? date : undefined;
}

/** True when the id names a gate closure of the given period. */
export function isAuctionId(auctionId: string, periodMinutes: number): boolean {
  const gate = gateClosureOf(auctionId);
  return gate !== undefined && gate.getTime() % (periodMinutes * 60_000) === 0;
}

/** The first gate closure strictly after `time`: an order received exactly at a gate goes to the next one. */
export function nextGateClosure(time: Date, periodMinutes: number): Date {
  const period = periodMinutes * 60_000;
  return new Date((Math.floor(time.getTime() / period) + 1) * period);
}

/** The auction an order received at `time` belongs to, unless that auction was closed early. */
export function auctionFor(time: Date, periodMinutes: number): AuctionId {
  return auctionIdOf(nextGateClosure(time, periodMinutes));
}

/** The auction `offset` periods after (or before, when negative) the given one. */
export function shiftAuction(auctionId: AuctionId, offset: number, periodMinutes: number): AuctionId {
  const gate = gateClosureOf(auctionId);
  if (!gate) throw new Error(`Not an auction id: ${auctionId}`);
  return auctionIdOf(new Date(gate.getTime() + offset * periodMinutes * 60_000));
}

/**
 * The gate closure an hourly schedule fired for. EventBridge delivers `time` with second precision at
 * (or a little after) the cron time, so it is rounded to the nearest gate of the period.
 */
export function gateOfScheduledTime(time: Date, periodMinutes: number): Date {
  const period = periodMinutes * 60_000;
  return new Date(Math.round(time.getTime() / period) * period);
}

/**
 * How many auctions in a row may be closed early (each `{"close": "now"}` run closes the next open one)
 * before a POST or a run gives up looking for an open auction: a day's worth of hourly auctions.
 */
export const MAX_CLOSED_AHEAD = 24;
