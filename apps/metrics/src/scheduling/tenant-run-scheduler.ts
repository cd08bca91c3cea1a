export interface TenantRunSchedulerOptions {
  /** Quiet time after a tenant's latest request before it becomes due. */
  debounceMs: number;
  /** A tenant becomes due at the latest this long after the first request of a burst. */
  maxWaitMs: number;
  /** Runs at once over all tenants. */
  concurrency: number;
  /**
   * Runs the tenant's pending work. Resolves `{ more: true }` when work is left that this run did not
   * cover (another as-of date, or a replica held the tenant): the tenant is then scheduled again.
   */
  run: (tenantId: string) => Promise<{ more: boolean }>;
  onError: (tenantId: string, error: unknown) => void;
  setTimer?: (callback: () => void, ms: number) => unknown;
  clearTimer?: (timer: unknown) => void;
  now?: () => number;
}

interface TenantState {
  /** When the first request of the current burst arrived. */
  burstStartedAt?: number;
  timer?: unknown;
  queued: boolean;
  running: boolean;
  /** Requested while running: schedule again once the run ends. */
  requestedWhileRunning: boolean;
}

/**
 * Decides when each tenant's metrics run starts, in memory (the pending work itself is durable: queued
 * metric_runs rows, see docs/metrics.md "Metrics runs").
 *
 * - Debounce per tenant: a request (re)arms the tenant's timer to `debounceMs` from now, but never past
 *   `maxWaitMs` after the burst's first request. Twenty imports finishing within the window -> one run.
 * - One run per tenant at a time: a request during a run is remembered and scheduled after it.
 * - Fairness: due tenants wait in one FIFO queue (oldest due first), each at most once, and at most
 *   `concurrency` run at once. A tenant that keeps receiving data goes to the back of the queue after
 *   each run, so a big tenant cannot starve the others.
 */
export class TenantRunScheduler {
  private readonly tenants = new Map<string, TenantState>();
  private readonly due: string[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private active = 0;
  private stopped = false;
  private readonly setTimer: (callback: () => void, ms: number) => unknown;
  private readonly clearTimer: (timer: unknown) => void;
  private readonly now: () => number;

  constructor(private readonly options: TenantRunSchedulerOptions) {
    this.setTimer =
      options.setTimer ??
      ((callback, ms) => {
        const timer = setTimeout(callback, ms);
        timer.unref();
        return timer;
      });
    this.clearTimer = options.clearTimer ?? ((timer) => clearTimeout(timer as NodeJS.Timeout));
    this.now = options.now ?? Date.now;
  }

  /** Something changed for the tenant: compute it after the debounce window. */
  request(tenantId: string): void {
    if (this.stopped) return;
    const state = this.stateOf(tenantId);
    if (state.running) {
      state.requestedWhileRunning = true;
      return;
    }
    if (state.queued) return; // its run has not started: it will see this request's work too
    const now = this.now();
    state.burstStartedAt ??= now;
    const dueIn = Math.max(0, Math.min(this.options.debounceMs, state.burstStartedAt + this.options.maxWaitMs - now));
    if (state.timer !== undefined) this.clearTimer(state.timer);
    state.timer = this.setTimer(() => this.markDue(tenantId), dueIn);
  }

  /** Tenants waiting for a free slot, oldest first (for logs and tests). */
  queuedTenants(): string[] {
    return [...this.due];
  }

  runningCount(): number {
    return this.active;
  }

  /** Stops starting runs and waits for those in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const state of this.tenants.values()) if (state.timer !== undefined) this.clearTimer(state.timer);
    this.due.length = 0;
    await Promise.allSettled([...this.inFlight]);
  }

  private stateOf(tenantId: string): TenantState {
    let state = this.tenants.get(tenantId);
    if (!state) {
      state = { queued: false, running: false, requestedWhileRunning: false };
      this.tenants.set(tenantId, state);
    }
    return state;
  }

  private markDue(tenantId: string): void {
    const state = this.stateOf(tenantId);
    state.timer = undefined;
    state.burstStartedAt = undefined;
    if (this.stopped || state.queued || state.running) return;
    state.queued = true;
    this.due.push(tenantId);
    this.startRuns();
  }

  private startRuns(): void {
    while (!this.stopped && this.active < this.options.concurrency && this.due.length > 0) {
      const tenantId = this.due.shift() as string;
      const state = this.stateOf(tenantId);
      state.queued = false;
      state.running = true;
      this.active += 1;
      const work = this.runOne(tenantId, state);
      this.inFlight.add(work);
      void work.finally(() => this.inFlight.delete(work));
    }
  }

  private async runOne(tenantId: string, state: TenantState): Promise<void> {
    let more = false;
    try {
      more = (await this.options.run(tenantId)).more;
    } catch (error) {
      this.options.onError(tenantId, error);
    } finally {
      state.running = false;
      this.active -= 1;
      const again = more || state.requestedWhileRunning;
      state.requestedWhileRunning = false;
      if (!state.queued && state.timer === undefined) this.tenants.delete(tenantId);
      if (again) this.request(tenantId);
      this.startRuns();
    }
  }
}
