import { utcMillis, type ZonedTime } from './zoned-time';

/** Order of day and month in `a/b/yyyy` dates; undefined while not known. */
export type DayMonthOrder = 'dmy' | 'mdy';

export interface DateReading {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millis: number;
  hasTime: boolean;
  /** Minutes east of UTC when the text carries an offset (`Z` = 0). */
  offsetMinutes: number | undefined;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;
// Optional 12-hour clock suffix (`3/1/2024 1:05 PM`), as US spreadsheet exports write.
const DAY_MONTH = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:\s*([AaPp])\.?[Mm]\.?)?)?$/;
const EPOCH = /^-?\d+(?:\.\d+)?$/;

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function validCalendar(r: DateReading): boolean {
  if (r.month < 1 || r.month > 12 || r.day < 1) return false;
  const leap = r.year % 4 === 0 && (r.year % 100 !== 0 || r.year % 400 === 0);
  const maxDay = r.month === 2 && !leap ? 28 : (DAYS_IN_MONTH[r.month - 1] as number);
  return r.day <= maxDay && r.hour < 24 && r.minute < 60 && r.second < 60;
}

function reading(year: number, month: number, day: number, time: (string | undefined)[], offset: string | undefined): DateReading {
  const [hour, minute, second, fraction] = time;
  const offsetMinutes =
    offset === undefined
      ? undefined
      : offset.toUpperCase() === 'Z'
        ? 0
        : (offset.startsWith('-') ? -1 : 1) * (Number(offset.slice(1, 3)) * 60 + Number(offset.replace(':', '').slice(3, 5) || '0'));
  return {
    year,
    month,
    day,
    hour: hour === undefined ? 0 : Number(hour),
    minute: minute === undefined ? 0 : Number(minute),
    second: second === undefined ? 0 : Number(second),
    millis: fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, '0')),
    hasTime: hour !== undefined,
    offsetMinutes,
  };
}

/**
 * Reads an ISO date or date-time (`2024-03-04`, `2024-03-04T10:20:30.5-03:00`, `2024-03-04 10:20`) or a
 * day/month date with optional time (`04/03/2024`, `4.3.2024 10:20:30`; `/`, `.`, `-` separators).
 * `order` says which of the first two numbers is the day; when undefined, a value whose first or second
 * number is above 12 is read the only way it can be, and one where both are at most 12 is `ambiguous`.
 */
export function readDate(text: string, order: DayMonthOrder | undefined): DateReading | 'invalid' | 'ambiguous' {
  const trimmed = text.trim();
  const iso = ISO.exec(trimmed);
  if (iso !== null) {
    const r = reading(Number(iso[1]), Number(iso[2]), Number(iso[3]), [iso[4], iso[5], iso[6], iso[7]], iso[8]);
    return validCalendar(r) ? r : 'invalid';
  }
  const dm = DAY_MONTH.exec(trimmed);
  if (dm === null) return 'invalid';
  const first = Number(dm[1]);
  const second = Number(dm[2]);
  let effective = order;
  if (effective === undefined) {
    if (first > 12 && second <= 12) effective = 'dmy';
    else if (second > 12 && first <= 12) effective = 'mdy';
    else if (first <= 12 && second <= 12) return 'ambiguous';
    else return 'invalid';
  }
  const r = reading(Number(dm[3]), effective === 'dmy' ? second : first, effective === 'dmy' ? first : second, [dm[4], dm[5], dm[6], dm[7]], undefined);
  const meridiem = dm[8]?.toLowerCase();
  if (meridiem !== undefined) {
    if (r.hour < 1 || r.hour > 12) return 'invalid';
    r.hour = (r.hour % 12) + (meridiem === 'p' ? 12 : 0);
  }
  return validCalendar(r) ? r : 'invalid';
}

/**
 * What a day/month value says about the order: `dmy` when the first number is above 12, `mdy` when the
 * second is, undefined when it cannot tell (or is not such a date).
 */
export function dayMonthEvidence(text: string): DayMonthOrder | undefined {
  const dm = DAY_MONTH.exec(text.trim());
  if (dm === null) return undefined;
  const first = Number(dm[1]);
  const second = Number(dm[2]);
  if (first > 12 && second <= 12) return 'dmy';
  if (second > 12 && first <= 12) return 'mdy';
  return undefined;
}

/**
 * Epoch values: detected (`auto`) only for 9-10 digits (seconds, years 1973-2286) and 12-13 digits
 * (milliseconds), so that `20240304` or a 4-digit year is never taken for one. With an explicit unit any
 * number in it, except 9-10 digits in milliseconds: that is a day in the first months of 1970 and what
 * epoch seconds look like, so it is refused rather than loaded 1,000 times too early (seconds given
 * 12-13 digits fall after 2199, out of range).
 */
export function readEpochMillis(text: string, unit: 'seconds' | 'millis' | 'auto'): number | undefined {
  const trimmed = text.trim();
  if (!EPOCH.test(trimmed)) return undefined;
  const value = Number(trimmed);
  if (unit === 'seconds') return Math.round(value * 1000);
  const digits = trimmed.replace(/^-/, '').split('.')[0]?.length ?? 0;
  if (unit === 'millis') return digits === 9 || digits === 10 ? undefined : Math.round(value);
  if (digits === 9 || digits === 10) return Math.round(value * 1000);
  if ((digits === 12 || digits === 13) && !trimmed.includes('.')) return value;
  return undefined;
}

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

