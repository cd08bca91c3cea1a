import { readStoredConnection, type SourceDto, type SourceSyncDto } from '@pulse/contracts';
import { credentialNames, openCredentials } from '@pulse/connectors';
import type { SecretBox } from '@pulse/crypto';
import type { ImportMapping } from '@pulse/contracts';

/** The columns the api reads; `credentials` is read only to list which names are set, never returned. */
export const SOURCE_COLUMNS = `s.id, s.name, s.entity, s.kind, s.config, s.credentials, s.mapping, s.schedule, s.enabled, s.next_sync_at,
  s.consecutive_failures, s.created_at, s.updated_at`;

export const SYNC_COLUMNS = `y.id, y.source_id, y.trigger, y.status, y.rows_read, y.rows_loaded, y.rows_rejected, y.rows_deleted, y.files_loaded,
  y.import_ids, y.error_code, y.error, y.requested_at, y.started_at, y.finished_at`;

export interface SourceApiRow {
  id: string;
  name: string;
  entity: string;
  kind: string;
  config: unknown;
  credentials: string | null;
  mapping: ImportMapping | null;
  schedule: string | null;
  enabled: boolean;
  next_sync_at: Date | null;
  consecutive_failures: number;
  created_at: Date;
  updated_at: Date;
}

export interface SyncApiRow {
  id: string;
  source_id: string;
  trigger: 'manual' | 'schedule';
  status: SourceSyncDto['status'];
  rows_read: string;
  rows_loaded: string;
  rows_rejected: string;
  rows_deleted: string;
  files_loaded: number;
  import_ids: string[] | null;
  error_code: string | null;
  error: string | null;
  requested_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

export function toSyncDto(row: SyncApiRow): SourceSyncDto {
  return {
    id: row.id,
    sourceId: row.source_id,
    trigger: row.trigger,
    status: row.status,
    rowsRead: Number(row.rows_read),
    rowsLoaded: Number(row.rows_loaded),
    rowsRejected: Number(row.rows_rejected),
    rowsDeleted: Number(row.rows_deleted),
    filesLoaded: row.files_loaded,
    importIds: row.import_ids ?? [],
    errorCode: row.error_code,
    error: row.error,
    requestedAt: row.requested_at.toISOString(),
    startedAt: row.started_at?.toISOString() ?? null,
    finishedAt: row.finished_at?.toISOString() ?? null,
  };
}

/** A source as the API shows it: the connection as configured, the names of its credentials, no secret. */
export function toSourceDto(row: SourceApiRow, box: SecretBox, lastSync: SyncApiRow | null): SourceDto {
  const { connection, error } = readStoredConnection(row.config);
  return {
    id: row.id,
    name: row.name,
    entity: row.entity as SourceDto['entity'],
    kind: row.kind,
    connection,
    connectionError: error,
    credentialsSet: credentialNames(openCredentials(box, row.credentials)),
    mapping: row.mapping,
    schedule: row.schedule,
    enabled: row.enabled,
    nextSyncAt: row.next_sync_at?.toISOString() ?? null,
    consecutiveFailures: row.consecutive_failures,
    lastSync: lastSync ? toSyncDto(lastSync) : null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
