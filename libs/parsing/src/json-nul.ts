/** A NUL as JSON.stringify writes it: `\u0000` after an even number of backslashes (after an odd one, it is the text `\u0000`). */
const ESCAPED_NUL = /(?<!\\)(?:\\\\)*\\u0000/;

/** Whether JSON that JSON.stringify wrote holds a NUL character, which PostgreSQL's jsonb cannot store. */
export function jsonHoldsNul(json: string): boolean {
  return json.includes('\\u0000') && ESCAPED_NUL.test(json);
}
