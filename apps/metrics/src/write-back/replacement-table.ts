import { withLockRetry, type LockRetryOptions, type TenantDatabaseClient } from '@pulse/tenancy';
import { escapeIdentifier } from 'pg';

/**
 * A new set of rows for a table, built beside it and swapped in by renames: readers keep reading the
 * live table while the new one is filled and indexed, and wait only for the swap (a few catalog
 * updates) and the COMMIT. The new table is made from the live one's catalog entries, so after the swap
 * the schema is exactly what the migrations define: columns, defaults, check constraints and comments
 * (LIKE), reloptions, and every index and constraint under its own name and definition. Not carried
 * over: grants, the table's own triggers, row-level security, replica identity (customer_kpis has none),
 * and the owner, which is the role that connects (the tenant's, which also applies the migrations).
 * kpi-write-back-swap.int-spec.ts compares the whole schema with a fresh tenant's.
 */
export interface ReplacementTable {
  live: string;
  next: string;
  /** Secondary indexes of the live table (not backing a constraint): name and CREATE INDEX statement. */
  indexes: { name: string; definition: string }[];
  /** Constraints backed by an index (primary key, unique, exclusion): name and definition. */
  indexConstraints: { name: string; definition: string }[];
  foreignKeys: { name: string; definition: string }[];
}

/**
 * Creates `<table>_next` like `table` (columns, defaults, check constraints, comments, storage), without
 * indexes, primary key or foreign keys: rows go in unindexed and each index is then built once, sorted.
 * Inside the caller's transaction: a rollback removes it.
 */
export async function createReplacementTable(db: TenantDatabaseClient, table: string): Promise<ReplacementTable> {
  const next = `${table}_next`;
  const { rows: indexes } = await db.query<{ name: string; definition: string }>(
    `SELECT i.indexname AS name, i.indexdef AS definition FROM pg_indexes i
      WHERE i.schemaname = current_schema() AND i.tablename = $1
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conrelid = $1::regclass AND c.conname = i.indexname)
      ORDER BY i.indexname`,
    [table],
  );
  const constraints = async (types: string) =>
    (
      await db.query<{ name: string; definition: string }>(
        `SELECT conname AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint WHERE conrelid = $1::regclass AND contype = ANY($2) ORDER BY conname`,
        [table, types.split('')],
      )
    ).rows;
  const replacement: ReplacementTable = { live: table, next, indexes, indexConstraints: await constraints('pux'), foreignKeys: await constraints('f') };

  await db.query(`CREATE TABLE ${escapeIdentifier(next)} (LIKE ${escapeIdentifier(table)} INCLUDING ALL EXCLUDING INDEXES)`);
  const { rows } = await db.query<{ reloptions: string[] | null }>(`SELECT reloptions FROM pg_class WHERE oid = $1::regclass`, [table]);
  const reloptions = rows[0]?.reloptions;
  if (reloptions?.length) await db.query(`ALTER TABLE ${escapeIdentifier(next)} SET (${reloptions.join(', ')})`);
  return replacement;
}

/**
 * Builds the filled table's indexes and constraints (under temporary names until the swap; a foreign key
 * under its own: constraint names are per table) and ANALYZEs it, so the readers' first plans after the
 * swap have statistics. Adding a foreign key takes SHARE ROW EXCLUSIVE on the table it references:
 * readers pass it, writers of that table wait (the caller holds it already, see writeBackKpis).
 */
export async function finishReplacementTable(db: TenantDatabaseClient, replacement: ReplacementTable): Promise<void> {
  const next = escapeIdentifier(replacement.next);
  for (const [n, constraint] of replacement.indexConstraints.entries()) {
    await db.query(`ALTER TABLE ${next} ADD CONSTRAINT ${escapeIdentifier(temporaryName(replacement, 'c', n))} ${constraint.definition}`);
  }
  for (const [n, index] of replacement.indexes.entries()) {
    await db.query(indexOnReplacement(index.definition, temporaryName(replacement, 'i', n), replacement.next));
  }
  for (const fk of replacement.foreignKeys) await db.query(`ALTER TABLE ${next} ADD CONSTRAINT ${escapeIdentifier(fk.name)} ${fk.definition}`);
  await db.query(`ANALYZE ${next}`);
}

/**
 * Puts the replacement in the live table's place: the live table and its indexes are renamed away to
 * `<table>_replaced_<oid>` (and `..._i<n>`), the replacement and its indexes take the canonical names.
 * Only catalog updates; the caller holds ACCESS EXCLUSIVE on the live table. The replaced table keeps
 * its foreign keys, so dropping it takes ACCESS EXCLUSIVE on the tables they reference: that is left to
 * dropReplacedTables, after the COMMIT. Returns the replaced table's new name.
 */
