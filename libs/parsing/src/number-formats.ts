export type DecimalSeparator = '.' | ',';

// Digits with optional thousands grouping (the other separator, groups of three, the first group without
// a leading zero: `0.500` is no thousands, and with a decimal comma it is no number) and an optional fraction.
const DOT_DECIMAL = /^([+-]?)([1-9]\d{0,2}(?:,\d{3})+|\d+)(?:\.(\d+))?$/;
const COMMA_DECIMAL = /^([+-]?)([1-9]\d{0,2}(?:\.\d{3})+|\d+)(?:,(\d+))?$/;
const PLAIN_DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;
/** Already canonical: no sign, no leading zero (or just `0`). */
const CANONICAL_INTEGER = /^(?:0|[1-9]\d*)$/;
const INTEGER = /^[+-]?\d+$/;

/** DECIMAL(18,4) in the tenant database and warehouse: at most 14 digits before the point. */
export const MAX_DECIMAL_INTEGER_DIGITS = 14;

/** Decimal places of DECIMAL(18,4): every decimal is written with at least this many. */
export const DECIMAL_SCALE = 4;

/**
 * `1.234,56` (comma) or `1,234.56` (dot) -> `1234.5600`; `-0,5` -> `-0.5000`; surrounding spaces ignored.
 * Returns undefined when the text is not a number in that notation. The digits are kept as written (no
 * float rounding), in one canonical form so equal amounts are equal texts: no thousands separators or
 * leading zeros, `.` before at least four fraction digits (more are kept; the database rounds to four).
 */
export function parseDecimal(text: string, separator: DecimalSeparator): string | undefined {
  const fast = separator === '.' ? (plainDecimal(text) ?? groupedDecimal(text, 46, 44)) : groupedDecimal(text, 44, 46);
  return fast !== undefined ? fast : parseDecimalByPattern(text, separator);
}

/** The general reader behind parseDecimal's fast paths (exported so tests can check that they agree). */
export function parseDecimalByPattern(text: string, separator: DecimalSeparator): string | undefined {
  const match = (separator === '.' ? DOT_DECIMAL : COMMA_DECIMAL).exec(text.trim());
  if (match === null) return undefined;
  const integerPart = (match[2] as string).replace(separator === '.' ? /,/g : /\./g, '');
  return canonicalDecimal(match[1] === '-', integerPart, match[3] ?? '');
}

const ZERO_PADDING = ['.0000', '000', '00', '0'];
const FRACTION_PADDING = ['0000', '000', '00', '0'];

/**
 * Fast path for values already written plainly (`-12.50`, `7`, most of any file): one scan of character
 * codes and at most one concatenation, instead of a regex match and its substrings. Undefined for any
 * other form (signs `+`, leading zeros, grouping, spaces, `-0`), which the general path handles.
 */
function plainDecimal(text: string): string | undefined {
  const length = text.length;
  let at = text.charCodeAt(0) === 45 ? 1 : 0;
  const first = text.charCodeAt(at);
  if (!(first >= 48 && first <= 57)) return undefined; // also catches an empty text (NaN)
  if (first === 48 && at + 1 < length && text.charCodeAt(at + 1) !== 46) return undefined;
  let point = -1;
  for (; at < length; at += 1) {
    const code = text.charCodeAt(at);
    if (code === 46 && point === -1 && at + 1 < length) point = at;
    else if (code < 48 || code > 57) return undefined;
  }
  if (text.charCodeAt(0) === 45 && /^-0(\.0*)?$/.test(text)) return undefined;
  if (point === -1) return text + (ZERO_PADDING[0] as string);
  const fraction = length - point - 1;
  return fraction >= DECIMAL_SCALE ? text : text + (ZERO_PADDING[fraction] as string);
}

/**
 * Fast path for the grouped and decimal-comma forms (`1.234.567,89`, `-71,27`, `1,234.56`): one scan of
 * character codes with the same acceptance as DOT_DECIMAL / COMMA_DECIMAL (first group 1-3 digits, then
 * groups of exactly three) and the same output as canonicalDecimal. `point` and `group` are the character
 * codes of the decimal and grouping separators. Undefined for the forms left to the regex path: a sign
 * `+`, spaces, a leading zero before other digits, and negative zero.
 */
