import { CANONICAL_ENTITIES } from '@pulse/contracts';
import type { DuckDBConnection } from '@duckdb/node-api';
import { APPLIED_LOADS_TABLE, LOADED_AT_COLUMN, warehouseColumnType, warehouseTableDdl, warehouseTableSpec } from '../warehouse-tables';

const SCHEMA_TABLE = '_pulse_schema_migrations';

/**
 * Numbered schema changes of a tenant's DuckDB file, applied once each, in order, in one transaction
 * with their record. Append a new version for a change; never edit an applied one. Columns added to
 * CANONICAL_ENTITY_SPECS later need no migration: `addMissingColumns` adds them on open.
 */
const MIGRATIONS: readonly { version: number; statements: () => string[] }[] = [
  {
    version: 1,
    statements: () => [
      ...CANONICAL_ENTITIES.map((entity) => warehouseTableDdl('duckdb', entity)),
      `CREATE TABLE IF NOT EXISTS ${APPLIED_LOADS_TABLE} (
  inbox_entry VARCHAR PRIMARY KEY,
  import_id VARCHAR NOT NULL,
  entity VARCHAR NOT NULL,
  mode VARCHAR NOT NULL,
  applied_at TIMESTAMPTZ NOT NULL
)`,
    ],
  },
];

export const DUCKDB_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

async function inTransaction(connection: DuckDBConnection, statements: string[]): Promise<void> {
  await connection.run('BEGIN TRANSACTION');
  try {
    for (const statement of statements) await connection.run(statement);
    await connection.run('COMMIT');
  } catch (error) {
    await connection.run('ROLLBACK');
    throw error;
  }
}

async function addMissingColumns(connection: DuckDBConnection): Promise<void> {
  const reader = await connection.runAndReadAll(
    `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main'`,
  );
  const existing = new Set(reader.getRows().map(([table, column]) => `${String(table)}.${String(column)}`));
  const statements: string[] = [];
  for (const entity of CANONICAL_ENTITIES) {
    for (const column of warehouseTableSpec(entity).columns) {
      // Added columns are nullable: rows loaded before the field existed have no value for it.
      if (!existing.has(`${entity}.${column.name}`)) {
        statements.push(`ALTER TABLE ${entity} ADD COLUMN ${column.name} ${warehouseColumnType('duckdb', column.type)}`);
      }
    }
    if (!existing.has(`${entity}.${LOADED_AT_COLUMN}`)) throw new Error(`Warehouse table ${entity} has no ${LOADED_AT_COLUMN} column`);
  }
  if (statements.length > 0) await inTransaction(connection, statements);
}

/** Brings a tenant's DuckDB file to the current schema (idempotent; the caller holds the file). */
export async function migrateDuckDbSchema(connection: DuckDBConnection): Promise<void> {
  await connection.run(
    `CREATE TABLE IF NOT EXISTS ${SCHEMA_TABLE} (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)`,
  );
  const reader = await connection.runAndReadAll(`SELECT coalesce(max(version), 0) FROM ${SCHEMA_TABLE}`);
  const current = Number(reader.getRows()[0][0]);
  for (const migration of MIGRATIONS.filter((candidate) => candidate.version > current)) {
    await inTransaction(connection, [
      ...migration.statements(),
      `INSERT INTO ${SCHEMA_TABLE} VALUES (${migration.version}, now())`,
    ]);
  }
  await addMissingColumns(connection);
}
