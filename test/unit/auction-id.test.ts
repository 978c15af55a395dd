// Scenarios: id of a gate closure, id -> gate round trip, invalid ids (bad month/day, hour 24, not a gate of the period, wrong format), nextGateClosure just before/at/after a gate and across midnight, 15-minute period, auctionFor, gateOfScheduledTime (late/early delivery), shiftAuction across midnight/year and invalid id.
import {
  auctionFor,
  auctionIdOf,
  gateClosureOf,
  gateOfScheduledTime,
  isAuctionId,
  nextGateClosure,
  shiftAuction,
} from '../../src/auctions/auction-id';

const at = (iso: string) => new Date(iso);

describe('auctionIdOf / gateClosureOf', () => {
  it('names an auction after its gate closure, without colons', () => {
    expect(auctionIdOf(at('2026-12-01T21:00:00.000Z'))).toBe('2026-12-01T2100Z');
    expect(auctionIdOf(at('2027-01-05T00:15:00.000Z'))).toBe('2027-01-05T0015Z');
  });

  it('reads the gate closure back from the id', () => {
    // Act
    const gate = gateClosureOf('2026-12-01T2100Z');

    // Assert
    expect(gate?.toISOString()).toBe('2026-12-01T21:00:00.000Z');
    expect(auctionIdOf(gate!)).toBe('2026-12-01T2100Z');
  });

  it.each([
    ['month 13', '2026-13-01T2100Z'],
    ['month 00', '2026-00-01T2100Z'],
    ['day 31 of November', '2026-11-31T2100Z'],
    ['hour 24', '2026-12-01T2400Z'],
    ['minute 60', '2026-12-01T2060Z'],
    ['colons', '2026-12-01T21:00Z'],
    ['no Z', '2026-12-01T2100'],
    ['lower-case t', '2026-12-01t2100Z'],
    ['trailing text', '2026-12-01T2100Z/x'],
    ['empty', ''],
  ])('is not an auction id: %s', (_case, id) => {
    expect(gateClosureOf(id)).toBeUndefined();
    expect(isAuctionId(id, 60)).toBe(false);
  });

  it('accepts only gates of the period', () => {
    expect(isAuctionId('2026-12-01T2100Z', 60)).toBe(true);
    expect(isAuctionId('2026-12-01T2115Z', 60)).toBe(false);
    expect(isAuctionId('2026-12-01T2115Z', 15)).toBe(true);
    expect(isAuctionId('2026-12-01T2110Z', 15)).toBe(false);
  });
});

describe('nextGateClosure', () => {
  it.each([
    ['just before the gate', '2026-12-01T20:59:59.999Z', '2026-12-01T21:00:00.000Z'],
    ['exactly at the gate: the next one', '2026-12-01T21:00:00.000Z', '2026-12-01T22:00:00.000Z'],
    ['just after the gate', '2026-12-01T21:00:00.001Z', '2026-12-01T22:00:00.000Z'],
    ['late evening: midnight', '2026-12-01T23:30:00.000Z', '2026-12-02T00:00:00.000Z'],
    ['new year', '2026-12-31T23:59:59.000Z', '2027-01-01T00:00:00.000Z'],
  ])('hourly, %s', (_case, time, gate) => {
    expect(nextGateClosure(at(time), 60).toISOString()).toBe(gate);
  });

  it.each([
    ['2026-12-01T21:07:00.000Z', '2026-12-01T21:15:00.000Z'],
    ['2026-12-01T21:14:59.999Z', '2026-12-01T21:15:00.000Z'],
    ['2026-12-01T21:15:00.000Z', '2026-12-01T21:30:00.000Z'],
    ['2026-12-01T21:59:00.000Z', '2026-12-01T22:00:00.000Z'],
  ])('every 15 minutes: %s -> %s', (time, gate) => {
    expect(nextGateClosure(at(time), 15).toISOString()).toBe(gate);
  });

  it('gives the auction an order received at a time belongs to', () => {
    expect(auctionFor(at('2026-12-01T20:15:00.000Z'), 60)).toBe('2026-12-01T2100Z');
    expect(auctionFor(at('2026-12-01T21:00:00.000Z'), 60)).toBe('2026-12-01T2200Z');
    expect(auctionFor(at('2026-12-01T21:07:00.000Z'), 15)).toBe('2026-12-01T2115Z');
  });
});

describe('gateOfScheduledTime', () => {
  it.each([
    ['on time', '2026-12-01T21:00:00Z', '2026-12-01T21:00:00.000Z'],
    ['a few seconds late', '2026-12-01T21:00:07Z', '2026-12-01T21:00:00.000Z'],
    ['a second early', '2026-12-01T20:59:59Z', '2026-12-01T21:00:00.000Z'],
    ['at midnight', '2026-12-02T00:00:03Z', '2026-12-02T00:00:00.000Z'],
  ])('rounds an hourly schedule fired %s to its gate', (_case, time, gate) => {
    expect(gateOfScheduledTime(at(time), 60).toISOString()).toBe(gate);
  });

  it('rounds to the gates of a 15-minute period', () => {
    expect(gateOfScheduledTime(at('2026-12-01T21:15:04Z'), 15).toISOString()).toBe('2026-12-01T21:15:00.000Z');
  });
});

describe('shiftAuction', () => {
  it.each([
    ['next, across midnight', '2026-12-01T2300Z', 1, 60, '2026-12-02T0000Z'],
    ['previous, across midnight', '2026-12-02T0000Z', -1, 60, '2026-12-01T2300Z'],
    ['previous, across new year', '2027-01-01T0000Z', -1, 60, '2026-12-31T2300Z'],
    ['two 15-minute periods on', '2026-12-01T2345Z', 2, 15, '2026-12-02T0015Z'],
    ['no shift', '2026-12-01T2100Z', 0, 60, '2026-12-01T2100Z'],
  ])('%s', (_case, id, offset, period, expected) => {
    expect(shiftAuction(id, offset, period)).toBe(expected);
  });

  it('refuses a text that is not an auction id', () => {
    expect(() => shiftAuction('2026-12-01T2400Z', 1, 60)).toThrow('Not an auction id: 2026-12-01T2400Z');
  });
});
