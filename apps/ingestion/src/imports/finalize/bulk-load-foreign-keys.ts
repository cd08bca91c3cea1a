import { isLockNotAvailable, withLockRetry, type LockRetryOptions, type TenantDatabaseClient } from '@pulse/tenancy';
import { escapeIdentifier } from 'pg';

/** A foreign key dropped for a bulk load: what it takes to add it back exactly as it was. */
export interface DroppedForeignKey {
  table: string;
  name: string;
  /** pg_get_constraintdef: `FOREIGN KEY (customer_id) REFERENCES customers(id) ON DELETE CASCADE ...`. */
  definition: string;
}

export type ForeignKeysForBulkLoad =
  | { outcome: 'dropped'; keys: DroppedForeignKey[] }
  /** The table has rows (or no foreign key): a bulk load would not happen, or has nothing to drop. */
  | { outcome: 'not_needed' }
  /** Readers or writers held the tables for the whole time allowed: the keys stay, checked row by row. */
  | { outcome: 'busy' };

/**
 * Before the final transaction of a large import into an empty table: drops the table's foreign keys in
 * a short transaction of its own, so that the bulk insert does not check each row with a query of its own
 * (26 µs a row for orders, most of a first orders load; docs/benchmarks.md "Ingestion"), and records them
 * on the import (`checkpoint.droppedForeignKeys`) in that same transaction. The final transaction adds
 * them back (restoreDroppedForeignKeys), validating every row in one join, and commits them with the rows.
 *
 * Dropping a foreign key takes ACCESS EXCLUSIVE on the table it references (its triggers live there): in
 * its own transaction that lock lasts a few catalog updates, where inside the load it lasted the whole
 * load and every api read of the tenant's customers waited for it. The referenced tables are locked first,
 * in the order readers take them, and each attempt waits at most `attemptMs` for its locks, so a reader
 * waits at most that long; when the tables stay busy for `limitMs`, the keys stay.
 *
 * A crash between this COMMIT and the final one leaves the keys dropped and recorded: the import's next
 * run (redelivery, or its abandonment) restores them in its final transaction.
 */
export async function dropForeignKeysForBulkLoad(
  db: TenantDatabaseClient,
  importId: string,
  table: string,
  lockRetry: LockRetryOptions,
): Promise<ForeignKeysForBulkLoad> {
  const quoted = escapeIdentifier(table);
  const hasRows = async () => (await db.query<{ has: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${quoted}) AS has`)).rows[0]?.has === true;

  const keys = await foreignKeysOf(db, table);
  if (keys.length === 0 || (await hasRows())) return { outcome: 'not_needed' };
  try {
    return await withLockRetry(db, lockRetry, async () => {
      // regclass::text quotes a name where needed.
      const referenced = [...new Set(keys.map((key) => key.referenced))];
      await db.query(`LOCK TABLE ${[...referenced, quoted].join(', ')} IN ACCESS EXCLUSIVE MODE`);
      // Again under the locks: another import may have loaded the table, or dropped its keys, meanwhile.
      const current = await foreignKeysOf(db, table);
      if (current.length === 0 || (await hasRows())) return { outcome: 'not_needed' } as const;
      for (const key of current) await db.query(`ALTER TABLE ${quoted} DROP CONSTRAINT ${escapeIdentifier(key.name)}`);
      const dropped = current.map(({ name, definition }) => ({ table, name, definition }));
      await db.query(
        `UPDATE imports SET checkpoint = COALESCE(checkpoint, '{}'::jsonb)
                || jsonb_build_object('droppedForeignKeys', COALESCE(checkpoint->'droppedForeignKeys', '[]'::jsonb) || $2::jsonb)
          WHERE id = $1`,
        [importId, JSON.stringify(dropped)],
      );
      return { outcome: 'dropped', keys: dropped } as const;
    });
  } catch (error) {
    if (isLockNotAvailable(error)) return { outcome: 'busy' };
    throw error;
  }
}

/**
 * Adds back the foreign keys the import dropped for its bulk load (`checkpoint.droppedForeignKeys`) that
 * their tables lack, exactly as they were, and forgets them. In the caller's transaction: in the import's
 * final one the keys commit with the rows, and a row that breaks one fails the transaction (nothing
 * applied). Adding a foreign key validates every row in one join and takes SHARE ROW EXCLUSIVE on the
 * table it references: its readers pass, its writers wait until COMMIT. Returns how many keys it added.
 */
export async function restoreDroppedForeignKeys(db: TenantDatabaseClient, importId: string): Promise<number> {
  const { rows } = await db.query<{ keys: DroppedForeignKey[] | null }>(`SELECT checkpoint->'droppedForeignKeys' AS keys FROM imports WHERE id = $1`, [importId]);
  const keys = rows[0]?.keys ?? [];
  if (keys.length === 0) return 0;
  let added = 0;
  for (const key of keys) {
    const { rows: present } = await db.query(`SELECT 1 FROM pg_constraint WHERE conrelid = $1::regclass AND conname = $2`, [key.table, key.name]);
    if (present.length > 0) continue;
    await db.query(`ALTER TABLE ${escapeIdentifier(key.table)} ADD CONSTRAINT ${escapeIdentifier(key.name)} ${key.definition}`);
    added++;
  }
  await db.query(`UPDATE imports SET checkpoint = checkpoint - 'droppedForeignKeys' WHERE id = $1`, [importId]);
  return added;
}

/**
 * Runs `fill` with the table's foreign keys dropped and adds them back after it, all in the caller's
 * transaction. Only where that transaction holds the tables they reference ACCESS EXCLUSIVE already
 * (dropping a key takes that lock on them until COMMIT): customer_aliases in a load of customers into an
 * empty table.
 */
export async function withForeignKeysAddedBack<T>(db: TenantDatabaseClient, table: string, fill: () => Promise<T>): Promise<T> {
  const quoted = escapeIdentifier(table);
  const keys = await foreignKeysOf(db, table);
  for (const key of keys) await db.query(`ALTER TABLE ${quoted} DROP CONSTRAINT ${escapeIdentifier(key.name)}`);
  const result = await fill();
  for (const key of keys) await db.query(`ALTER TABLE ${quoted} ADD CONSTRAINT ${escapeIdentifier(key.name)} ${key.definition}`);
  return result;
}

/** The table's foreign keys to other tables, with the table each references (regclass text: quoted where needed). */
async function foreignKeysOf(db: TenantDatabaseClient, table: string): Promise<Array<{ name: string; definition: string; referenced: string }>> {
  const { rows } = await db.query<{ name: string; definition: string; referenced: string }>(
    `SELECT conname AS name, pg_get_constraintdef(oid) AS definition, confrelid::regclass::text AS referenced
       FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'f' AND confrelid <> conrelid ORDER BY conname`,
    [table],
  );
  return rows;
}
