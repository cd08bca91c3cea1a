import type { RowRejection } from '@pulse/parsing';
import type { TenantDatabaseClient } from '@pulse/tenancy';

// Rejects go in one statement per batch (arrays unnested server-side), not one INSERT per row.
const CHUNK = 5_000;

/** Records rejected rows of an import (import_errors), in the caller's transaction. */
export async function insertImportErrors(db: TenantDatabaseClient, importId: string, rejects: readonly RowRejection[]): Promise<void> {
  for (let start = 0; start < rejects.length; start += CHUNK) {
    const part = rejects.slice(start, start + CHUNK);
    await db.query(
      `INSERT INTO import_errors (import_id, line_number, "column", reason_code, message, raw_row, key)
       SELECT $1, line, "column", reason, message, raw, key::jsonb
         FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS r(line, "column", reason, message, raw, key)`,
      [
        importId,
        part.map((reject) => reject.line),
        // A message quotes the bad value, and an NDJSON key may hold a NUL too: all shown escaped.
        part.map((reject) => (reject.column === null ? null : showNul(reject.column))),
        part.map((reject) => reject.reasonCode),
        part.map((reject) => showNul(reject.message)),
        part.map((reject) => showNul(reject.raw)),
        part.map((reject) => keyJson(reject)),
      ],
    );
  }
}

/** The rejected line's key as JSON, or NULL (none readable; a NUL, which jsonb cannot hold, counts as none). */
function keyJson(reject: RowRejection): string | null {
  if (!reject.key) return null;
  const json = JSON.stringify(reject.key);
  return json.includes('\\u0000') ? null : json;
}

/** PostgreSQL text cannot hold NUL; what an error records is for a human to read, so it is shown escaped. */
function showNul(text: string): string {
  return text.includes('\u0000') ? text.split('\u0000').join('\\0') : text;
}
