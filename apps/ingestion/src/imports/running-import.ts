import { DomainError } from '@pulse/errors';
import type { TenantContext, TenantDatabaseClient } from '@pulse/tenancy';

/**
 * An import this process is running that shutdown may interrupt: its request is delivered again and the
 * import resumes from its last checkpoint (ImportLoader.beforeApplicationShutdown).
 */
export class RunningImport {
  private readonly interruption = new AbortController();
  /** While true, the statement under way may be cancelled (the final transaction, not staging's commits). */
  statementsCancellable = false;
  private settle!: () => void;
  /** Resolves once the run has let go (finished, failed or interrupted). */
  readonly done = new Promise<void>((resolve) => (this.settle = resolve));

  private constructor(
    readonly tenant: TenantContext,
    readonly importId: string,
    /** The import connection's server process: what pg_cancel_backend is given. */
    readonly backendPid: number,
  ) {}

  static async on(db: TenantDatabaseClient, tenant: TenantContext, importId: string): Promise<RunningImport> {
    const { rows } = await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    return new RunningImport(tenant, importId, rows[0]?.pid ?? 0);
  }

  get signal(): AbortSignal {
    return this.interruption.signal;
  }

  interrupt(): void {
    this.interruption.abort(importInterrupted(this.importId));
  }

  ended(): void {
    this.settle();
  }

  /** Runs `work` with its statements open to cancellation. */
  async cancellable<T>(work: () => Promise<T>): Promise<T> {
    this.statementsCancellable = true;
    try {
      return await work();
    } finally {
      this.statementsCancellable = false;
    }
  }
}

/** Retryable: the request is delivered again (to another replica) and the import resumes. */
export function importInterrupted(importId: string): DomainError {
  return new DomainError(
    'unavailable',
    'import.interrupted',
    `The ingestion service stopped while import ${importId} was loading; nothing of its unfinished step was applied, and it resumes from its last checkpoint when its request is delivered again.`,
  );
}
