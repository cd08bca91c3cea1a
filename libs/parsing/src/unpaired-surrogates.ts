/**
 * JSON can write a UTF-16 surrogate alone (`"\ud800"`): JSON.parse gives a string that is no Unicode text.
 * Written out as UTF-8 it becomes U+FFFD (a value silently changed), and PostgreSQL's jsonb refuses it
 * outright (one such value failed the whole import). The parser rejects the line or value instead.
 */

/** A `\uD800`-`\uDFFF` escape in JSON text (paired or not): the cheap test that lets other text through. */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F][0-9a-fA-F]{2}/;
const UNPAIRED = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether a JSON value read from `jsonText` holds, in a string or a key, a surrogate without its pair. */
export function hasUnpairedSurrogate(jsonText: string, value: unknown): boolean {
  return SURROGATE_ESCAPE.test(jsonText) && holdsUnpaired(value);
}

function holdsUnpaired(value: unknown): boolean {
  if (typeof value === 'string') return UNPAIRED.test(value);
  if (Array.isArray(value)) return value.some(holdsUnpaired);
  if (typeof value === 'object' && value !== null) return Object.entries(value).some(([key, inner]) => UNPAIRED.test(key) || holdsUnpaired(inner));
  return false;
}
