import type { TenantDatabaseClient } from '../pool/tenant-database-pool';

interface IndexRow {
  indexdef: string;
  indexname: string;
}

/**
 * Runs `fill` on a table emptied in the caller's transaction with its secondary indexes dropped, then
 * recreates them exactly as the catalog had them (same names and definitions, so the migrations and the
 * schema stay in agreement). Building an index once over a million sorted rows costs a fraction of
 * maintaining twelve of them row by row. The primary key stays: it still catches duplicate rows.
 *
 * Foreign keys stay too: dropping one takes ACCESS EXCLUSIVE on the table it references (its triggers
 * live there) until COMMIT, so inside the caller's transaction every reader of that table would wait for
 * the whole load. Ingestion drops them in a short transaction of its own before the load and adds them
 * back in it (apps/ingestion, bulk-load-foreign-keys.ts).
 *
 * Only for a table that is empty inside the caller's transaction and locked ACCESS EXCLUSIVE there
 * (just truncated, or checked empty after LOCK TABLE): nobody sees it without its indexes, a unique
 * index rebuilt over duplicates fails the transaction rather than losing one, and a rollback restores
 * everything. Used by imports into empty tables.
 */
export async function withIndexesRebuilt<T>(db: TenantDatabaseClient, table: string, fill: () => Promise<T>): Promise<T> {
  const { rows: indexes } = await db.query<IndexRow>(
    `SELECT i.indexname, i.indexdef FROM pg_indexes i
      WHERE i.schemaname = current_schema() AND i.tablename = $1
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conrelid = $1::regclass AND c.conname = i.indexname)
      ORDER BY i.indexname`,
    [table],
  );
  for (const index of indexes) await db.query(`DROP INDEX ${quoteIdent(index.indexname)}`);
  const result = await fill();
  for (const index of indexes) await db.query(index.indexdef);
  return result;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
