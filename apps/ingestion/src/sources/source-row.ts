import {
  CANONICAL_ENTITY_SPECS,
  importMappingSchema,
  readStoredConnection,
  type CanonicalEntity,
  type ImportMapping,
  type SourceConnection,
} from '@pulse/contracts';
import type { ExpectedColumn, StreamState } from '@pulse/connectors';
import { DomainError } from '@pulse/errors';
import { normalizeHeader } from '@pulse/parsing';
import type { TenantDatabaseClient } from '@pulse/tenancy';

/** A source as the sync needs it, read from the tenant database. */
export interface SourceRow {
  id: string;
  name: string;
  entity: CanonicalEntity;
  connection: SourceConnection;
  mapping: ImportMapping | undefined;
  /** Sealed credentials (SecretBox); opened only to connect. */
  credentials: string | null;
  columns: ExpectedColumn[] | null;
  schedule: string | null;
  enabled: boolean;
  consecutiveFailures: number;
  /** The settings version read with the rest (bumped by a PATCH of the connection or mapping). */
  configVersion: number;
  state: StreamState | null;
}

/** Sources keep one stream each (a table, a sheet tab, an endpoint, a file set). */
export const SOURCE_STREAM = 'main';

export async function readSourceOrThrow(db: TenantDatabaseClient, sourceId: string): Promise<SourceRow> {
  const { rows } = await db.query<{
    id: string; name: string; entity: string; config: unknown; mapping: unknown; credentials: string | null; columns: ExpectedColumn[] | null;
    schedule: string | null; enabled: boolean; consecutive_failures: number; config_version: number; cursor: StreamState | null;
  }>(
    `SELECT s.id, s.name, s.entity, s.config, s.mapping, s.credentials, s.columns, s.schedule, s.enabled, s.consecutive_failures, s.config_version, st.cursor
       FROM sources s LEFT JOIN sync_states st ON st.source_id = s.id AND st.stream = $2
      WHERE s.id = $1`,
    [sourceId, SOURCE_STREAM],
  );
  const row = rows[0];
  if (!row) throw new DomainError('not_found', 'source.not_found', `No source ${sourceId}.`);
  const stored = readStoredConnection(row.config);
  if (stored.error !== null) throw new DomainError('unprocessable', 'source.invalid_connection', stored.error);
  return {
    id: row.id,
    name: row.name,
    entity: row.entity as CanonicalEntity,
    connection: stored.connection,
    mapping: row.mapping === null ? undefined : importMappingSchema.parse(row.mapping),
    credentials: row.credentials,
    columns: row.columns,
    schedule: row.schedule,
    enabled: row.enabled,
    consecutiveFailures: row.consecutive_failures,
    configVersion: row.config_version,
    state: row.cursor,
  };
}

/**
 * Source columns the mapping reads, matched by normalised name as the parser matches them: mapped
 * explicitly, or named like one of the entity's canonical fields that no explicit entry already feeds (the
 * parser maps those without being told). A column mapped to null is left out on purpose, even one named
 * like a canonical field: that is how a tenant goes on without a column that disappeared. Only these
 * columns can make schema drift fatal.
 */
export function mappedSourceColumns(entity: CanonicalEntity, mapping: ImportMapping | undefined, columns: readonly string[]): string[] {
  const targets = new Map(Object.entries(mapping?.columns ?? {}).map(([column, target]) => [normalizeHeader(column), target]));
  const fedExplicitly = new Set([...targets.values()].flatMap((target) => (target === null ? [] : [typeof target === 'string' ? target : target.field])));
  const canonical = new Set(CANONICAL_ENTITY_SPECS[entity].fields.map((field) => field.name));
  return columns.filter((column) => {
    const name = normalizeHeader(column);
    const target = targets.get(name);
    if (target !== undefined) return target !== null;
    return canonical.has(name) && !fedExplicitly.has(name);
  });
}
