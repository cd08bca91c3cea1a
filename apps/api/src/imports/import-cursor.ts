import { ValidationError } from '@pulse/errors';
import { z } from 'zod';
import { isPostgresInstant, isPostgresInteger } from '../request-input/postgres-values';

/**
 * Opaque page cursors of the import lists: base64url JSON of the last row's sort value and id. Decoded
 * values are validated before they reach SQL (as parameters).
 */

// Form and range: an edited cursor must not carry a value its column (timestamptz, bigint) cannot hold.
const importsCursorSchema = z.strictObject({
  createdAt: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/)
    .refine(isPostgresInstant),
  id: z.uuid(),
});
const errorsCursorSchema = z.strictObject({
  line: z.number().int().nonnegative(),
  id: z
    .string()
    .regex(/^\d{1,19}$/)
    .refine((id) => isPostgresInteger(id, 'bigint')),
});

function decode<T>(raw: string, schema: z.ZodType<T>): T {
  let json: unknown;
  try {
    json = /^[A-Za-z0-9_-]{1,1024}$/.test(raw) ? JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) : undefined;
  } catch {
    json = undefined;
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new ValidationError([{ field: 'query.cursor', code: 'invalid_cursor', message: 'Invalid cursor. Use nextCursor from the previous page unchanged.' }]);
  }
  return parsed.data;
}

const encode = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

export type ImportsCursor = z.infer<typeof importsCursorSchema>;
export type ImportErrorsCursor = z.infer<typeof errorsCursorSchema>;

export const encodeImportsCursor = (cursor: ImportsCursor) => encode(cursor);
export const decodeImportsCursor = (raw: string) => decode(raw, importsCursorSchema);
export const encodeImportErrorsCursor = (cursor: ImportErrorsCursor) => encode(cursor);
export const decodeImportErrorsCursor = (raw: string) => decode(raw, errorsCursorSchema);
