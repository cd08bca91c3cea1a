// A number as JSON writes it (`50`, `-0.5`, `5e1`, `5.0E+1`), or as the query string's range values are
// written (plain decimal text, leading zeros allowed: `050`, 30 digits at most either side of the point).
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const PLAIN_DECIMAL = /^-?\d{1,30}(?:\.\d{1,30})?$/;
const PARTS = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/** The most digits a custom-field range compares on either side of the point (customer-list.query). */
const MAX_DIGITS = 30;

/**
 * The shortest plain decimal text of a filter value that is a number (`5e1`, `50.0`, `050` -> `50`;
 * `-0` -> `0`; `1e-3` -> `0.001`), computed on the digits, never through a JavaScript number, so no digit
 * is lost. Undefined when the value is not a number, or needs more than 30 digits before or after the
 * point (beyond what a range compares; `1e999999` must not become a million digits).
 */
export function shortestDecimalOf(value: string): string | undefined {
  if (!JSON_NUMBER.test(value) && !PLAIN_DECIMAL.test(value)) return undefined;
  const [, sign = '', whole = '', fraction = '', exponentText = '0'] = PARTS.exec(value) ?? [];
  const exponent = Number(exponentText);
  if (!Number.isSafeInteger(exponent)) return undefined;
  let digits = whole + fraction;
  // Where the decimal point falls in `digits`, counted from the left.
  let point = whole.length + exponent;
  const leadingZeros = /^0*/.exec(digits)?.[0].length ?? 0;
  digits = digits.slice(leadingZeros).replace(/0+$/, '');
  point -= leadingZeros;
  if (digits === '') return '0';
  if (point > MAX_DIGITS || digits.length - point > MAX_DIGITS) return undefined;
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}
