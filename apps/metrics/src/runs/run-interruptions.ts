import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { DomainError } from '@pulse/errors';
import { InterruptibleWorks, TenantDatabasePool, type InterruptibleWork, type TenantContext, type TenantDatabaseClient } from '@pulse/tenancy';
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
  private readonly runs: InterruptibleWorks;

  constructor(
    tenants: TenantDatabasePool,
    private readonly logger: PinoLogger,
  ) {
    this.runs = new InterruptibleWorks(tenants, metricsRunInterrupted);
  }

  get shuttingDown(): boolean {
    return this.runs.shuttingDown;
  }

  /** Runs `work` (run `runId` on its own connection `db`) as a run shutdown may interrupt. */
  track<T>(db: TenantDatabaseClient, tenant: TenantContext, runId: string, work: (run: InterruptibleWork) => Promise<T>): Promise<T> {
    return this.runs.track(db, tenant, runId, work);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.runs.interruptAll({
      interrupting: (runs) => this.logger.info({ runs: runs.map((run) => run.id) }, 'shutting down: interrupting metrics runs under way; they are queued again'),
      cancelFailed: (run, error) => this.logger.warn({ err: error, runId: run.id }, 'could not cancel the write-back of an interrupted metrics run'),
    });
  }
}

function metricsRunInterrupted(): DomainError {
  return new DomainError('unavailable', 'metrics.run_interrupted', 'The metrics service stopped while this run was computing; it was queued again and runs from the start.');
}
