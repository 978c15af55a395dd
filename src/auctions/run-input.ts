import { auctionFor, auctionIdOf, gateOfScheduledTime, isAuctionId, type AuctionId } from './auction-id';

/** The run's input names no auction this pipeline can run. */
export class InvalidRunInput extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidRunInput';
  }
}

/**
 * Which auction a run is for (SPEC 2.3): the one it names (`{"auction_id": "2026-12-01T2100Z"}`), the
 * open one closed early (`{"close": "now"}`, decided by the execution's start time so every step and the
 * status rule agree), or, for the schedule's event, the one whose gate closure is the scheduled time.
 */
export function auctionOfRun(input: unknown, startedAt: Date, periodMinutes: number): AuctionId {
  const run = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  if (typeof run.auction_id === 'string') {
    if (!isAuctionId(run.auction_id, periodMinutes)) {
      throw new InvalidRunInput(`auction_id must name a gate closure of the ${periodMinutes}-minute period as YYYY-MM-DDTHHMMZ, got ${JSON.stringify(run.auction_id)}`);
    }
    return run.auction_id;
  }
  if (run.close === 'now') return auctionFor(startedAt, periodMinutes);
  if (run['detail-type'] === 'Scheduled Event' && typeof run.time === 'string' && !Number.isNaN(Date.parse(run.time))) {
    return auctionIdOf(gateOfScheduledTime(new Date(run.time), periodMinutes));
  }
  throw new InvalidRunInput('The run input must be {"auction_id": "YYYY-MM-DDTHHMMZ"}, {"close": "now"} or the schedule\'s event');
}

/** True for `{"close": "now"}`: the run takes the first auction from the start time on that is still open. */
export function closesOpenAuction(input: unknown): boolean {
  return typeof input === 'object' && input !== null && (input as Record<string, unknown>).close === 'now'
    && typeof (input as Record<string, unknown>).auction_id !== 'string';
}
