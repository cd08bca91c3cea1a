import { ValidationError } from '@pulse/errors';
import { z } from 'zod';
import { isPostgresInstant, isPostgresInteger, isPostgresText } from '../request-input/postgres-values';
import type { CursorPosition, SortKey, SortValueType, Tiebreaker } from './keyset-pagination';

/**
 * Opaque page cursors: base64url of the sort they belong to, the last row's id and its sort values.
 * Everything decoded is validated against the sort's column types before it reaches SQL (as parameters).
 *
 * The fields are joined by NUL, which no PostgreSQL text can hold, each written as its UTF-8 bytes: a
 * value costs its own bytes, whatever its characters. (JSON, the first format, escaped each control
 * character into six: a name of 2,600 of them made a cursor the server itself refused.)
 */

/**
 * A text sort value (a customer's name, a SKU, the leading part of a product's name: see
 * PRODUCT_NAME_SORT_CHARACTERS) is at most as long as ingestion lets an indexed text be:
 * INDEXED_TEXT_MAX_BYTES (2600) of UTF-8. The longest cursor, products sorted by every field (SKU and
 * name among them, the SKU again as the id), is then about 8,300 bytes, 11,000 characters encoded:
 * within MAX_CURSOR_LENGTH, which keeps the request line under Node's 16 KB header limit.
 */
export const MAX_VALUE_BYTES = 2600;
export const MAX_CURSOR_LENGTH = 12_000;

const FORMAT = 'c2';
const SEPARATOR = '\u0000';
/** A present value is written after this mark; an empty field is NULL. */
const VALUE_MARK = ':';

/** The cursor of the first format (JSON), still read so that cursors issued before it keep working. */
const jsonCursorSchema = z.strictObject({
  s: z.string(),
  v: z.array(z.string().nullable()),
  id: z.string(),
});

interface DecodedCursor {
  s: string;
  v: Array<string | null>;
  id: string;
}

/** Whether a decoded value has the form cursors are written in and fits its column type (an edited one may not). */
const VALUE_CHECKS: Record<SortValueType, (value: string) => boolean> = {
  // KPI amounts are NUMERIC(38,4) (up to 34 digits before the point); 38 either side covers any numeric sort column.
  numeric: (value) => /^-?\d{1,38}(\.\d{1,38})?$/.test(value),
  integer: (value) => isPostgresInteger(value, 'integer'),
  bigint: (value) => isPostgresInteger(value, 'bigint'),
  timestamptz: (value) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/.test(value) && isPostgresInstant(value),
  text: isPostgresText,
};

function invalidCursor(reason: string): ValidationError {
  return new ValidationError([{ field: 'query.cursor', code: 'invalid_cursor', message: `Invalid cursor: ${reason}. Use nextCursor from the previous page unchanged.` }]);
}

export function encodeCursor(signature: string, position: CursorPosition): string {
  const values = position.values.map((value) => (value === null ? '' : `${VALUE_MARK}${value}`));
  return Buffer.from([FORMAT, signature, position.id, ...values].join(SEPARATOR), 'utf8').toString('base64url');
}

function readCursor(bytes: Buffer): DecodedCursor | undefined {
  if (bytes[0] === 0x7b /* { */) {
    let json: unknown;
    try {
      json = JSON.parse(bytes.toString('utf8'));
    } catch {
      return undefined;
    }
    const parsed = jsonCursorSchema.safeParse(json);
    return parsed.success ? parsed.data : undefined;
  }
  const [format, s, id, ...fields] = bytes.toString('utf8').split(SEPARATOR);
  if (format !== FORMAT || s === undefined || id === undefined) return undefined;
  const v: Array<string | null> = [];
  for (const field of fields) {
    if (field === '') v.push(null);
    else if (field.startsWith(VALUE_MARK)) v.push(field.slice(VALUE_MARK.length));
    else return undefined;
  }
  return { s, v, id };
}

const fitsValue = (value: string) => Buffer.byteLength(value, 'utf8') <= MAX_VALUE_BYTES;

export function decodeCursor(raw: string, signature: string, keys: SortKey[], tiebreaker: Tiebreaker): CursorPosition {
  if (raw.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(raw)) throw invalidCursor('not base64url');
  const decoded = readCursor(Buffer.from(raw, 'base64url'));
  if (!decoded || decoded.s.length > 1000 || decoded.v.length > 20 || decoded.id === '') throw invalidCursor('not readable');
  const { s, v, id } = decoded;
  if (!fitsValue(id) || !v.every((value) => value === null || fitsValue(value))) throw invalidCursor('not readable');
  if (s !== signature) throw invalidCursor(`it belongs to sort "${s}", not "${signature}"`);
  if (v.length !== keys.length) throw invalidCursor('wrong number of values');
  keys.forEach((key, i) => {
    const value = v[i] ?? null;
    if (value === null) {
      if (!key.column.nullable) throw invalidCursor(`${key.field} cannot be null`);
      return;
    }
    if (!VALUE_CHECKS[key.column.type](value)) throw invalidCursor(`bad value for ${key.field}`);
  });
  if (!VALUE_CHECKS[tiebreaker.type](id)) throw invalidCursor('bad id');
  return { values: v, id };
}
