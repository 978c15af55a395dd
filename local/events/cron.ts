/**
 * EventBridge's six-field cron: `minutes hours day-of-month month day-of-week year`, in UTC. Supports
 * `*`, `?`, lists, ranges, `/` steps and month/day names; `L`, `W` and `#` are refused by name so a
 * schedule that would fire on other days than in AWS never starts.
 */

interface Field {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const FIELDS: readonly Field[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  // EventBridge numbers the days of the week 1 (SUN) to 7 (SAT).
  { name: 'day-of-week', min: 1, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
  { name: 'year', min: 1970, max: 2199 },
];

export interface CronSchedule {
  readonly expression: string;
  /** The first cron time strictly after `after` (whole minutes, UTC); undefined when there is none. */
  next(after: Date): Date | undefined;
}

function value(text: string, field: Field, expression: string): number {
  const named = field.names?.indexOf(text.toUpperCase()) ?? -1;
  const n = named >= 0 ? named + field.min : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= field.min && n <= field.max)) {
    throw new Error(`cron(${expression}): "${text}" is not a valid ${field.name} (${field.min}-${field.max}${field.names ? ` or ${field.names[0]}-${field.names.at(-1)}` : ''})`);
  }
  return n;
}

/** The values a field allows, or undefined for `?`. */
function parseField(text: string, field: Field, expression: string): Set<number> | undefined {
  if (text === '?') {
    if (field.name !== 'day-of-month' && field.name !== 'day-of-week') throw new Error(`cron(${expression}): "?" is only allowed in day-of-month or day-of-week, not in ${field.name}`);
    return undefined;
  }
  const special = /[LW#]/i.exec(text.replace(/[A-Z]{3}/gi, (n) => (field.names?.includes(n.toUpperCase()) ? '' : n)));
  if (special) {
    throw new Error(`cron(${expression}): "${special[0]}" in ${field.name} ("${text}") is not supported by the local runtime (L, W and # are not)`);
  }
  const values = new Set<number>();
  for (const item of text.split(',')) {
    const m = /^(\*|[^-/]+)(?:-([^/]+))?(?:\/(\d+))?$/.exec(item);
    if (!m) throw new Error(`cron(${expression}): "${item}" is not a valid ${field.name} entry`);
    const [, startText, endText, stepText] = m;
    const start = startText === '*' ? field.min : value(startText, field, expression);
    // `a/n` runs from a to the field's end, as in AWS; a bare `a` is a single value.
    const end = startText === '*' ? field.max : endText !== undefined ? value(endText, field, expression) : stepText ? field.max : start;
    if (startText === '*' && endText !== undefined) throw new Error(`cron(${expression}): "${item}" is not a valid ${field.name} entry`);
    if (end < start) throw new Error(`cron(${expression}): range "${item}" in ${field.name} ends before it starts`);
    const step = stepText ? Number(stepText) : 1;
    if (step < 1) throw new Error(`cron(${expression}): step "/${stepText}" in ${field.name} must be at least 1`);
    for (let v = start; v <= end; v += step) values.add(v);
  }
  return values;
}

/** Parses the inside of `cron(...)`; throws naming what is wrong or unsupported. */
export function parseCron(expression: string): CronSchedule {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 6) throw new Error(`cron(${expression}): EventBridge cron has 6 fields (minutes hours day-of-month month day-of-week year), got ${parts.length}`);
  const [minutes, hours, dom, months, dow, years] = parts.map((p, i) => parseField(p, FIELDS[i], expression));
  if (!minutes || !hours || !months || !years) throw new Error('unreachable');
  if ((dom === undefined) === (dow === undefined)) {
    throw new Error(`cron(${expression}): exactly one of day-of-month and day-of-week must be "?" (EventBridge does not allow both or neither)`);
  }
  const dayMatches = (d: Date) => (dom ? dom.has(d.getUTCDate()) : (dow as Set<number>).has(d.getUTCDay() + 1));
  const lastYear = Math.max(...years);

  return {
    expression,
    next(after: Date): Date | undefined {
      const t = new Date(Math.floor(after.getTime() / 60_000) * 60_000 + 60_000);
      while (t.getUTCFullYear() <= lastYear) {
        if (!years.has(t.getUTCFullYear())) {
          t.setUTCFullYear(t.getUTCFullYear() + 1, 0, 1);
          t.setUTCHours(0, 0, 0, 0);
        } else if (!months.has(t.getUTCMonth() + 1)) {
          t.setUTCMonth(t.getUTCMonth() + 1, 1);
          t.setUTCHours(0, 0, 0, 0);
        } else if (!dayMatches(t)) {
          t.setUTCDate(t.getUTCDate() + 1);
          t.setUTCHours(0, 0, 0, 0);
        } else if (!hours.has(t.getUTCHours())) {
          t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
        } else if (!minutes.has(t.getUTCMinutes())) {
          t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
        } else {
          return t;
        }
      }
      return undefined;
    },
  };
}
