import { instantOf, isoDateOf, readDate } from './date-formats';
import { parseCustomNumber, type DecimalSeparator } from './number-formats';
import type { DateReadingRule } from './value-converters';
import type { ZonedTime } from './zoned-time';

export type CustomType = 'number' | 'boolean' | 'date' | 'string';
export type CustomValue = string | number | boolean | null;

const TRUE_WORDS = new Set(['true', 'yes', 'sim', 'y', 's', 'verdadeiro']);
const FALSE_WORDS = new Set(['false', 'no', 'não', 'nao', 'n', 'falso']);

function readBoolean(text: string): boolean | undefined {
  // Words as listed (most values) first, without allocating a trimmed lowercase copy.
  if (TRUE_WORDS.has(text)) return true;
  if (FALSE_WORDS.has(text)) return false;
  const word = text.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return undefined;
}

/** ISO form of a date value: `YYYY-MM-DD` for a calendar date, a UTC instant for a date-time. */
function readCustomDate(text: string, rule: DateReadingRule, zone: ZonedTime): string | undefined {
  const reading = readDate(text, rule.order);
  if (typeof reading === 'string') return undefined;
  return reading.hasTime ? new Date(instantOf(reading, zone)).toISOString() : isoDateOf(reading);
}

export interface CustomTypeContext {
  readonly decimalSeparator: DecimalSeparator;
  readonly dates: DateReadingRule;
  readonly zone: ZonedTime;
}

/**
 * The type of an unmapped column, from its non-empty values in the sample window: all booleans
 * (true/false, yes/no, sim/não, y/n, s/n) -> boolean; all numbers in the file's decimal notation (no leading
 * zeros, so codes like `00123` stay text) -> number; all dates (ISO, or day/month dates readable with the
 * file's order) -> date; anything else, or no value at all -> string. Booleans are tested before numbers,
 * so `0`/`1` columns are numbers, not booleans.
 */
export function inferCustomType(values: readonly string[], context: CustomTypeContext): CustomType {
  const present = values.filter((value) => value.trim() !== '');
  if (present.length === 0) return 'string';
  if (present.every((value) => readBoolean(value) !== undefined)) return 'boolean';
  if (present.every((value) => parseCustomNumber(value, context.decimalSeparator) !== undefined)) return 'number';
  if (present.every((value) => readCustomDate(value, context.dates, context.zone) !== undefined)) return 'date';
  return 'string';
}

/**
 * Converts values of a custom column to its inferred type. A value that does not fit the type is kept as
 * the text it was (never dropped or nulled); an empty value is null.
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
