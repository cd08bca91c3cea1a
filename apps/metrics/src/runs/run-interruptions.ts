import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { DomainError } from '@pulse/errors';
import { InterruptibleWork, interruptAll, TenantDatabasePool, type TenantContext, type TenantDatabaseClient } from '@pulse/tenancy';
import { PinoLogger } from 'nestjs-pino';

/**
 * Shutdown (SIGTERM: a deploy, a node drained) does not wait for the metrics runs under way, which take
 * minutes on a large tenant: each is interrupted where it is. A warehouse statement is stopped (DuckDB
 * interrupted, a BigQuery job cancelled: the run's signal, Warehouse QueryOptions.signal), the write-back's
 * statement is cancelled, which rolls its transaction back, and the run's metric_runs rows go back to
 * queued: the next sweep (another replica's, or this service's at its next start) runs them again, from
 * the start. The previous results stay in place throughout. Runs do not start once shutdown has begun.
 */
@Injectable()
export class RunInterruptions implements BeforeApplicationShutdown {
  private stopping = false;
  private readonly runs = new Set<InterruptibleWork>();

  constructor(
    private readonly tenants: TenantDatabasePool,
    private readonly logger: PinoLogger,
  ) {}

  get shuttingDown(): boolean {
    return this.stopping;
  }

  /** Runs `work` (run `runId` on its own connection `db`) as a run shutdown may interrupt. */
  async track<T>(db: TenantDatabaseClient, tenant: TenantContext, runId: string, work: (run: InterruptibleWork) => Promise<T>): Promise<T> {
    const run = await InterruptibleWork.on(db, tenant, runId);
    this.runs.add(run);
    // Began while shutdown was starting: interrupted before it does anything.
    if (this.stopping) run.interrupt(metricsRunInterrupted());
    try {
      return await work(run);
    } finally {
      this.runs.delete(run);
      run.ended();
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    const runs = [...this.runs];
    if (runs.length === 0) return;
    this.logger.info({ runs: runs.map((run) => run.id) }, 'shutting down: interrupting metrics runs under way; they are queued again');
    await interruptAll(runs, metricsRunInterrupted, this.tenants, (run, error) =>
      this.logger.warn({ err: error, runId: run.id }, 'could not cancel the write-back of an interrupted metrics run'),
    );
  }
}

function metricsRunInterrupted(): DomainError {
  return new DomainError('unavailable', 'metrics.run_interrupted', 'The metrics service stopped while this run was computing; it was queued again and runs from the start.');
}
