import type { TenantContext } from '../context/tenant-context';
import type { TenantDatabaseClient, TenantDatabasePool } from './tenant-database-pool';

/**
 * Long work on one tenant connection (an import, a metrics run) that a shutdown may interrupt instead of
 * waiting for it: its `signal` aborts, and while it is inside `cancellable` the statement its connection
 * runs is cancelled (InterruptibleWorks.interruptAll), which rolls back that statement's transaction.
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
 * The interruptible works of one service (its imports, its metrics runs): `track` runs each, and at
 * shutdown `interruptAll` interrupts those under way and waits until all have let go. A work tracked once
 * shutdown has begun is interrupted before it does anything.
 */
export class InterruptibleWorks {
  private readonly works = new Set<InterruptibleWork>();
  private stopping = false;

  constructor(
    private readonly tenants: TenantDatabasePool,
    /** What an interrupted work's signal aborts with (the error its request or run ends with). */
    private readonly reason: (work: InterruptibleWork) => unknown,
  ) {}

  get shuttingDown(): boolean {
    return this.stopping;
  }

  /** Runs `work` (named `id`, on its own connection `db`) as work a shutdown may interrupt. */
  async track<T>(db: TenantDatabaseClient, tenant: TenantContext, id: string, work: (running: InterruptibleWork) => Promise<T>): Promise<T> {
    const running = await InterruptibleWork.on(db, tenant, id);
    this.works.add(running);
    if (this.stopping) running.interrupt(this.reason(running));
    try {
      return await work(running);
    } finally {
      this.works.delete(running);
      running.ended();
    }
  }

  /**
   * Interrupts every work under way, cancels the statement of each that is inside `cancellable`, and
   * waits until all have let go. A cancel reaches only the statement running when it arrives, so it is
   * sent again every 500 ms. `log` hears which works are interrupted (not called when none is) and of a
   * cancel that could not be sent.
   */
  async interruptAll(log: { interrupting(works: readonly InterruptibleWork[]): void; cancelFailed(work: InterruptibleWork, error: unknown): void }): Promise<void> {
    this.stopping = true;
    const works = [...this.works];
    if (works.length === 0) return;
    log.interrupting(works);
    for (const work of works) work.interrupt(this.reason(work));
    const cancel = () => {
      for (const work of works) {
        if (!work.statementsCancellable) continue;
        this.tenants.query(work.tenant, 'SELECT pg_cancel_backend($1)', [work.backendPid]).catch((error: unknown) => log.cancelFailed(work, error));
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
}
