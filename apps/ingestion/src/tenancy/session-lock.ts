import type { TenantDatabaseClient } from '@pulse/tenancy';

/** What `withSessionLockIfFree` returns when another session holds the lock. */
export const HELD_ELSEWHERE: unique symbol = Symbol('advisory lock held elsewhere');

/**
 * Runs `work` holding the PostgreSQL session advisory lock named `name` on `db`'s connection, waiting for
 * it if another session holds it. A session lock, not a transaction's: it spans the several transactions
 * of `work`, and goes with the connection if the process dies, so a crash never leaves it held.
 */
export async function withSessionLock<T>(db: TenantDatabaseClient, name: string, work: () => Promise<T>): Promise<T> {
  await db.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [name]);
  return releasing(db, name, work);
}

/** As `withSessionLock`, but without waiting: `HELD_ELSEWHERE` (and `work` not run) if another session holds it. */
export async function withSessionLockIfFree<T>(db: TenantDatabaseClient, name: string, work: () => Promise<T>): Promise<T | typeof HELD_ELSEWHERE> {
  const { rows } = await db.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked', [name]);
  if (!rows[0]?.locked) return HELD_ELSEWHERE;
  return releasing(db, name, work);
}

async function releasing<T>(db: TenantDatabaseClient, name: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } finally {
    // A failed unlock means the connection is gone, and the lock with it.
    await db.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [name]).catch(() => undefined);
  }
}
