import { CANONICAL_ENTITY_SPECS, type CanonicalEntity } from '@pulse/contracts';
import type { TenantDatabaseClient } from '@pulse/tenancy';
import { escapeIdentifier } from 'pg';

/**
 * The per-import staging table in the tenant's database: UNLOGGED (no WAL: staging is rebuilt from the
 * file if PostgreSQL crashes, which truncates unlogged tables; the loader notices by comparing its row
 * count with the checkpoint), every canonical field as text exactly as the parser normalised it, plus
 * the record's line, `custom` and `absent`: the fields an NDJSON record leaves out (NULL for CSV, whose
 * records all have the file's columns). Typed casts happen once, set-based, when the rows are applied.
 */
export function stagingTableName(importId: string): string {
  return `import_staging_${importId.replace(/-/g, '')}`;
}

export function stagingFields(entity: CanonicalEntity): readonly string[] {
  return CANONICAL_ENTITY_SPECS[entity].fields.map((field) => field.name);
}

export function createStagingTableSql(entity: CanonicalEntity, importId: string): string {
  const table = escapeIdentifier(stagingTableName(importId));
  const columns = stagingFields(entity).map((field) => `${escapeIdentifier(field)} text`);
  // ADD COLUMN too: an import staged by a version without `absent` resumes into its existing table.
  return `CREATE UNLOGGED TABLE IF NOT EXISTS ${table} (line bigint NOT NULL, ${columns.join(', ')}, custom jsonb NOT NULL, absent text[]);
    ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS absent text[]`;
}

export function copyIntoStagingSql(entity: CanonicalEntity, importId: string): string {
  const columns = ['line', ...stagingFields(entity), 'custom', 'absent'].map(escapeIdentifier).join(', ');
  return `COPY ${escapeIdentifier(stagingTableName(importId))} (${columns}) FROM STDIN`; // text format: see staging-row.ts
}

export function dropStagingTableSql(importId: string): string {
  return `DROP TABLE IF EXISTS ${escapeIdentifier(stagingTableName(importId))}`;
}

/**
 * Drops the staging tables of finished imports. Each import drops its own once committed, but a process
 * that died between that COMMIT and the DROP leaves it, with all of the import's rows; an upload's
 * redelivery drops it, a source sync's batch gets none. Any later import of the tenant cleans up.
 */
export async function dropStagingTablesOfFinishedImports(db: TenantDatabaseClient): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT i.id FROM pg_class c JOIN imports i ON c.relname = 'import_staging_' || replace(i.id::text, '-', '')
      WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace AND i.status IN ('succeeded', 'partially_succeeded', 'failed')`,
  );
  const dropped: string[] = [];
  for (const { id } of rows) {
    // Housekeeping, not this import's work: a table someone holds a lock on is left to the next import.
    try {
      await db.query('BEGIN');
      await db.query(`SET LOCAL lock_timeout = '1s'`);
      await db.query(dropStagingTableSql(id));
      await db.query('COMMIT');
      dropped.push(id);
    } catch {
      await db.query('ROLLBACK').catch(() => undefined);
    }
  }
  return dropped;
}
