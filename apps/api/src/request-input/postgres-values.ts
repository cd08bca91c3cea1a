/**
 * Whether request text is a value PostgreSQL can hold in the column type it is bound to. A value that
 * passes a format check but not the type's range (Feb 30, year 0, a +16:00 offset, 2^31) would
 * otherwise fail inside the query and answer 500 instead of naming the bad field.
 */

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(?:Z|[+-](\d{2}):(\d{2})))?$/;
/** The form of isPostgresInstant's text (for a schema's pattern); the values' ranges are checked by it. */
export const POSTGRES_INSTANT_PATTERN = INSTANT;

// PostgreSQL refuses a time zone displacement beyond 15:59.
const MAX_OFFSET_HOURS = 15;

const INTEGER_RANGES = {
  integer: { min: -(2n ** 31n), max: 2n ** 31n - 1n },
  bigint: { min: -(2n ** 63n), max: 2n ** 63n - 1n },
} as const;

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** A real day of the (proleptic Gregorian) calendar in years 1..9999: PostgreSQL has no year 0. */
function isCalendarDay(year: number, month: number, day: number): boolean {
  return year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/** `YYYY-MM-DD`, a day that exists, years 0001..9999. */
export function isPostgresDate(text: string): boolean {
  const match = DATE.exec(text);
  return match !== null && isCalendarDay(Number(match[1]), Number(match[2]), Number(match[3]));
}

/**
 * A date (`YYYY-MM-DD`) or an ISO-8601 instant with `Z` or an offset (`YYYY-MM-DDTHH:MM[:SS[.ffffff]]`
 * then `Z` or `±HH:MM`): a real day in years 0001..9999, a time of day 00:00..23:59:59, an offset
 * within ±15:59.
 */
export function isPostgresInstant(text: string): boolean {
  const match = INSTANT.exec(text);
  if (!match) return false;
  const [, year, month, day, hour = '0', minute = '0', second = '0', offsetHours = '0', offsetMinutes = '0'] = match;
  return (
    isCalendarDay(Number(year), Number(month), Number(day)) &&
    Number(hour) <= 23 &&
    Number(minute) <= 59 &&
    Number(second) <= 59 &&
    Number(offsetHours) <= MAX_OFFSET_HOURS &&
    Number(offsetMinutes) <= 59
  );
}

/** Decimal digits with an optional `-` whose value fits PostgreSQL's `integer` (int4) or `bigint` (int8). */
export function isPostgresInteger(text: string, type: keyof typeof INTEGER_RANGES): boolean {
  if (!/^-?\d{1,20}$/.test(text)) return false;
  const value = BigInt(text);
  return value >= INTEGER_RANGES[type].min && value <= INTEGER_RANGES[type].max;
}

/** PostgreSQL text (and jsonb strings) cannot hold the NUL character. */
export function isPostgresText(text: string): boolean {
  return !text.includes('\u0000');
}
