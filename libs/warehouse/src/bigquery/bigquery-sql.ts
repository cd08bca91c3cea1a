import type { CanonicalEntity } from '@pulse/contracts';
import { LOADED_AT_COLUMN, warehouseTableSpec } from '../warehouse-tables';

/**
 * The MERGE that applies a loaded staging table to an entity table, atomically (one statement):
 * rows whose key matches are updated, new keys inserted, and with `replace` every target row absent
 * from the file deleted (WHEN NOT MATCHED BY SOURCE), so the table ends up holding exactly the file.
 * A NULL key part never matches (SQL equality), so such rows are appended, as on DuckDB.
 * Keys must be unique within the staging table (B dedupes); BigQuery rejects a MERGE otherwise.
 */
export function bigQueryMergeSql(
  entity: CanonicalEntity,
  mode: 'upsert' | 'replace',
  tables: { target: string; staging: string },
): string {
  const spec = warehouseTableSpec(entity);
  const names = spec.columns.map((column) => column.name);
  const updated = names.filter((name) => !spec.key.includes(name));
  const on = spec.key.map((key) => `target.${key} = source.${key}`).join(' AND ');
  const lines = [
    `MERGE ${tables.target} AS target`,
    `USING ${tables.staging} AS source`,
    `ON ${on}`,
    `WHEN MATCHED THEN UPDATE SET ${[...updated.map((name) => `${name} = source.${name}`), `${LOADED_AT_COLUMN} = CURRENT_TIMESTAMP()`].join(', ')}`,
    `WHEN NOT MATCHED THEN INSERT (${[...names, LOADED_AT_COLUMN].join(', ')}) VALUES (${[...names.map((name) => `source.${name}`), 'CURRENT_TIMESTAMP()'].join(', ')})`,
  ];
  if (mode === 'replace') lines.push('WHEN NOT MATCHED BY SOURCE THEN DELETE');
  return lines.join('\n');
}

/**
 * Whether a load was applied already: the count of its records in the dataset's applied-loads table.
 * Parameters @import_id, @entity, @mode.
 */
export function bigQueryAppliedCountSql(appliedLoads: string): string {
  return `SELECT COUNT(*) AS applied FROM ${appliedLoads} WHERE import_id = @import_id AND entity = @entity AND mode = @mode`;
}

/**
 * The MERGE of a load and its record in the applied-loads table, in one multi-statement transaction:
 * either both are committed or neither, so a load found recorded is one whose rows are in the table.
 * Parameters @import_id, @entity, @mode.
 */
export function bigQueryApplyLoadSql(
  entity: CanonicalEntity,
  mode: 'upsert' | 'replace',
  tables: { target: string; staging: string; appliedLoads: string },
): string {
  return [
    'BEGIN TRANSACTION;',
    `${bigQueryMergeSql(entity, mode, tables)};`,
    `INSERT INTO ${tables.appliedLoads} (import_id, entity, mode, applied_at) VALUES (@import_id, @entity, @mode, CURRENT_TIMESTAMP());`,
    'COMMIT TRANSACTION;',
  ].join('\n');
}
