import type { TenantDatabaseClient } from '../pool/tenant-database-pool';

interface IndexRow {
  indexdef: string;
  indexname: string;
}

interface ForeignKeyRow {
  conname: string;
  definition: string;
}

/**
 * Runs `fill` on a table emptied in the caller's transaction with its secondary indexes and foreign keys
 * dropped, then recreates them exactly as the catalog had them (same names and definitions, so the
 * migrations and the schema stay in agreement). Building an index once over a million sorted rows
 * costs a fraction of maintaining twelve of them row by row, and one validating join replaces a
 * foreign-key check per row. The primary key stays: it still catches duplicate rows.
 *
 * Only for a table that is empty inside the caller's transaction and locked ACCESS EXCLUSIVE there
 * (just truncated, or checked empty after LOCK TABLE): nobody sees it without its indexes, a unique
 * index rebuilt over duplicates fails the transaction rather than losing one, and a rollback restores
 * everything. Used by imports into empty tables.
 *
 * Dropping a foreign key takes ACCESS EXCLUSIVE on the table it references (its triggers live there)
 * until COMMIT: during a tenant's first bulk load of orders, say, readers of its customers wait for the
 * load to commit. (The metrics write-back, whose referenced table is read all the time, builds its table
 * beside the live one and swaps it in instead: apps/metrics replacement-table.ts.)
 */
export async function withIndexesRebuilt<T>(db: TenantDatabaseClient, table: string, fill: () => Promise<T>): Promise<T> {
  const { rows: indexes } = await db.query<IndexRow>(
    `SELECT i.indexname, i.indexdef FROM pg_indexes i
      WHERE i.schemaname = current_schema() AND i.tablename = $1
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conrelid = $1::regclass AND c.conname = i.indexname)
      ORDER BY i.indexname`,
    [table],
  );
  const { rows: foreignKeys } = await db.query<ForeignKeyRow>(
    `SELECT conname, pg_get_constraintdef(oid) AS definition FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'f' ORDER BY conname`,
    [table],
  );
  for (const fk of foreignKeys) await db.query(`ALTER TABLE ${table} DROP CONSTRAINT ${quoteIdent(fk.conname)}`);
  for (const index of indexes) await db.query(`DROP INDEX ${quoteIdent(index.indexname)}`);
  const result = await fill();
  for (const index of indexes) await db.query(index.indexdef);
  for (const fk of foreignKeys) await db.query(`ALTER TABLE ${table} ADD CONSTRAINT ${quoteIdent(fk.conname)} ${fk.definition}`);
  return result;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