function groupedDecimal(text: string, point: number, group: number): string | undefined {
  const length = text.length;
  const negative = text.charCodeAt(0) === 45;
  let at = negative ? 1 : 0;
  const first = text.charCodeAt(at);
  if (!(first >= 48 && first <= 57)) return undefined;
  if (first === 48 && at + 1 < length && text.charCodeAt(at + 1) !== point) return undefined;
  let integer = '';
  let runStart = at;
  let run = 0;
  let grouped = false;
  for (; at < length; at += 1) {
    const code = text.charCodeAt(at);
    if (code >= 48 && code <= 57) {
      run += 1;
    } else if (code === group) {
      if (grouped ? run !== 3 : run > 3) return undefined;
      integer += text.slice(runStart, at);
      runStart = at + 1;
      run = 0;
      grouped = true;
    } else {
      break;
    }
  }
  if (run === 0 || (grouped && run !== 3)) return undefined;
  integer += text.slice(runStart, at);
  let fraction = '';
  if (at < length) {
    if (text.charCodeAt(at) !== point || at + 1 === length) return undefined;
    for (let i = at + 1; i < length; i += 1) {
      const code = text.charCodeAt(i);
      if (!(code >= 48 && code <= 57)) return undefined;
    }
    fraction = text.slice(at + 1);
  }
  if (negative && integer === '0' && /^0*$/.test(fraction)) return undefined;
  const padded = fraction.length >= DECIMAL_SCALE ? fraction : fraction + (FRACTION_PADDING[fraction.length] as string);
  return negative ? `-${integer}.${padded}` : `${integer}.${padded}`;
}

function canonicalDecimal(negative: boolean, integerDigitsText: string, fraction: string): string {
  let start = 0;
  while (start < integerDigitsText.length - 1 && integerDigitsText.charCodeAt(start) === 48) start += 1;
  const integer = start === 0 ? integerDigitsText : integerDigitsText.slice(start);
  const paddedFraction = fraction.length >= DECIMAL_SCALE ? fraction : fraction + '0000'.slice(fraction.length);
  const zero = integer === '0' && /^0*$/.test(paddedFraction);
  return `${negative && !zero ? '-' : ''}${integer}.${paddedFraction}`;
}

/** Digits only (and a sign): `007` -> `7`, `+5` -> `5`. Undefined when not an integer. */
export function parseInteger(text: string): string | undefined {
  if (CANONICAL_INTEGER.test(text)) return text;
  const trimmed = text.trim();
  if (!INTEGER.test(trimmed)) return undefined;
  const negative = trimmed.startsWith('-');
  const digits = trimmed.replace(/^[+-]/, '').replace(/^0+(?=\d)/, '');
  return negative && digits !== '0' ? `-${digits}` : digits;
}

/** Digits before the point, for the DECIMAL(18,4) range check. */
export function integerDigits(normalised: string): number {
  const point = normalised.indexOf('.');
  const end = point === -1 ? normalised.length : point;
  return normalised.startsWith('-') ? end - 1 : end;
}

/**
 * Whether a canonical decimal (parseDecimal's form) fits DECIMAL(18,4) once the database rounds it to four
 * places, half away from zero as PostgreSQL does: at most 14 digits before the point, and not fourteen 9s
 * whose fraction rounds up (`99999999999999.99995` would become `100000000000000.0000` and abort the load).
 */
export function fitsDecimalColumn(normalised: string): boolean {
  const digits = integerDigits(normalised);
  if (digits !== MAX_DECIMAL_INTEGER_DIGITS) return digits < MAX_DECIMAL_INTEGER_DIGITS;
  const start = normalised.charCodeAt(0) === 45 ? 1 : 0;
  const point = start + digits;
  // Rounding reaches the integer part only through 9999 followed by a fifth fraction digit of 5 or more.
  if (normalised.length < point + 1 + DECIMAL_SCALE + 1) return true;
  for (let i = start; i < point + 1 + DECIMAL_SCALE; i += 1) {
    if (i !== point && normalised.charCodeAt(i) !== 57) return true;
  }
  return normalised.charCodeAt(point + 1 + DECIMAL_SCALE) < 53;
}

/**
 * Which decimal separator a file uses, from sample values of its number-like columns. A value is evidence
 * only when it can be read one way: `12,5`, `1.234,56` or `1,5` (comma not followed by exactly three
 * digits, or after a `.`) vote comma; `12.5`, `1,234.56` vote dot. `1.234` and `1,234` are ambiguous and
 * do not vote. The majority wins; without votes, a `;`-delimited file is taken as comma-decimal (what
 * Excel writes in locales that use a decimal comma), any other file as dot-decimal.
 */
