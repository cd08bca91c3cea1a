import type { ImportErrorPageDto } from '@pulse/contracts';
import { NotFoundError } from '@pulse/errors';
import type { TenantDatabaseClient } from '@pulse/tenancy';
import { decodeImportErrorsCursor, encodeImportErrorsCursor } from './import-cursor';

interface ImportErrorRow {
  id: string;
  line_number: string;
  column: string | null;
  reason_code: string;
  message: string;
  raw_row: string | null;
}

/** An import's rejected rows in line order, keyset-paged on (line_number, id) (import_errors_import_id_line_number_id_idx). */
export async function listImportErrors(db: TenantDatabaseClient, importId: string, query: { limit: number; cursor?: string }): Promise<ImportErrorPageDto> {
  const exists = await db.query('SELECT 1 FROM imports WHERE id = $1', [importId]);
  if (exists.rowCount === 0) throw new NotFoundError('import.not_found', `No import with id "${importId}".`);
  const values: unknown[] = [importId, query.limit + 1];
  let after = '';
  if (query.cursor !== undefined) {
    const cursor = decodeImportErrorsCursor(query.cursor);
    values.push(cursor.line, cursor.id);
    after = 'AND (line_number, id) > ($3::bigint, $4::bigint)';
  }
  const { rows } = await db.query<ImportErrorRow>(
    `SELECT id, line_number, "column", reason_code, message, raw_row FROM import_errors
      WHERE import_id = $1 ${after} ORDER BY line_number, id LIMIT $2`,
    values,
  );
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return {
    items: page.map((row) => ({ line: Number(row.line_number), column: row.column, reasonCode: row.reason_code, message: row.message, rawRow: row.raw_row })),
    nextCursor: rows.length > query.limit && last ? encodeImportErrorsCursor({ line: Number(last.line_number), id: last.id }) : null,
  };
}
