// Scenarios: EventBridge six-field cron (lists, ranges, steps, names, years, day-of-month vs day-of-week) gives the next UTC times; L, W, # and malformed expressions are refused by name; scheduled events arrive at the cron times on the clock with time = the cron time, detail-type "Scheduled Event", source aws.events and the rule ARN, and a target's Input replaces the event; LOCAL_TIME_SCALE=0 turns schedules off; npm start names the rule of an unsupported cron.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCron } from '../../local/events/cron';
import { LocalEvents } from '../../local/events/rules';
import { loadStack } from '../../local/core/assembly';
import { Resolver } from '../../local/core/cfn-resolver';
import { setQuiet } from '../../local/core/log';
import { ROOT } from './paths';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'local');

/** The next `n` cron times after `from`. */
function times(expression: string, from: string, n = 3): string[] {
  const cron = parseCron(expression);
  const out: string[] = [];
  let t: Date | undefined = new Date(from);
  for (let i = 0; i < n && t; i++) {
    t = cron.next(t);
    if (t) out.push(t.toISOString());
  }
  return out;
}

describe('cron expressions', () => {
  it.each([
    ['0 * * * ? *', '2026-12-01T20:07:30Z', ['2026-12-01T21:00:00.000Z', '2026-12-01T22:00:00.000Z', '2026-12-01T23:00:00.000Z']],
    ['0/15 * * * ? *', '2026-12-01T20:07:30Z', ['2026-12-01T20:15:00.000Z', '2026-12-01T20:30:00.000Z', '2026-12-01T20:45:00.000Z']],
    ['0/15 * * * ? *', '2026-12-01T20:45:00Z', ['2026-12-01T21:00:00.000Z', '2026-12-01T21:15:00.000Z', '2026-12-01T21:30:00.000Z']],
    ['*/20 8-9 * * ? *', '2026-12-01T09:30:00Z', ['2026-12-01T09:40:00.000Z', '2026-12-02T08:00:00.000Z', '2026-12-02T08:20:00.000Z']],
    ['30 9 ? * MON-FRI *', '2026-12-04T09:30:00Z', ['2026-12-07T09:30:00.000Z', '2026-12-08T09:30:00.000Z', '2026-12-09T09:30:00.000Z']],
    ['0 12 ? * 1,7 *', '2026-12-01T00:00:00Z', ['2026-12-05T12:00:00.000Z', '2026-12-06T12:00:00.000Z', '2026-12-12T12:00:00.000Z']],
    ['15 10 1,15 * ? *', '2026-12-15T10:15:00Z', ['2027-01-01T10:15:00.000Z', '2027-01-15T10:15:00.000Z', '2027-02-01T10:15:00.000Z']],
    ['0 0 31 * ? *', '2027-01-31T00:00:00Z', ['2027-03-31T00:00:00.000Z', '2027-05-31T00:00:00.000Z', '2027-07-31T00:00:00.000Z']],
    ['0 0 29 FEB ? *', '2026-01-01T00:00:00Z', ['2028-02-29T00:00:00.000Z', '2032-02-29T00:00:00.000Z', '2036-02-29T00:00:00.000Z']],
    ['5 4 1 JAN,jul ? 2027-2028', '2026-12-01T00:00:00Z', ['2027-01-01T04:05:00.000Z', '2027-07-01T04:05:00.000Z', '2028-01-01T04:05:00.000Z']],
  ])('cron(%s) after %s', (expression, from, expected) => {
    expect(times(expression, from)).toEqual(expected);
  });

  it('ends when the years run out', () => {
    expect(times('0 0 1 1 ? 2027', '2026-06-01T00:00:00Z')).toEqual(['2027-01-01T00:00:00.000Z']);
  });

  it.each([
    ['0 12 L * ? *', '"L" in day-of-month'],
    ['0 12 15W * ? *', '"W" in day-of-month'],
    ['0 12 ? * 6#3 *', '"#" in day-of-week'],
    ['0 12 ? * 6L *', '"L" in day-of-week'],
    ['0 12 * * * *', 'exactly one of day-of-month and day-of-week must be "?"'],
    ['0 12 ? * ? *', 'exactly one of day-of-month and day-of-week must be "?"'],
    ['0 12 * * ?', 'has 6 fields'],
    ['60 * * * ? *', '"60" is not a valid minutes'],
    ['0 * ? * 8 *', '"8" is not a valid day-of-week'],
    ['0 ? * * ? *', '"?" is only allowed in day-of-month or day-of-week'],
    ['0 10-2 * * ? *', 'ends before it starts'],
    ['0/0 * * * ? *', 'must be at least 1'],
  ])('refuses cron(%s)', (expression, message) => {
    expect(() => parseCron(expression)).toThrow(message);
  });
});

