import type { CanonicalField, ImportColumnMapping } from '@pulse/contracts';
import { canonicalIsoDate, canonicalUtcInstant, fixedDayMonthDate, fixedDayMonthInstant, instantOf, isoDateOf, readDate, readEpochMillis, type DayMonthOrder } from './date-formats';
import { DAY_RANGE_TEXT, INSTANT_RANGE_TEXT, isDayInRange, isInstantInRange, isInstantTextInRange } from './date-range';
import { FIRST_FIVE_DIGIT_YEAR_MS, FIRST_FOUR_DIGIT_YEAR_MS, IsoInstantFormatter } from './iso-instant';
import { exactJsonValue, mayHoldInexactNumber } from './json-number-tokens';
import { jsonHoldsNul } from './json-nul';
import { MAX_DECIMAL_INTEGER_DIGITS, fitsDecimalColumn, parseDecimal, parseInteger, type DecimalSeparator } from './number-formats';
import type { RejectionReason } from './parse-types';
import { hasUnpairedSurrogate } from './unpaired-surrogates';
import type { ZonedTime } from './zoned-time';

/** Why a value was refused; `expected` completes the message ("expected a number like 1234.56"). */
export interface Failure {
  readonly reasonCode: RejectionReason;
  readonly expected: string;
}
export type Converted = string | null | Failure;
export type ValueConverter = (text: string) => Converted;

export const isFailure = (value: unknown): value is Failure => typeof value === 'object' && value !== null;

/**
 * Empty or only whitespace (what String#trim removes), for required and identifying fields: `"   "` is no
 * key. Checks the first character before trimming, so the common case (a value starting with a printable
 * ASCII character) costs no allocation.
 */
export function isBlankText(text: string): boolean {
  const first = text.charCodeAt(0);
  if (first > 32 && first < 160) return false;
  return text.trim() === '';
}

/** How dates are read in one column: day/month order (known or not), epochs, or ISO only. */
export interface DateReadingRule {
  readonly order: DayMonthOrder | undefined;
  readonly epoch: 'auto' | 'seconds' | 'millis';
  /** `yyyy-mm-dd` was asked for: day/month dates are refused. */
  readonly isoOnly: boolean;
}

export interface ColumnLocale {
  readonly decimalSeparator: DecimalSeparator;
  readonly dates: DateReadingRule;
  readonly zone: ZonedTime;
}

const failure = (reasonCode: RejectionReason, expected: string): Failure => Object.freeze({ reasonCode, expected });

type Transform = NonNullable<ImportColumnMapping['transforms']>[number];

/** The mapping's text transforms folded into one function (identity when there are none). */
export function compileTransforms(transforms: readonly Transform[] | undefined): (text: string) => string {
  if (transforms === undefined || transforms.length === 0) return (text) => text;
  const steps = transforms.map((transform) =>
    transform === 'trim' ? (t: string) => t.trim() : transform === 'lowercase' ? (t: string) => t.toLowerCase() : (t: string) => t.toUpperCase(),
  );
  return (text) => {
    let value = text;
    for (const step of steps) value = step(value);
    return value;
  };
}

const ISO_START = /^\s*\d{4}-/;

/**
 * Years 0001-9999: the instants Date and the zone's offsets (Intl) handle and toISOString writes with a
 * 4-digit year. Checked on an epoch before it is placed in the zone; the narrower canonical range
 * (date-range.ts) is then checked on the result.
 */
const inFourDigitYears = (utcMs: number): boolean => utcMs >= FIRST_FOUR_DIGIT_YEAR_MS && utcMs < FIRST_FIVE_DIGIT_YEAR_MS;

/** Instant (UTC ms) of a date/time text, or why not. */
function readInstant(text: string, rule: DateReadingRule, zone: ZonedTime): number | 'invalid' | 'ambiguous' {
  const epoch = readEpochMillis(text, rule.epoch);
  if (epoch !== undefined) return epoch;
  if (rule.epoch !== 'auto' || (rule.isoOnly && !ISO_START.test(text))) return 'invalid';
  const reading = readDate(text, rule.order);
  if (typeof reading === 'string') return reading;
  return instantOf(reading, zone);
}

