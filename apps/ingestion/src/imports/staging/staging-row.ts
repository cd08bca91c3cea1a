import type { CanonicalRow, RowRejection } from '@pulse/parsing';

/** What COPY's text format must escape in a value, and NUL, which PostgreSQL cannot store at all. */
// eslint-disable-next-line no-control-regex -- NUL is exactly what this looks for
const SPECIAL = /[\\\n\r\t\u0000]/;
const ESCAPED = /[\\\n\r\t]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const escapeChar = (char: string): string => ESCAPES[char] as string;

/**
 * One parsed row as a line of COPY's text format for its staging table (tab-separated, `\N` for NULL,
 * backslash escapes), or a rejection for what PostgreSQL cannot store (a NUL character in a text value
 * or in `custom`): rejecting that row is better than failing the batch. Text format rather than CSV
 * because `custom` is JSON, full of double quotes that CSV would have to double on every row.
 * `recordAbsent` (NDJSON) also lists the fields the record leaves out, as a text[] literal: an upsert
 * keeps their stored values, where an explicit null clears them. `columnOf` names a field as the file does
 * (its header), for the rejection.
 */
export function stagingLine(row: CanonicalRow, fields: readonly string[], recordAbsent = false, columnOf: (field: string) => string = (field) => field): string | RowRejection {
  let line = String(row.line);
  let absent = '';
  for (let i = 0; i < fields.length; i += 1) {
    const field = fields[i] as string;
    const value = row.values[field];
    if (value === null || value === undefined) {
      line += '\t\\N';
      // Field names are plain identifiers: no quoting needed in the array literal.
      if (recordAbsent && value === undefined) absent += absent === '' ? field : `,${field}`;
    } else if (!SPECIAL.test(value)) {
      line += `\t${value}`;
    } else {
      if (value.includes('\u0000')) return nulRejection(row, columnOf(field));
      line += `\t${value.replace(ESCAPED, escapeChar)}`;
    }
  }
  const absentColumn = absent === '' ? '\\N' : `{${absent}}`;
  // JSON.stringify escapes control characters (a NUL becomes the six characters \u0000) and quotes, so
  // backslashes are the only text-format specials it can leave.
  const custom = JSON.stringify(row.custom);
  if (custom.includes('\\')) {
    if (custom.includes('\\u0000')) return nulRejection(row, 'custom');
    return `${line}\t${custom.replace(ESCAPED, escapeChar)}\t${absentColumn}\n`;
  }
  return `${line}\t${custom}\t${absentColumn}\n`;
}

function nulRejection(row: CanonicalRow, column: string): RowRejection {
  return {
    line: row.line,
    column,
    reasonCode: 'invalid_value',
    message: 'The value contains a NUL character, which cannot be stored.',
    raw: JSON.stringify({ ...row.values, custom: row.custom }),
  };
}
