import { importOptionsSchema, type ImportDto } from '@pulse/contracts';
import { sourcesPrefix, type ObjectStorage } from '@pulse/object-storage';

export interface ImportRow {
  id: string;
  entity: ImportDto['entity'];
  status: ImportDto['status'];
  mode: ImportDto['mode'];
  format: ImportDto['format'];
  source_id: string | null;
  object_uri: string | null;
  options: unknown;
  rows_received: string;
  rows_loaded: string;
  rows_rejected: string;
  rows_deleted: string;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  timings: Record<string, number>;
  error_code: string | null;
  error: string | null;
  /** created_at to the microsecond, as text: the keyset cursor's value (a Date would lose precision). */
  cursor_created_at: string;
}

export const IMPORT_COLUMNS = `id, entity, status, mode, format, source_id, object_uri, options, rows_received, rows_loaded, rows_rejected,
  rows_deleted, created_at, started_at, finished_at, timings, error_code, error,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_created_at`;

export function importLinks(id: string): ImportDto['links'] {
  return { self: `/v1/imports/${id}`, errors: `/v1/imports/${id}/errors` };
}

/**
 * Who made an import: a source's sync, known by its source or, once that source is deleted (its imports'
 * source_id becomes NULL), by its file under the tenant's `sources/` folder, as the loader knows it; else
 * an upload.
 */
export function importOrigin(row: ImportRow, storage: ObjectStorage, tenantId: string): ImportDto['origin'] {
  if (row.source_id !== null) return 'source-sync';
  if (row.object_uri === null) return 'upload';
  let key: string;
  try {
    key = storage.keyOf(row.object_uri);
  } catch {
    return 'upload'; // not a URI of this storage: no sync wrote it
  }
  return key.startsWith(sourcesPrefix(tenantId)) ? 'source-sync' : 'upload';
}

export function toImportDto(row: ImportRow, origin: ImportDto['origin']): ImportDto {
  const options = importOptionsSchema.parse(row.options ?? {});
  return {
    id: row.id,
    entity: row.entity,
    status: row.status,
    mode: row.mode,
    format: row.format,
    origin,
    sourceId: row.source_id,
    onUnknownReference: options.onUnknownReference,
    maxRejectedShare: options.maxRejectedShare,
    rowsReceived: Number(row.rows_received),
    rowsLoaded: Number(row.rows_loaded),
    rowsRejected: Number(row.rows_rejected),
    rowsDeleted: Number(row.rows_deleted),
    createdAt: row.created_at.toISOString(),
    startedAt: row.started_at?.toISOString() ?? null,
    finishedAt: row.finished_at?.toISOString() ?? null,
    durationMs: row.started_at && row.finished_at ? row.finished_at.getTime() - row.started_at.getTime() : null,
    timings: row.timings,
    errorCode: row.error_code,
    error: row.error,
    links: importLinks(row.id),
  };
}