export async function swapReplacementTable(db: TenantDatabaseClient, replacement: ReplacementTable): Promise<string> {
  const { rows } = await db.query<{ oid: string; indexes: string[] }>(
    `SELECT t.oid::text AS oid, array(SELECT i.indexrelid::regclass::text FROM pg_index i WHERE i.indrelid = t.oid ORDER BY 1) AS indexes
       FROM pg_class t WHERE t.oid = $1::regclass`,
    [replacement.live],
  );
  const live = rows[0] as { oid: string; indexes: string[] };
  const replaced = `${replacement.live}_replaced_${live.oid}`;
  // regclass::text quotes a name where needed: it is used as is.
  for (const [n, index] of live.indexes.entries()) await db.query(`ALTER INDEX ${index} RENAME TO ${escapeIdentifier(checkedName(`${replaced}_i${n}`))}`);
  await db.query(`ALTER TABLE ${escapeIdentifier(replacement.live)} RENAME TO ${escapeIdentifier(checkedName(replaced))}`);
  await db.query(`ALTER TABLE ${escapeIdentifier(replacement.next)} RENAME TO ${escapeIdentifier(replacement.live)}`);
  // Renaming an index that backs a constraint renames the constraint too.
  for (const [n, constraint] of replacement.indexConstraints.entries()) {
    await db.query(`ALTER INDEX ${escapeIdentifier(temporaryName(replacement, 'c', n))} RENAME TO ${escapeIdentifier(constraint.name)}`);
  }
  for (const [n, index] of replacement.indexes.entries()) {
    await db.query(`ALTER INDEX ${escapeIdentifier(temporaryName(replacement, 'i', n))} RENAME TO ${escapeIdentifier(index.name)}`);
  }
  return replaced;
}

/**
 * Drops the tables earlier swaps replaced (`<table>_replaced_<oid>`), each in short transactions of its
 * own: call it outside any transaction, after the swap's COMMIT (and before the next swap, in case a
 * crash came between). First a TRUNCATE, which locks the replaced table alone (no reader is on it) and
 * unlinks its files at its COMMIT; then the DROP. Dropping a table with a foreign key takes ACCESS
 * EXCLUSIVE on the table it references (its triggers live there), so that attempt locks those first,
 * then the replaced table, in the order readers take them: readers of, say, customers wait for the drop
 * (catalog updates of an empty table: milliseconds) or at most one attempt. Each attempt has a
 * lock_timeout: a request that cannot get its locks lets go, lets the readers queued behind it through
 * and tries again, until the limit (lock_not_available, 55P03).
 */
export async function dropReplacedTables(db: TenantDatabaseClient, table: string, options: LockRetryOptions): Promise<string[]> {
  const { rows } = await db.query<{ name: string; referenced: string[] }>(
    `SELECT t.relname AS name,
            array(SELECT DISTINCT c.confrelid::regclass::text FROM pg_constraint c WHERE c.conrelid = t.oid AND c.contype = 'f' AND c.confrelid <> t.oid ORDER BY 1) AS referenced
       FROM pg_class t
      WHERE t.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) AND t.relkind = 'r' AND t.relname ~ ('^' || $1 || '_replaced_[0-9]+$')
      ORDER BY t.relname`,
    [table],
  );
  for (const { name, referenced } of rows) {
    const replaced = escapeIdentifier(name);
    await withLockRetry(db, options, () => db.query(`TRUNCATE ${replaced}`));
    await withLockRetry(db, options, async () => {
      await db.query(`LOCK TABLE ${[...referenced, replaced].join(', ')} IN ACCESS EXCLUSIVE MODE`);
      await db.query(`DROP TABLE ${replaced}`);
    });
  }
  return rows.map((row) => row.name);
}

function temporaryName(replacement: ReplacementTable, kind: 'c' | 'i', n: number): string {
  return checkedName(`${replacement.next}_${kind}${n}`);
}

/** PostgreSQL would cut a longer name to 63 bytes, and two cut names could clash. */
function checkedName(name: string): string {
  if (Buffer.byteLength(name) > 63) throw new Error(`name too long for PostgreSQL: ${name}`);
  return name;
}

/**
 * The live table's CREATE INDEX statement (pg_indexes.indexdef: `CREATE [UNIQUE] INDEX <name> ON
 * [ONLY] <schema>.<table> USING ...`) for the replacement under a temporary name: everything from USING
 * on (method, columns, INCLUDE, WITH, WHERE) stays as the catalog has it.
 */
function indexOnReplacement(definition: string, name: string, table: string): string {
  const head = /^CREATE (UNIQUE )?INDEX .+? ON (?:ONLY )?.+? USING /.exec(definition);
  if (!head) throw new Error(`unexpected index definition: ${definition}`);
  return `CREATE ${head[1] ?? ''}INDEX ${escapeIdentifier(name)} ON ${escapeIdentifier(table)} ${definition.slice(head[0].length - 'USING '.length)}`;
}
