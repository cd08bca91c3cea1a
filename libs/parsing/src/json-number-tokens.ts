import { exactNumberOf } from './number-formats';
import type { JsonValue } from './parse-types';

/**
 * A number token that a JavaScript number may change, after `:`, `,` or `[`: one of 16 or more digits (15
 * significant digits always survive) or one with an exponent (`1e400` overflows, `1e-400` underflows,
 * `1e20` is beyond the safe integers). A cheap test of the raw text, so the scans below run only on the few
 * lines and values that need them; a match inside a string only costs a scan.
 */
const INEXACT_NUMBER = /[:,[]\s*-?(?:(?:\d\.?){16}|\d+(?:\.\d+)?[eE])/;

/** Whether JSON text may hold a number JSON.parse would change (else JSON.parse's value is exact). */
export const mayHoldInexactNumber = (text: string): boolean => INEXACT_NUMBER.test(text);

/**
 * Top-level key -> its value as written, for the NDJSON line's values that JSON.parse may change (else
 * undefined: JSON.parse's values are exact): every number, and the objects and arrays that may hold such
 * a number. JSON.parse rounds `12345678901234567890` to 12345678901234567000; the text lets the converters
 * keep the digits (exactJsonValue for an object or array). `line` must be a JSON object that JSON.parse
 * accepted.
 */
export function longNumberTokens(line: string): ReadonlyMap<string, string> | undefined {
  return INEXACT_NUMBER.test(line) ? topLevelNumberTokens(line) : undefined;
}

/**
 * Top-level key -> number token, or the text of an object or array that may hold a number a JavaScript
 * number changes; for a repeated key the last value counts, as in JSON.parse.
 */
export function topLevelNumberTokens(line: string): Map<string, string> {
  const tokens = new Map<string, string>();
  let at = skipSpace(line, line.indexOf('{') + 1);
  while (at < line.length && line.charCodeAt(at) !== 125) {
    const keyEnd = stringEnd(line, at);
    const keyText = line.slice(at, keyEnd);
    const key = keyText.includes('\\') ? (JSON.parse(keyText) as string) : keyText.slice(1, -1);
    const valueStart = skipSpace(line, skipSpace(line, keyEnd) + 1);
    const valueEnd = valueEndOf(line, valueStart);
    const first = line.charCodeAt(valueStart);
    if (first === 45 || (first >= 48 && first <= 57)) tokens.set(key, line.slice(valueStart, valueEnd));
    else if ((first === 123 || first === 91) && INEXACT_NUMBER.test(line.slice(valueStart, valueEnd))) tokens.set(key, line.slice(valueStart, valueEnd));
    else tokens.delete(key);
    at = skipSpace(line, valueEnd);
    if (line.charCodeAt(at) === 44) at = skipSpace(line, at + 1);
  }
  return tokens;
}

function skipSpace(text: string, from: number): number {
  let at = from;
  for (let code = text.charCodeAt(at); code === 32 || code === 9 || code === 10 || code === 13; code = text.charCodeAt(at)) at += 1;
  return at;
}

/** Index after the closing quote of the string that starts at `from`. */
function stringEnd(text: string, from: number): number {
  let at = from + 1;
  for (;;) {
    const code = text.charCodeAt(at);
    if (code === 92) at += 2;
    else if (code === 34 || Number.isNaN(code)) return at + 1;
    else at += 1;
  }
}

/** Index after the value that starts at `from` (string, object, array, number or literal). */
function valueEndOf(text: string, from: number): number {
  const first = text.charCodeAt(from);
  if (first === 34) return stringEnd(text, from);
  if (first === 123 || first === 91) {
    let depth = 0;
    let at = from;
    do {
      const code = text.charCodeAt(at);
      if (code === 34) {
        at = stringEnd(text, at);
        continue;
      }
      if (code === 123 || code === 91) depth += 1;
      else if (code === 125 || code === 93) depth -= 1;
      else if (Number.isNaN(code)) return at;
      at += 1;
    } while (depth > 0);
    return at;
  }
  let at = from;
  for (let code = text.charCodeAt(at); !(code === 44 || code === 125 || code === 93 || code === 32 || code === 9 || code === 10 || code === 13 || Number.isNaN(code)); code = text.charCodeAt(at)) at += 1;
  return at;
}

/**
 * The value of a JSON text as JSON.parse gives it, except that a number a JavaScript number would change
 * (exactNumberOf: `12345678901234567890`, `1.0000000000000001`, `1e400`) is its token as written, a
 * string: the rule of top-level custom numbers, applied at any depth. `text` must be valid JSON (it is
 * only called on text JSON.parse accepted).
 */
export function exactJsonValue(text: string): JsonValue {
  return new ExactJsonReader(text).value();
}

class ExactJsonReader {
  private at = 0;

  constructor(private readonly text: string) {}

  value(): JsonValue {
    const { text } = this;
    this.at = skipSpace(text, this.at);
    const first = text.charCodeAt(this.at);
    if (first === 123) return this.object();
    if (first === 91) return this.array();
    if (first === 34) return this.string();
    const end = valueEndOf(text, this.at);
    const token = text.slice(this.at, end);
    this.at = end;
    if (first === 116) return true;
    if (first === 102) return false;
    if (first === 110) return null;
    return exactNumberOf(token) ?? token;
  }

  private string(): string {
    const end = stringEnd(this.text, this.at);
    const quoted = this.text.slice(this.at, end);
    this.at = end;
    return quoted.includes('\\') ? (JSON.parse(quoted) as string) : quoted.slice(1, -1);
  }

  private object(): { [key: string]: JsonValue } {
    const { text } = this;
    const object: { [key: string]: JsonValue } = {};
    this.at = skipSpace(text, this.at + 1);
    if (text.charCodeAt(this.at) === 125) {
      this.at += 1;
      return object;
    }
    for (;;) {
      this.at = skipSpace(text, this.at);
      const key = this.string();
      this.at = skipSpace(text, this.at) + 1;
      const value = this.value();
      // As JSON.parse: `__proto__` is an own key like any other, not the object's prototype.
      if (key === '__proto__') Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
      else object[key] = value;
      this.at = skipSpace(text, this.at);
      this.at += 1;
      if (text.charCodeAt(this.at - 1) !== 44) return object;
    }
  }

  private array(): JsonValue[] {
    const { text } = this;
    const array: JsonValue[] = [];
    this.at = skipSpace(text, this.at + 1);
    if (text.charCodeAt(this.at) === 93) {
      this.at += 1;
      return array;
    }
    for (;;) {
      array.push(this.value());
      this.at = skipSpace(text, this.at);
      this.at += 1;
      if (text.charCodeAt(this.at - 1) !== 44) return array;
    }
  }
}