function readCalendarDate(text: string, rule: DateReadingRule, zone: ZonedTime): string | 'invalid' | 'ambiguous' | 'out_of_range' {
  const epoch = readEpochMillis(text, rule.epoch);
  if (epoch !== undefined) {
    // Checked before the zone lookup: Intl throws on instants Date cannot hold (beyond ±8.64e15 ms).
    if (!inFourDigitYears(epoch)) return 'out_of_range';
    // The day the epoch falls on in the zone is what must be in range.
    const local = zone.toLocal(epoch);
    return isInstantInRange(local) ? new Date(local).toISOString().slice(0, 10) : 'out_of_range';
  }
  if (rule.epoch !== 'auto' || (rule.isoOnly && !ISO_START.test(text))) return 'invalid';
  const reading = readDate(text, rule.order);
  if (typeof reading === 'string') return reading;
  // A date field keeps the calendar date as written; a time part, if any, is ignored.
  const day = isoDateOf(reading);
  return isDayInRange(day) ? day : 'out_of_range';
}

/** What a date or timestamp field takes under the import's dateFormat, for the message of a value it refuses. */
function expectedDate(rule: DateReadingRule, kind: 'date' | 'timestamp', zone: ZonedTime): string {
  if (rule.epoch === 'seconds') return 'an epoch in seconds like 1711843200 (the import dateFormat is epoch_seconds)';
  if (rule.epoch === 'millis') return 'an epoch in milliseconds like 1711843200000 (the import dateFormat is epoch_millis)';
  if (kind === 'date') {
    if (rule.isoOnly) return 'a date like 2024-03-31 (the import dateFormat is yyyy-mm-dd)';
    const dayMonth = rule.order === 'mdy' ? '03/31/2024' : '31/03/2024';
    return `a date like 2024-03-31, ${dayMonth} or an epoch`;
  }
  if (rule.isoOnly) return `a date-time like 2024-03-31T14:05:00Z or 2024-03-31 14:05 (read in ${zone.timezone}; the import dateFormat is yyyy-mm-dd)`;
  const dayMonth = rule.order === undefined ? '' : `, ${rule.order === 'mdy' ? '03/31/2024' : '31/03/2024'} 14:05`;
  return `a date-time like 2024-03-31T14:05:00Z, 2024-03-31 14:05${dayMonth} (read in ${zone.timezone}) or an epoch`;
}
const AMBIGUOUS = 'a date whose day and month can be told apart; set the import locale dateFormat (dd/mm/yyyy or mm/dd/yyyy)';
const PLACEHOLDER_HINT = 'no date is an empty value, not a placeholder such as 0001-01-01 or 9999-12-31';

/**
 * A converter for one canonical field: text in, normalised text out (see README for the forms), null for
 * an empty value, or a Failure. Built once per column, called once per value: no allocation on success
 * beyond the result string. An `identifying` text field (a key or a customer reference) takes a value of
 * only whitespace as empty: it names no row, so it must not reach the loader as a key or reference.
 */
