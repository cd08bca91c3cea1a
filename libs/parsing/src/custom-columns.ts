import { instantOf, isoDateOf, readDate } from './date-formats';
import { isDayInRange, isInstantInRange } from './date-range';
import { parseCustomNumber, type DecimalSeparator } from './number-formats';
import type { DateReadingRule } from './value-converters';
import type { ZonedTime } from './zoned-time';

export type CustomType = 'number' | 'boolean' | 'date' | 'string';
/** What a custom column's converter gives for one value (NDJSON objects and arrays bypass converters). */
export type CustomValue = string | number | boolean | null;
/** A sample value for type inference: CSV text, or an NDJSON value (JSON numbers and booleans as such). */
export type CustomSample = string | number | boolean;

interface BooleanWord {
  readonly value: boolean;
  /** Only a boolean can mean it; `yes`/`no`/`sim`/`não` can also be codes (NO = Norway, SIM). */
  readonly unambiguous: boolean;
}

const word = (value: boolean, unambiguous: boolean): BooleanWord => Object.freeze({ value, unambiguous });
// No single letters (y/n/s): a column of N/S is more often regions, sizes or codes than answers.
const BOOLEAN_WORDS = new Map<string, BooleanWord>([
  ['true', word(true, true)],
  ['false', word(false, true)],
  ['verdadeiro', word(true, true)],
  ['falso', word(false, true)],
  ['yes', word(true, false)],
  ['no', word(false, false)],
  ['sim', word(true, false)],
  ['não', word(false, false)],
  ['nao', word(false, false)],
]);

function booleanWordOf(text: string): BooleanWord | undefined {
  // Words as listed (most values) first, without allocating a trimmed lowercase copy.
  return BOOLEAN_WORDS.get(text) ?? BOOLEAN_WORDS.get(text.trim().toLowerCase());
}

function readBoolean(text: string): boolean | undefined {
  return booleanWordOf(text)?.value;
}

/**
 * A column is boolean when every value is a boolean word and the words say so beyond doubt: some value is
 * true/false (verdadeiro/falso, or a JSON boolean), or both answers of yes/no (sim/não) occur. A column of
 * only `NO` (Norway) or only `sim` stays text.
 */
function isBooleanColumn(present: readonly CustomSample[]): boolean {
  let unambiguous = false;
  let sawTrue = false;
  let sawFalse = false;
  for (const value of present) {
    if (typeof value === 'boolean') {
      unambiguous = true;
      continue;
    }
    if (typeof value !== 'string') return false;
    const found = booleanWordOf(value);
    if (found === undefined) return false;
    if (found.unambiguous) unambiguous = true;
    if (found.value) sawTrue = true;
    else sawFalse = true;
  }
  return unambiguous || (sawTrue && sawFalse);
}

/** Whether a value reads as a date at all (any year): what makes a column a date column. */
function isDateText(text: string, rule: DateReadingRule): boolean {
  return typeof readDate(text, rule.order) !== 'string';
}

/**
 * ISO form of a date value: `YYYY-MM-DD` for a calendar date, a UTC instant for a date-time; undefined for
 * a value that is no date, or whose day (instant) is outside the range canonical dates (timestamps) take
 * (date-range.ts). Such a value is a placeholder for "no date" (0001-01-01, 1900-01-01, 9999-12-31): the
 * column keeps it as the text the file has, as any value that does not fit its column's type, rather than
 * rejecting the row (a custom column has no contract to break, and feeds no metric) or passing it on as a
 * date the import vouches for. It also keeps toISOString's `+010000-…` form (no ISO text PostgreSQL reads)
 * out of `custom`.
 */
function readCustomDate(text: string, rule: DateReadingRule, zone: ZonedTime): string | undefined {
  const reading = readDate(text, rule.order);
  if (typeof reading === 'string') return undefined;
  if (!reading.hasTime) {
    const day = isoDateOf(reading);
    return isDayInRange(day) ? day : undefined;
  }
  const instant = instantOf(reading, zone);
  return isInstantInRange(instant) ? new Date(instant).toISOString() : undefined;
}

export interface CustomTypeContext {
  readonly decimalSeparator: DecimalSeparator;
  readonly dates: DateReadingRule;
  readonly zone: ZonedTime;
}

/**
 * The type of an unmapped column, from its non-empty values in the sample window: booleans (isBooleanColumn:
 * true/false, verdadeiro/falso, or yes/no and sim/não with both answers present) -> boolean; all numbers
 * (JSON numbers, or text in the file's decimal notation without leading zeros, so codes like `00123` stay
 * text, and that a JavaScript number holds exactly) -> number; all dates (ISO, or day/month dates readable
 * with the file's order, whatever the year) -> date; anything else, or no value at all -> string. Booleans are tested before
 * numbers, so `0`/`1` columns are numbers, not booleans.
 */
export function inferCustomType(values: readonly CustomSample[], context: CustomTypeContext): CustomType {
  const present = values.filter((value) => typeof value !== 'string' || value.trim() !== '');
  if (present.length === 0) return 'string';
  if (isBooleanColumn(present)) return 'boolean';
  if (present.every((value) => typeof value === 'number' || (typeof value === 'string' && parseCustomNumber(value, context.decimalSeparator) !== undefined))) return 'number';
  // Out-of-range dates count: a placeholder among the sample must not turn a column of real dates into text.
  if (present.every((value) => typeof value === 'string' && isDateText(value, context.dates))) return 'date';
  return 'string';
}

/**
 * Converts values of a custom column to its inferred type. A value that does not fit the type is kept as
 * the text it was (never dropped or nulled), a date outside 1901-2199 included; an empty value is null.
 */
export function customConverter(type: CustomType, context: CustomTypeContext): (text: string) => CustomValue {
  switch (type) {
    case 'string':
      return (text) => (text === '' ? null : text);
    case 'boolean':
      return (text) => (text.trim() === '' ? null : readBoolean(text) ?? text);
    case 'number':
      return (text) => (text.trim() === '' ? null : parseCustomNumber(text, context.decimalSeparator) ?? text);
    case 'date':
      return (text) => (text.trim() === '' ? null : readCustomDate(text, context.dates, context.zone) ?? text);
  }
}
