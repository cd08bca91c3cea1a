import { CANONICAL_ENTITY_SPECS, type CanonicalEntity } from '@pulse/contracts';
import { escapeIdentifier } from 'pg';

/**
 * The per-import staging table in the tenant's database: UNLOGGED (no WAL: staging is rebuilt from the
 * file if PostgreSQL crashes, which truncates unlogged tables; the loader notices by comparing its row
 * count with the checkpoint), every canonical field as text exactly as the parser normalised it, plus
 * the record's line and `custom`. Typed casts happen once, set-based, when the rows are applied.
 */
export function stagingTableName(importId: string): string {
  return `import_staging_${importId.replace(/-/g, '')}`;
}

export function stagingFields(entity: CanonicalEntity): readonly string[] {
  return CANONICAL_ENTITY_SPECS[entity].fields.map((field) => field.name);
}

export function createStagingTableSql(entity: CanonicalEntity, importId: string): string {
  const columns = stagingFields(entity).map((field) => `${escapeIdentifier(field)} text`);
  return `CREATE UNLOGGED TABLE IF NOT EXISTS ${escapeIdentifier(stagingTableName(importId))} (line bigint NOT NULL, ${columns.join(', ')}, custom jsonb NOT NULL)`;
}

export function copyIntoStagingSql(entity: CanonicalEntity, importId: string): string {
  const columns = ['line', ...stagingFields(entity), 'custom'].map(escapeIdentifier).join(', ');
  return `COPY ${escapeIdentifier(stagingTableName(importId))} (${columns}) FROM STDIN`; // text format: see staging-row.ts
}

export function dropStagingTableSql(importId: string): string {
  return `DROP TABLE IF EXISTS ${escapeIdentifier(stagingTableName(importId))}`;
}
