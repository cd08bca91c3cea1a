import type { TenantContext } from '../context/tenant-context';
import type { TenantDatabaseClient, TenantDatabasePool } from './tenant-database-pool';

/**
 * Long work on one tenant connection (an import, a metrics run) that a shutdown may interrupt instead of
 * waiting for it: its `signal` aborts, and while it is inside `cancellable` the statement its connection
 * runs is cancelled (interruptAll), which rolls back that statement's transaction.
 */
export class InterruptibleWork {
  private readonly interruption = new AbortController();
  /** While true, the statement under way on the connection may be cancelled. */
  statementsCancellable = false;
  private settle!: () => void;
  /** Resolves once the work has let go of its connection (finished, failed or interrupted). */
  readonly done = new Promise<void>((resolve) => (this.settle = resolve));

  private constructor(
    readonly tenant: TenantContext,
    /** Names the work in logs (an import id, a run id). */
    readonly id: string,
    /** The connection's server process: what pg_cancel_backend is given. */
    readonly backendPid: number,
  ) {}

  static async on(db: TenantDatabaseClient, tenant: TenantContext, id: string): Promise<InterruptibleWork> {
    const { rows } = await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    return new InterruptibleWork(tenant, id, rows[0]?.pid ?? 0);
  }

  get signal(): AbortSignal {
    return this.interruption.signal;
  }

  interrupt(reason: unknown): void {
    this.interruption.abort(reason);
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

/**
 * Interrupts every work with `reason`, cancels the statement of each that is inside `cancellable`, and
 * waits until all have let go. A cancel reaches only the statement running when it arrives, so it is
 * sent again every 500 ms; `onCancelFailed` hears of a cancel that could not be sent.
 */
export async function interruptAll(
  works: readonly InterruptibleWork[],
  reason: (work: InterruptibleWork) => unknown,
  tenants: TenantDatabasePool,
  onCancelFailed: (work: InterruptibleWork, error: unknown) => void,
): Promise<void> {
  for (const work of works) work.interrupt(reason(work));
  const cancel = () => {
    for (const work of works) {
      if (!work.statementsCancellable) continue;
      tenants.query(work.tenant, 'SELECT pg_cancel_backend($1)', [work.backendPid]).catch((error: unknown) => onCancelFailed(work, error));
    }
  };
  cancel();
  const timer = setInterval(cancel, 500);
  try {
    await Promise.all(works.map((work) => work.done));
  } finally {
    clearInterval(timer);
  }
}
