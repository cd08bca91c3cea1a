import type { TenantDatabaseClient } from '../pool/tenant-database-pool';
import { withLockRetry } from './lock-retry';

/** A client whose every `work` statement waits out its lock_timeout: 55P03, as PostgreSQL reports it. */
function lockedClient(): { db: TenantDatabaseClient; statements: string[] } {
  const statements: string[] = [];
  const db = {
    query: async (sql: string) => {
      statements.push(sql);
      if (sql.startsWith('DROP')) throw Object.assign(new Error('canceling statement due to lock timeout'), { code: '55P03' });
      return { rows: [], rowCount: 0 };
    },
  } as unknown as TenantDatabaseClient;
  return { db, statements };
}

describe('withLockRetry', () => {
  it('retries a statement that timed out on its lock until the limit, then throws lock_not_available', async () => {
    const { db, statements } = lockedClient();
    await expect(withLockRetry(db, { attemptMs: 1, limitMs: 120 }, () => db.query('DROP TABLE t'))).rejects.toMatchObject({ code: '55P03' });
    expect(statements.filter((sql) => sql.startsWith('DROP')).length).toBeGreaterThan(1);
    expect(statements.at(-1)).toBe('ROLLBACK');
  });

  it('makes no further attempt once its signal has aborted, and throws the reason', async () => {
    const { db, statements } = lockedClient();
    const stop = new AbortController();
    const shutdown = new Error('shutting down');
    const work = async () => {
      stop.abort(shutdown);
      return db.query('DROP TABLE t');
    };
    await expect(withLockRetry(db, { attemptMs: 1, limitMs: 60_000, signal: stop.signal }, work)).rejects.toBe(shutdown);
    expect(statements.filter((sql) => sql.startsWith('DROP'))).toHaveLength(1);
    expect(statements.at(-1)).toBe('ROLLBACK');
  });
});
