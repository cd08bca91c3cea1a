import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ROOT_LOGGER } from '@pulse/service-runtime';
import type { KpiParams } from '@pulse/metric-catalog';
import { createTenantContext, TenantDatabasePool, type TenantContext } from '@pulse/tenancy';
import { PinoLogger } from 'nestjs-pino';
import { Store, storage } from 'nestjs-pino/storage';
import type { Logger } from 'pino';
import { METRICS_CONFIG, type MetricsConfig } from '../config/metrics.config';
import { kpiParamsFor } from '../runs/kpi-params';
import { queueDailyRunIfBehind } from '../runs/refresh-request-records';
import { RunTenantMetricsUseCase } from '../runs/run-tenant-metrics.use-case';
import { TenantDirectory, type LiveTenant } from '../tenancy/tenant-directory';
import { TenantRunScheduler } from './tenant-run-scheduler';

const SWEEP_CONCURRENCY = 4;

/**
 * The service's run loop: the in-memory TenantRunScheduler fed by the event handlers, plus a sweep (at
 * boot, then every METRICS_SWEEP_INTERVAL_MS) that finds tenants with queued or interrupted runs in their
 * databases, so requests survive a restart and work another replica skipped is not forgotten, and queues
 * the daily run of tenants whose KPIs are of an earlier day (METRICS_DAILY_RUNS).
 */
@Injectable()
export class MetricsScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly scheduler: TenantRunScheduler;
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly wakeTimers = new Map<string, NodeJS.Timeout>();
  private sweeping: Promise<void> | undefined;

  constructor(
    @Inject(METRICS_CONFIG) private readonly config: MetricsConfig,
    private readonly runTenantMetrics: RunTenantMetricsUseCase,
    private readonly directory: TenantDirectory,
    private readonly tenants: TenantDatabasePool,
    private readonly logger: PinoLogger,
    @Inject(ROOT_LOGGER) rootLogger: Logger,
  ) {
    this.scheduler = new TenantRunScheduler({
      debounceMs: config.runs.debounceMs,
      maxWaitMs: config.runs.maxWaitMs,
      concurrency: config.runs.concurrency,
      // A run starts from a timer armed by whichever event came last: its logs get their own context,
      // not that event's (the run's lines name the tenant and run themselves).
      run: (tenantId) =>
        storage.run(new Store(rootLogger.child({ component: 'metrics-run' })), async () => {
          const result = await this.runTenantMetrics.execute(tenantId);
          if (result.nextDueAt) this.wakeAt(tenantId, result.nextDueAt);
          return result;
        }),
      onError: (tenantId, error) => this.logger.error({ err: error, tenantId }, 'metrics run could not be completed; the sweep will retry'),
    });
  }

  /**
   * Requests the tenant again when its run queued for later (a retry) is due: the sweep would find it
   * too, but not before its next pass, nor at all with METRICS_SWEEP_INTERVAL_MS=0. In memory only: after
   * a restart the sweep finds it.
   */
  private wakeAt(tenantId: string, due: Date): void {
    clearTimeout(this.wakeTimers.get(tenantId));
    const timer = setTimeout(() => {
      this.wakeTimers.delete(tenantId);
      this.scheduler.request(tenantId);
    }, Math.max(0, due.getTime() - Date.now()) + 1_000);
    timer.unref();
    this.wakeTimers.set(tenantId, timer);
  }

  /** A tenant has new work (recorded durably in its database). */
  request(tenantId: string): void {
    this.scheduler.request(tenantId);
  }

  onApplicationBootstrap(): void {
    this.sweepSoon(0);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
    for (const timer of this.wakeTimers.values()) clearTimeout(timer);
    this.wakeTimers.clear();
    await this.sweeping;
    await this.scheduler.stop();
  }

  /**
   * Every live tenant with running runs (they may be a dead process's) or queued runs that are due (a
   * retry waits for its time) is requested, and so is one whose daily run this queues.
   */
  async sweep(): Promise<number> {
    const tenants = await this.directory.listLiveTenants();
    let found = 0;
    let next = 0;
    const worker = async () => {
      while (next < tenants.length) {
        const tenant = tenants[next++];
        if (!tenant) break;
        try {
          const context = createTenantContext({ tenantId: tenant.tenantId, slug: tenant.slug });
          const { rows } = await this.tenants.query<{ pending: boolean }>(context, `SELECT EXISTS (SELECT 1 FROM metric_runs WHERE status = 'running' OR (status = 'queued' AND requested_at <= now())) AS pending`);
          if (rows[0]?.pending || (this.config.runs.dailyRuns && (await this.queueDailyRun(tenant, context)))) {
            found += 1;
            this.scheduler.request(tenant.tenantId);
          }
        } catch (error) {
          this.logger.warn({ err: error, tenantId: tenant.tenantId }, 'sweep could not read the tenant database');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(SWEEP_CONCURRENCY, tenants.length) }, worker));
    return found;
  }

  /** See queueDailyRunIfBehind. A tenant whose settings are invalid gets none: its runs would fail, and its next request says why. */
  private async queueDailyRun(tenant: LiveTenant, context: TenantContext): Promise<boolean> {
    let params: KpiParams;
    try {
      params = kpiParamsFor(tenant, null);
    } catch {
      return false;
    }
    const queued = await this.tenants.withTenantTransaction(context, (db) => queueDailyRunIfBehind(db, params.asOf, params.timezone));
    if (queued) this.logger.info({ tenantId: tenant.tenantId, today: params.asOf }, "queued the tenant's daily metrics run: its KPIs are of an earlier day");
    return queued;
  }

  private sweepSoon(delayMs: number): void {
    this.sweepTimer = setTimeout(() => {
      this.sweeping = this.sweep()
        .then((found) => {
          if (found > 0) this.logger.info({ tenants: found }, 'sweep found tenants with pending metrics runs');
        })
        .catch((error: unknown) => this.logger.warn({ err: error }, 'metrics sweep failed'))
        .finally(() => {
          this.sweeping = undefined;
          if (this.config.runs.sweepIntervalMs > 0 && this.sweepTimer !== undefined) this.sweepSoon(this.config.runs.sweepIntervalMs);
        });
    }, delayMs);
    this.sweepTimer.unref();
  }
}
