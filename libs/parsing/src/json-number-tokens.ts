/**
 * A number token of at least 16 digits after `:`, `,` or `[`: only such a token can hold more digits than
 * a JavaScript number keeps (15 significant digits always survive). A cheap test of the raw line, so the
 * scan below runs only on the few lines that need it; a match inside a string only costs that scan.
 */
const LONG_NUMBER = /[:,[]\s*-?(?:\d\.?){16}/;

/**
 * The number tokens, as written, of an NDJSON line's top-level keys, when the line has a long number
 * (else undefined: JSON.parse's numbers are exact). JSON.parse rounds `12345678901234567890` to
 * 12345678901234567000; the token lets the converters keep the digits. `line` must be a JSON object
 * that JSON.parse accepted.
 */
export function longNumberTokens(line: string): ReadonlyMap<string, string> | undefined {
  return LONG_NUMBER.test(line) ? topLevelNumberTokens(line) : undefined;
}

/** Top-level key -> number token; for a repeated key the last value counts, as in JSON.parse. */
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