export function isoDateOf(r: DateReading): string {
  return `${pad(r.year, 4)}-${pad(r.month)}-${pad(r.day)}`;
}

/** The UTC instant of a reading: its own offset when it has one, else its wall-clock time in `zone`. */
export function instantOf(r: DateReading, zone: ZonedTime): number {
  const local = utcMillis(r.year, r.month - 1, r.day, r.hour, r.minute, r.second, r.millis);
  return r.offsetMinutes === undefined ? zone.toUtc(local) : local - r.offsetMinutes * 60_000;
}

const isDigit = (code: number): boolean => code >= 48 && code <= 57;
const digitsAt = (text: string, from: number, count: number): number => {
  let value = 0;
  for (let i = from; i < from + count; i += 1) {
    const code = text.charCodeAt(i);
    if (!isDigit(code)) return -1;
    value = value * 10 + code - 48;
  }
  return value;
};

/**
 * Fast path for the most common form, `2024-03-31T14:05:00Z` (optionally with `.sss`): already a UTC
 * instant, checked with character codes and returned in the output form without going through Date.
 * Undefined for anything else (the general reader handles it).
 */
export function canonicalUtcInstant(text: string): string | undefined {
  const length = text.length;
  if (length !== 20 && length !== 24) return undefined;
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== 84 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return undefined;
  if (text.charCodeAt(length - 1) !== 90) return undefined;
  if (length === 24 && (text.charCodeAt(19) !== 46 || digitsAt(text, 20, 3) < 0)) return undefined;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return undefined;
  if (!validCalendar({ year, month, day, hour, minute, second, millis: 0, hasTime: true, offsetMinutes: 0 })) return undefined;
  return length === 24 ? text : `${text.slice(0, 19)}.000Z`;
}

/** Fast path for `YYYY-MM-DD` exactly (the canonical date form): the text itself when it is a real day. */
export function canonicalIsoDate(text: string): string | undefined {
  if (text.length !== 10 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return undefined;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  if (year < 0 || month < 0 || day < 0) return undefined;
  return validCalendar({ year, month, day, hour: 0, minute: 0, second: 0, millis: 0, hasTime: false, offsetMinutes: undefined }) ? text : undefined;
}

/**
 * Fast path for the fixed-width day/month forms Brazilian and US exports write (`31/12/2023`,
 * `31/12/2023 23:30`, `31/12/2023 23:30:59`, `/` separators) when the order is known: the UTC instant in
 * milliseconds, or undefined for anything else (the general reader handles it, and reports errors).
 */
export function fixedDayMonthInstant(text: string, order: DayMonthOrder, zone: ZonedTime): number | undefined {
  const length = text.length;
  if ((length !== 10 && length !== 16 && length !== 19) || text.charCodeAt(2) !== 47 || text.charCodeAt(5) !== 47) return undefined;
  const first = digitsAt(text, 0, 2);
  const second = digitsAt(text, 3, 2);
  const year = digitsAt(text, 6, 4);
  let hour = 0;
  let minute = 0;
  let seconds = 0;
  if (length > 10) {
    if (text.charCodeAt(10) !== 32 || text.charCodeAt(13) !== 58) return undefined;
    hour = digitsAt(text, 11, 2);
    minute = digitsAt(text, 14, 2);
    if (length === 19) {
      if (text.charCodeAt(16) !== 58) return undefined;
      seconds = digitsAt(text, 17, 2);
    }
  }
  if (first < 0 || second < 0 || year < 0 || hour < 0 || minute < 0 || seconds < 0) return undefined;
  const reading: DateReading = {
    year,
    month: order === 'dmy' ? second : first,
    day: order === 'dmy' ? first : second,
    hour,
    minute,
    second: seconds,
    millis: 0,
    hasTime: length > 10,
    offsetMinutes: undefined,
  };
  return validCalendar(reading) ? instantOf(reading, zone) : undefined;
}

/**
 * Fast path for a `date` field written `31/12/2023` (or `12/31/2023`), fixed width with `/`, when the
 * order is known: the `YYYY-MM-DD` text when it is a real day, else undefined (the general reader handles
 * it and reports errors). Agrees with readDate + isoDateOf, which date-formats.spec.ts checks.
 */
export function fixedDayMonthDate(text: string, order: DayMonthOrder): string | undefined {
  if (text.length !== 10 || text.charCodeAt(2) !== 47 || text.charCodeAt(5) !== 47) return undefined;
  const first = digitsAt(text, 0, 2);
  const second = digitsAt(text, 3, 2);
  const year = digitsAt(text, 6, 4);
  if (first < 0 || second < 0 || year < 0) return undefined;
  const day = order === 'dmy' ? first : second;
  const month = order === 'dmy' ? second : first;
  if (!validCalendar({ year, month, day, hour: 0, minute: 0, second: 0, millis: 0, hasTime: false, offsetMinutes: undefined })) return undefined;
  const dayText = order === 'dmy' ? text.slice(0, 2) : text.slice(3, 5);
  const monthText = order === 'dmy' ? text.slice(3, 5) : text.slice(0, 2);
  return `${text.slice(6, 10)}-${monthText}-${dayText}`;
}
