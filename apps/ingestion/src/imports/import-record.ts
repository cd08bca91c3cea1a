import { importOptionsSchema, type CanonicalEntity, type ImportMapping, type ImportMode, type ImportOptions, type ImportStatus } from '@pulse/contracts';
import type { TenantDatabaseClient } from '@pulse/tenancy';
import { EMPTY_CHECKPOINT, type StagingCheckpoint } from './staging/stage-file';

/** An imports row as the loader reads it. */
export interface ImportRecord {
  id: string;
  entity: CanonicalEntity;
  status: ImportStatus;
  mode: ImportMode;
  format: 'csv' | 'ndjson';
  objectUri: string;
  mapping: ImportMapping | undefined;
  options: ImportOptions;
  sourceId: string | null;
  staging: StagingCheckpoint;
  rowsReceived: number;
  rowsLoaded: number;
  rowsRejected: number;
  errorCode: string | null;
  error: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
}

interface ImportRow {
  id: string;
  entity: CanonicalEntity;
  status: ImportStatus;
  mode: ImportMode;
  format: 'csv' | 'ndjson' | null;
  object_uri: string | null;
  mapping: ImportMapping | null;
  options: unknown;
  source_id: string | null;
  checkpoint: { staging?: StagingCheckpoint } | null;
  rows_received: string;
  rows_loaded: string;
  rows_rejected: string;
  error_code: string | null;
  error: string | null;
  started_at: Date | null;
  finished_at: Date | null;
}

export const TERMINAL_STATUSES: readonly ImportStatus[] = ['succeeded', 'partially_succeeded', 'failed'];

export async function readImport(db: TenantDatabaseClient, importId: string): Promise<ImportRecord | undefined> {
  const { rows } = await db.query<ImportRow>(
    `SELECT id, entity, status, mode, format, object_uri, mapping, options, source_id, checkpoint, rows_received, rows_loaded, rows_rejected,
            error_code, error, started_at, finished_at FROM imports WHERE id = $1`,
    [importId],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    id: row.id,
    entity: row.entity,
    status: row.status,
    mode: row.mode,
    format: row.format ?? 'csv',
    objectUri: row.object_uri ?? '',
    mapping: row.mapping ?? undefined,
    options: importOptionsSchema.parse(row.options ?? {}),
    sourceId: row.source_id,
    staging: { ...EMPTY_CHECKPOINT, ...row.checkpoint?.staging },
    rowsReceived: Number(row.rows_received),
    rowsLoaded: Number(row.rows_loaded),
    rowsRejected: Number(row.rows_rejected),
    errorCode: row.error_code,
    error: row.error,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}
