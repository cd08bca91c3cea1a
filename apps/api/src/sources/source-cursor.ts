import { ValidationError } from '@pulse/errors';
import type { z } from 'zod';
import { PAGE_CURSOR } from './sources.schemas';

/** Opaque keyset cursor of the source and sync lists: base64url JSON of the last row's time and id. */
export type PageCursor = z.infer<typeof PAGE_CURSOR>;

export function encodeCursor(cursor: PageCursor): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

export function decodeCursor(raw: string | undefined): PageCursor | null {
  if (raw === undefined) return null;
  let json: unknown;
  try {
    json = /^[A-Za-z0-9_-]{1,512}$/.test(raw) ? JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) : undefined;
  } catch {
    json = undefined;
  }
  const parsed = PAGE_CURSOR.safeParse(json);
  if (!parsed.success) {
    throw new ValidationError([{ field: 'query.cursor', code: 'invalid_cursor', message: 'Invalid cursor. Use nextCursor from the previous page unchanged.' }]);
  }
  return parsed.data;
}
