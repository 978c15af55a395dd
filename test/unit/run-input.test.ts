// Scenarios: {"auction_id"} named (hourly and 15-minute), {"close":"now"} decided by the start time (also exactly at a gate), the schedule's event (on time, late, across midnight), invalid inputs (not a gate, bad id, wrong types, unknown shapes, bad event time) -> InvalidRunInput naming the accepted shapes; closesOpenAuction only for close now without a named auction.
import { auctionOfRun, closesOpenAuction, InvalidRunInput } from '../../src/auctions/run-input';

const STARTED = new Date('2026-12-01T20:15:42.000Z');

const scheduledEvent = (time: string) => ({
  version: '0',
  id: '7bf73129-1428-4cd3-a780-95db273d1602',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time,
  region: 'eu-west-1',
  resources: ['arn:aws:events:eu-west-1:123456789012:rule/auction-run-hourly'],
  detail: {},
});

/** The error a call throws, so its class, name and message can all be asserted. */
function errorOf(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('auctionOfRun', () => {
  it('runs the auction the input names', () => {
    expect(auctionOfRun({ auction_id: '2026-11-30T0900Z' }, STARTED, 60)).toBe('2026-11-30T0900Z');
    expect(auctionOfRun({ auction_id: '2026-12-01T2145Z' }, STARTED, 15)).toBe('2026-12-01T2145Z');
  });

  it('closes the open auction now, decided by the execution start time', () => {
    expect(auctionOfRun({ close: 'now' }, STARTED, 60)).toBe('2026-12-01T2100Z');
    expect(auctionOfRun({ close: 'now' }, STARTED, 15)).toBe('2026-12-01T2030Z');
  });

  it('closes the next auction when started exactly at a gate (that gate is already closed)', () => {
    expect(auctionOfRun({ close: 'now' }, new Date('2026-12-01T21:00:00.000Z'), 60)).toBe('2026-12-01T2200Z');
  });

  it.each([
    ['on time', '2026-12-01T21:00:00Z', '2026-12-01T2100Z'],
    ['7 seconds late', '2026-12-01T21:00:07Z', '2026-12-01T2100Z'],
    ['at midnight', '2026-12-02T00:00:01Z', '2026-12-02T0000Z'],
  ])('runs the auction whose gate the schedule fired for (%s)', (_case, time, auctionId) => {
    // The start time is ignored for the schedule: the event's time names the gate.
    expect(auctionOfRun(scheduledEvent(time), new Date('2026-12-01T21:00:09.000Z'), 60)).toBe(auctionId);
  });

  it.each([
    ['hour 24', '2026-12-01T2400Z'],
    ['a quarter hour in an hourly period', '2026-12-01T2115Z'],
    ['an ISO timestamp', '2026-12-01T21:00:00Z'],
    ['empty', ''],
  ])('refuses an auction_id that is not a gate of the period (%s)', (_case, auctionId) => {
    // Act
    const error = errorOf(() => auctionOfRun({ auction_id: auctionId }, STARTED, 60));

    // Assert
    expect(error).toBeInstanceOf(InvalidRunInput);
    expect(error.name).toBe('InvalidRunInput');
    expect(error.message).toBe(
      `auction_id must name a gate closure of the 60-minute period as YYYY-MM-DDTHHMMZ, got ${JSON.stringify(auctionId)}`,
    );
  });

  it.each([
    ['null', null],
    ['a string', 'now'],
    ['an array', [{ close: 'now' }]],
    ['an empty object', {}],
    ['a numeric auction_id', { auction_id: 202612012100 }],
    ['close other than now', { close: 'soon' }],
    ['close: true', { close: true }],
    ['a scheduled event without time', { 'detail-type': 'Scheduled Event' }],
    ['a scheduled event with a bad time', scheduledEvent('yesterday')],
    ['another event type', { ...scheduledEvent('2026-12-01T21:00:00Z'), 'detail-type': 'Object Created' }],
  ])('refuses %s, naming the accepted shapes', (_case, input) => {
    // Act
    const error = errorOf(() => auctionOfRun(input, STARTED, 60));

    // Assert
    expect(error).toBeInstanceOf(InvalidRunInput);
    expect(error.name).toBe('InvalidRunInput');
    expect(error.message).toBe('The run input must be {"auction_id": "YYYY-MM-DDTHHMMZ"}, {"close": "now"} or the schedule\'s event');
  });
});

describe('closesOpenAuction', () => {
  it.each([
    ['{"close":"now"}', { close: 'now' }, true],
    ['a named auction', { auction_id: '2026-12-01T2100Z' }, false],
    ['a named auction with close now (the name wins)', { auction_id: '2026-12-01T2100Z', close: 'now' }, false],
    ['the schedule\'s event', scheduledEvent('2026-12-01T21:00:00Z'), false],
    ['close other than now', { close: 'later' }, false],
    ['null', null, false],
    ['a string', 'now', false],
  ])('tells whether the run takes the first open auction: %s', (_case, input, expected) => {
    expect(closesOpenAuction(input)).toBe(expected);
  });
});