describe('scheduled events', () => {
  const stack = loadStack(join(FIXTURES, 'features'), 'Local');
  const resolver = new Resolver(stack);
  let events: LocalEvents | undefined;

  beforeAll(() => setQuiet(true));
  afterEach(() => {
    events?.stop();
    jest.useRealTimers();
  });

  function start(now: string, timeScale = 1) {
    jest.useFakeTimers({ now: new Date(now) });
    const delivered: Array<{ target: string; payload: string; at: string }> = [];
    events = new LocalEvents(stack, resolver, (target, payload) => delivered.push({ target, payload, at: new Date().toISOString() }));
    events.start(timeScale);
    return delivered;
  }

  it('delivers at the cron times on the clock, with the cron time as the event time', () => {
    const delivered = start('2026-12-04T09:29:50.000Z'); // a Friday

    jest.advanceTimersByTime(10_000);
    const weekday = delivered.filter((d) => d.target.endsWith(':function:fixture-record'));

    expect(weekday).toHaveLength(1);
    expect(weekday[0].at).toBe('2026-12-04T09:30:00.000Z');
    expect(JSON.parse(weekday[0].payload)).toEqual({
      version: '0',
      id: expect.any(String),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: '2026-12-04T09:30:00Z',
      region: 'eu-west-1',
      resources: ['arn:aws:events:eu-west-1:000000000000:rule/fixture-weekday-mornings'],
      detail: {},
    });
  });

  it('skips the days the expression excludes and passes its Input to the target', () => {
    const delivered = start('2026-12-04T09:31:00.000Z');

    jest.advanceTimersByTime(3 * 24 * 3600_000); // Friday 09:31 to Monday 09:31
    const weekday = delivered.filter((d) => d.target.endsWith(':function:fixture-record') && JSON.parse(d.payload).resources[0].endsWith('weekday-mornings'));
    const quarterly = delivered.filter((d) => d.target.endsWith(':stateMachine:fixture-runs'));

    expect(weekday.map((d) => d.at)).toEqual(['2026-12-07T09:30:00.000Z']);
    expect(quarterly).toHaveLength(3 * 24 * 4);
    expect(quarterly[0]).toMatchObject({ at: '2026-12-04T09:45:00.000Z', payload: '{"close": "now"}' });
    expect(quarterly.every((d) => /:(00|15|30|45):00\.000Z$/.test(d.at))).toBe(true);
  });

  it('turns every schedule off with LOCAL_TIME_SCALE=0', () => {
    const delivered = start('2026-12-04T09:29:00.000Z', 0);

    jest.advanceTimersByTime(2 * 3600_000);

    expect(delivered).toEqual([]);
  });
});

it('stops npm start naming the rule whose cron uses L', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'e2e-local-cron-'));
  try {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'local/main.ts', '--in-memory', '--assembly', join(FIXTURES, 'bad-cron')], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', LOCAL_DATA_DIR: dataDir, NO_COLOR: '1' },
      encoding: 'utf8',
      timeout: 60_000,
    });

    expect(result.status).toBe(1);
    expect(`${result.stdout}${result.stderr}`).toContain('Rule MonthEnd: cron(0 12 L * ? *): "L" in day-of-month ("L") is not supported by the local runtime');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
