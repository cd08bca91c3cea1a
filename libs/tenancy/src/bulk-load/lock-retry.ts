import type { TenantDatabaseClient } from '../pool/tenant-database-pool';

export interface LockRetryOptions {
  /** lock_timeout of one attempt: readers queued behind the waiting request wait at most this long. */
  attemptMs: number;
  /** Attempts stop after this long with lock_not_available (55P03). */
  limitMs: number;
  /** Once aborted (shutdown), no further attempt: its reason is thrown after the attempt under way. */
  signal?: AbortSignal;
}

/** lock_not_available: a statement waited longer than lock_timeout for a lock. */
export function isLockNotAvailable(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '55P03';
}

/**
 * Runs `work` in a transaction of its own, each attempt with a lock_timeout, retried on lock_not_available
 * (55P03) until the limit, when that error is thrown. For short catalog changes (DROP, ALTER) on tables
 * the api reads: such a request waits for the readers holding the table, and every reader that comes
 * after queues behind it. With a lock_timeout it lets go, lets them through and tries again, so no reader
 * waits longer than one attempt.
 */
export async function withLockRetry<T>(db: TenantDatabaseClient, options: LockRetryOptions, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  for (let attempt = 1; ; attempt++) {
    await db.query('BEGIN');
    try {
      await db.query(`SELECT set_config('lock_timeout', $1, true)`, [`${options.attemptMs}ms`]);
      const result = await work();
      await db.query('COMMIT');
      return result;
    } catch (error) {
      await db.query('ROLLBACK').catch(() => undefined);
      if (!isLockNotAvailable(error)) throw error;
      options.signal?.throwIfAborted();
      const pauseMs = Math.min(1_000, 50 * attempt);
      if (performance.now() - started + pauseMs + options.attemptMs > options.limitMs) throw error;
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }
}
