import type { ImportPageDto } from '@pulse/contracts';
import type { ObjectStorage } from '@pulse/object-storage';
import type { TenantContext, TenantDatabaseClient } from '@pulse/tenancy';
import { decodeImportsCursor, encodeImportsCursor } from './import-cursor';
import { IMPORT_COLUMNS, importOrigin, toImportDto, type ImportRow } from './import-row';

export interface ListImportsQuery {
  limit: number;
  cursor?: string;
  entity?: string;
  status?: string;
}

/** Newest first, keyset-paged on (created_at, id): the imports_created_at_id_idx index, scanned backwards. */
export async function listImports(db: TenantDatabaseClient, query: ListImportsQuery, storage: ObjectStorage, tenant: TenantContext): Promise<ImportPageDto> {
  const conditions: string[] = [];
  const values: unknown[] = [];
  const param = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  if (query.cursor !== undefined) {
    const cursor = decodeImportsCursor(query.cursor);
    conditions.push(`(created_at, id) < (${param(cursor.createdAt)}::timestamptz, ${param(cursor.id)}::uuid)`);
  }
  if (query.entity !== undefined) conditions.push(`entity = ${param(query.entity)}`);
  if (query.status !== undefined) conditions.push(`status = ${param(query.status)}::import_status`);
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
  const { rows } = await db.query<ImportRow>(
    `SELECT ${IMPORT_COLUMNS} FROM imports ${where} ORDER BY created_at DESC, id DESC LIMIT ${param(query.limit + 1)}`,
    values,
  );
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return {
    items: page.map((row) => toImportDto(row, importOrigin(row, storage, tenant.tenantId))),
    nextCursor: rows.length > query.limit && last ? encodeImportsCursor({ createdAt: last.cursor_created_at, id: last.id }) : null,
  };
}