export function detectDecimalSeparator(samples: Iterable<string>, delimiter: string | undefined): DecimalSeparator {
  let comma = 0;
  let dot = 0;
  for (const raw of samples) {
    const text = raw.trim();
    const lastComma = text.lastIndexOf(',');
    const lastDot = text.lastIndexOf('.');
    if (lastComma === -1 && lastDot === -1) continue;
    if (COMMA_DECIMAL.test(text) && !DOT_DECIMAL.test(text)) comma += 1;
    else if (DOT_DECIMAL.test(text) && !COMMA_DECIMAL.test(text)) dot += 1;
  }
  if (comma !== dot) return comma > dot ? ',' : '.';
  return delimiter === ';' ? ',' : '.';
}

/**
 * A plain number for `custom` (JSON number), or undefined. Leading zeros (`007`, zip codes) are not
 * numbers, and neither is a value a JavaScript number would change (exactNumberOf): it stays text.
 */
export function parseCustomNumber(text: string, separator: DecimalSeparator): number | undefined {
  // Plain `-12.5` / `7` (most values): Number reads them as written.
  if (separator === '.' && PLAIN_DECIMAL.test(text)) return text.length > 1 && /^-?0\d/.test(text) ? undefined : exactNumberOf(text);
  if (/^\s*[+-]?0\d/.test(text)) return undefined;
  const normalised = parseDecimal(text, separator);
  return normalised === undefined ? undefined : exactNumberOf(normalised);
}

/** A decimal of at most this many significant digits always reads back from a double unchanged. */
const ALWAYS_EXACT_LENGTH = 15;

/**
 * The number a decimal text (plain, or a JSON number token) stands for, when a JavaScript number keeps
 * every digit of it: its shortest form is the same decimal as the text, and a whole number is within
 * ±(2^53 - 1) (beyond, neighbouring integers share one double). Undefined otherwise
 * (`12345678901234567890`, `9007199254740993`, `1.0000000000000001`, `1e400`, `1e-400`): such values are
 * kept as text.
 */
export function exactNumberOf(text: string): number | undefined {
  const value = Number(text);
  if (!Number.isFinite(value) || Math.abs(value) > Number.MAX_SAFE_INTEGER) return undefined;
  // Short texts (most values) have at most 15 significant digits: no comparison needed, unless an
  // exponent takes the value below the doubles' full precision (`1e-400` is 0, `1.2345678e-320` keeps 5 digits).
  if (text.length <= ALWAYS_EXACT_LENGTH && text.indexOf('e') === -1 && text.indexOf('E') === -1) return value;
  return decimalKey(text) === decimalKey(String(value)) ? value : undefined;
}

/**
 * One text per decimal value, for comparing two writings of a number: sign, significant digits and
 * exponent (`-0012.3400` and `-1.234e1` both give `-1234e2`, i.e. -0.1234 x 10^2).
 */
function decimalKey(text: string): string {
  let body = text.trim();
  const sign = body.startsWith('-') ? '-' : '';
  if (sign !== '' || body.startsWith('+')) body = body.slice(1);
  let exponent = 0;
  const e = body.search(/e/i);
  if (e !== -1) {
    exponent = Number(body.slice(e + 1));
    body = body.slice(0, e);
  }
  const point = body.indexOf('.');
  const integer = point === -1 ? body : body.slice(0, point);
  const digits = integer + (point === -1 ? '' : body.slice(point + 1));
  const first = digits.search(/[1-9]/);
  if (first === -1) return '0';
  return `${sign}${digits.slice(first).replace(/0+$/, '')}e${integer.length - first + exponent}`;
}

const MAX_EXPANDED_EXPONENT = 400;

/**
 * A JSON number token in plain decimal notation, for the canonical converters (which read no exponents):
 * `1.5e-7` -> `0.00000015`, `1E+21` -> `1000000000000000000000`; other tokens are returned as they are.
 */
export function plainNumberText(token: string): string {
  const e = token.search(/e/i);
  if (e === -1) return token;
  const negative = token.startsWith('-');
  const mantissa = token.slice(negative ? 1 : 0, e);
  const point = mantissa.indexOf('.');
  const digits = point === -1 ? mantissa : mantissa.slice(0, point) + mantissa.slice(point + 1);
  // Position of the decimal point within `digits` once the exponent is applied.
  const at = (point === -1 ? mantissa.length : point) + Number(token.slice(e + 1));
  // Far beyond any column (`1e999999999`): left as written, which the converters refuse, instead of a huge text.
  if (!(Math.abs(at) <= MAX_EXPANDED_EXPONENT)) return token;
  const body = at <= 0 ? `0.${'0'.repeat(-at)}${digits}` : at >= digits.length ? digits + '0'.repeat(at - digits.length) : `${digits.slice(0, at)}.${digits.slice(at)}`;
  return negative ? `-${body}` : body;
}
