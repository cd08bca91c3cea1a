import { ValidationError } from '@pulse/errors';
import { z } from 'zod';
import { isPostgresInstant, isPostgresInteger, isPostgresText } from '../request-input/postgres-values';
import type { CursorPosition, SortKey, SortValueType, Tiebreaker } from './keyset-pagination';

/**
 * Opaque page cursors: base64url of the last row's sort values and id, plus the sort they belong to.
 * Everything decoded is validated against the sort's column types before it reaches SQL (as parameters).
 */

/**
 * A text sort value (a name, an external id, a SKU) may be as long as ingestion lets an indexed text be:
 * INDEXED_TEXT_MAX_BYTES (2600) of UTF-8, so at most that many characters. Two such values encoded stay
 * within MAX_CURSOR_LENGTH, which keeps the request line under Node's 16 KB header limit.
 */
const MAX_VALUE_LENGTH = 2600;
export const MAX_CURSOR_LENGTH = 12_000;

const cursorSchema = z.strictObject({
  s: z.string().max(1000),
  v: z.array(z.string().max(MAX_VALUE_LENGTH).nullable()).max(20),
  id: z.string().min(1).max(MAX_VALUE_LENGTH),
});

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
  return Buffer.from(JSON.stringify({ s: signature, v: position.values, id: position.id }), 'utf8').toString('base64url');
}

export function decodeCursor(raw: string, signature: string, keys: SortKey[], tiebreaker: Tiebreaker): CursorPosition {
  if (raw.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(raw)) throw invalidCursor('not base64url');
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor('not readable');
  }
  const parsed = cursorSchema.safeParse(json);
  if (!parsed.success) throw invalidCursor('not readable');
  const { s, v, id } = parsed.data;
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
