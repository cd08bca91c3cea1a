import type { CanonicalEntity } from '@pulse/contracts';
import { LOADED_AT_COLUMN, warehouseColumnType, warehouseTableSpec } from '../warehouse-tables';

export const STAGED_TABLE = '_pulse_staged';

/** A SQL string literal (DuckDB has no parameters in table-function arguments such as read_csv's path). */
export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * Reads a staged CSV into a temporary table with the entity's exact column types: no type sniffing,
 * empty unquoted = NULL, quoted "" = empty string (allow_quoted_nulls=false), strict column count.
 * JSON columns are read as VARCHAR and cast on insert, so malformed JSON fails the load.
 */
export function readStagedSql(entity: CanonicalEntity, csvPath: string): string {
  const spec = warehouseTableSpec(entity);
  const columns = spec.columns
    .map((column) => `${sqlString(column.name)}: ${sqlString(column.type === 'json' ? 'VARCHAR' : warehouseColumnType('duckdb', column.type))}`)
    .join(', ');
  return (
    `CREATE OR REPLACE TEMP TABLE ${STAGED_TABLE} AS SELECT * FROM read_csv(${sqlString(csvPath)}, ` +
    `header = true, delim = ',', quote = '"', escape = '"', auto_detect = false, allow_quoted_nulls = false, ` +
    `strict_mode = true, encoding = 'utf-8', columns = {${columns}})`
  );
}

/**
 * Statements that move the staged rows into the entity table. Upsert deletes the rows whose key is in
 * the file, then inserts the file's rows, keeping the last occurrence of a key repeated within the file
 * (rowid follows file order); rows with a NULL key part are always appended. Replace empties the table first.
 */
export function mergeStagedSql(entity: CanonicalEntity, mode: 'upsert' | 'replace'): string[] {
  const spec = warehouseTableSpec(entity);
  const names = spec.columns.map((column) => column.name);
  const values = spec.columns.map((column) => (column.type === 'json' ? `CAST(${column.name} AS JSON)` : column.name));
  const anyKeyNull = spec.key.map((key) => `${key} IS NULL`).join(' OR ');
  const latest =
    `SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY ${spec.key.join(', ')} ORDER BY rowid DESC) AS _pulse_occurrence ` +
    `FROM ${STAGED_TABLE}) WHERE ${anyKeyNull} OR _pulse_occurrence = 1`;
  const insert =
    `INSERT INTO ${entity} (${[...names, LOADED_AT_COLUMN].join(', ')}) ` +
    `SELECT ${[...values, 'now()'].join(', ')} FROM (${latest})`;
  if (mode === 'replace') return [`DELETE FROM ${entity}`, insert];
  const matches = spec.key.map((key) => `${entity}.${key} = staged.${key}`).join(' AND ');
  return [`DELETE FROM ${entity} USING ${STAGED_TABLE} AS staged WHERE ${matches}`, insert];
}