export function canonicalConverter(field: CanonicalField, locale: ColumnLocale, columnMapping: ImportColumnMapping | undefined, identifying = false): ValueConverter {
  const transform = compileTransforms(columnMapping?.transforms);
  const separator = columnMapping?.decimalSeparator ?? locale.decimalSeparator;
  const { zone } = locale;
  const rule = locale.dates;
  const invalidNumber = failure('invalid_number', `a number like ${separator === ',' ? '1.234,56' : '1,234.56'}`);
  const outOfRange = failure('out_of_range', rangeText(field));
  // Most fields have no bounds: skip the Number() conversion for them.
  const bounded = field.min !== undefined || field.max !== undefined;
  const inRange = (value: number): boolean => !(field.min !== undefined && value < field.min) && !(field.max !== undefined && value > field.max);

  switch (field.type) {
    case 'text':
      if (identifying) {
        return (text) => {
          const value = transform(text);
          return isBlankText(value) ? null : value;
        };
      }
      return (text) => {
        const value = transform(text);
        return value === '' ? null : value;
      };
    case 'decimal':
      return (text) => {
        const value = transform(text);
        if (value.trim() === '') return null;
        const normalised = parseDecimal(value, separator);
        if (normalised === undefined) return invalidNumber;
        if (!fitsDecimalColumn(normalised)) return outOfRange;
        return !bounded || inRange(Number(normalised)) ? normalised : outOfRange;
      };
    case 'integer': {
      const invalidInteger = failure('invalid_integer', 'a whole number');
      return (text) => {
        const value = transform(text);
        if (value.trim() === '') return null;
        const normalised = parseInteger(value);
        if (normalised === undefined) return invalidInteger;
        if (normalised.length > (normalised.charCodeAt(0) === 45 ? 19 : 18)) return outOfRange;
        return !bounded || inRange(Number(normalised)) ? normalised : outOfRange;
      };
    }
    case 'date': {
      const invalid = failure('invalid_date', expectedDate(rule, 'date', zone));
      const ambiguous = failure('ambiguous_date', AMBIGUOUS);
      const outOfRangeDate = failure('out_of_range', `${DAY_RANGE_TEXT} (${PLACEHOLDER_HINT})`);
      const dayMonthOrder = rule.epoch === 'auto' ? rule.order : undefined;
      return (text) => {
        const value = transform(text);
        const fast = rule.epoch === 'auto' ? (canonicalIsoDate(value) ?? (dayMonthOrder === undefined ? undefined : fixedDayMonthDate(value, dayMonthOrder))) : undefined;
        if (fast !== undefined) return isDayInRange(fast) ? fast : outOfRangeDate;
        if (value.trim() === '') return null;
        const result = readCalendarDate(value, rule, zone);
        if (result === 'invalid') return invalid;
        if (result === 'ambiguous') return ambiguous;
        return result === 'out_of_range' ? outOfRangeDate : result;
      };
    }
    case 'timestamp': {
      const invalid = failure('invalid_timestamp', expectedDate(rule, 'timestamp', zone));
      const ambiguous = failure('ambiguous_date', AMBIGUOUS);
      const outOfRangeInstant = failure('out_of_range', `${INSTANT_RANGE_TEXT} (${PLACEHOLDER_HINT})`);
      const iso = new IsoInstantFormatter();
      return (text) => {
        const value = transform(text);
        const fast = rule.epoch === 'auto' ? canonicalUtcInstant(value) : undefined;
        if (fast !== undefined) return isInstantTextInRange(fast) ? fast : outOfRangeInstant;
        const dayMonth = rule.order !== undefined && rule.epoch === 'auto' ? fixedDayMonthInstant(value, rule.order, zone) : undefined;
        if (dayMonth !== undefined) return isInstantInRange(dayMonth) ? iso.format(dayMonth) : outOfRangeInstant;
        if (value.trim() === '') return null;
        const result = readInstant(value, rule, zone);
        if (result === 'invalid' || Number.isNaN(result)) return invalid;
        if (result === 'ambiguous') return ambiguous;
        return isInstantInRange(result) ? iso.format(result) : outOfRangeInstant;
      };
    }
    case 'json': {
      const invalidJson = failure('invalid_json', 'a JSON object like {"plan":"pro"}');
      const unpaired = failure('invalid_json', 'a JSON object without a UTF-16 surrogate escape that lacks its pair (such as \\ud800 alone), which is no character');
      const withNul = failure('invalid_json', 'a JSON object without a NUL character (\\u0000), which cannot be stored');
      return (text) => {
        const value = transform(text);
        if (value.trim() === '') return null;
        try {
          const parsed: unknown = JSON.parse(value);
          if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return invalidJson;
          if (hasUnpairedSurrogate(value, parsed)) return unpaired;
          // A number JSON.parse would change keeps its digits, as text (the rule of custom numbers).
          const json = JSON.stringify(mayHoldInexactNumber(value) ? exactJsonValue(value) : parsed);
          return jsonHoldsNul(json) ? withNul : json;
        } catch {
          return invalidJson;
        }
      };
    }
    case 'list': {
      const separatorText = columnMapping?.split ?? '|';
      return (text) => {
        const value = transform(text);
        if (value === '') return null;
        const parts = value
          .split(separatorText)
          .map((part) => part.trim())
          .filter((part) => part !== '');
        return parts.length === 0 ? null : parts.join('|');
      };
    }
  }
}

function rangeText(field: CanonicalField): string {
  if (field.type === 'decimal') {
    const bounds = field.min !== undefined || field.max !== undefined ? ` between ${field.min ?? '-inf'} and ${field.max ?? '+inf'}` : '';
    return `a number${bounds} with at most ${MAX_DECIMAL_INTEGER_DIGITS} digits before the decimal point once rounded to 4 decimal places`;
  }
  if (field.min !== undefined && field.max !== undefined) return `a value between ${field.min} and ${field.max}`;
  if (field.min !== undefined) return `a value of at least ${field.min}`;
  if (field.max !== undefined) return `a value of at most ${field.max}`;
  return 'a value within range';
}
