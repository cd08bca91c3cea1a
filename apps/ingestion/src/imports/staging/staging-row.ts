import { jsonHoldsNul, type CanonicalRow, type RowRejection } from '@pulse/parsing';

/** What COPY's text format must escape in a value, and NUL, which PostgreSQL cannot store at all. */
// eslint-disable-next-line no-control-regex -- NUL is exactly what this looks for
const SPECIAL = /[\\\n\r\t\u0000]/;
const ESCAPED = /[\\\n\r\t]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const escapeChar = (char: string): string => ESCAPES[char] as string;

export interface StagingLineOptions {
  /** NDJSON: also list the fields the record leaves out. */
  recordAbsent?: boolean;
  /** A field as the file names it (its header), for a rejection. */
  columnOf?: (field: string) => string;
  /** The entity's key fields: a rejected row still names the row it was meant for by those it gives. */
  keyFields?: readonly string[];
}

/**
 * One parsed row as a line of COPY's text format for its staging table (tab-separated, `\N` for NULL,
 * backslash escapes), or a rejection for what PostgreSQL cannot store (a NUL character in a text value
 * or in `custom`): rejecting that row is better than failing the batch. Text format rather than CSV
 * because `custom` is JSON, full of double quotes that CSV would have to double on every row.
 * `recordAbsent` (NDJSON) also lists the fields the record leaves out, as a text[] literal: an upsert
 * keeps their stored values, where an explicit null clears them.
 */
export function stagingLine(row: CanonicalRow, fields: readonly string[], options: StagingLineOptions = {}): string | RowRejection {
  const { recordAbsent = false, columnOf = (field: string) => field } = options;
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
      if (value.includes('\u0000')) return nulRejection(row, columnOf(field), options.keyFields);
      line += `\t${value.replace(ESCAPED, escapeChar)}`;
    }
  }
  const absentColumn = absent === '' ? '\\N' : `{${absent}}`;
  // JSON.stringify escapes control characters (a NUL becomes the six characters \u0000) and quotes, so
  // backslashes are the only text-format specials it can leave.
  const custom = JSON.stringify(row.custom);
  if (custom.includes('\\')) {
    if (jsonHoldsNul(custom)) return nulRejection(row, 'custom', options.keyFields);
    return `${line}\t${custom.replace(ESCAPED, escapeChar)}\t${absentColumn}\n`;
  }
  return `${line}\t${custom}\t${absentColumn}\n`;
}

/**
 * Like a parser's rejection, it carries the key fields the row gives (without a NUL): a replace keeps that
 * row, a duplicate key's earlier line does not load in its place, and an order's line numbering counts it.
 */
function nulRejection(row: CanonicalRow, column: string, keyFields: readonly string[] = []): RowRejection {
  let key: Record<string, string> | undefined;
  for (const field of keyFields) {
    const value = row.values[field];
    if (typeof value === 'string' && value.trim() !== '' && !value.includes('\u0000')) (key ??= {})[field] = value;
  }
  return {
    line: row.line,
    column,
    reasonCode: 'invalid_value',
    message: 'The value contains a NUL character, which cannot be stored.',
    raw: JSON.stringify({ ...row.values, custom: row.custom }),
    ...(key ? { key } : {}),
  };
}
