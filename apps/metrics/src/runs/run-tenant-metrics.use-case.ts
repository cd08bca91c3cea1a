import { Inject, Injectable } from '@nestjs/common';
import { metricsComputedV1, type EventPayload } from '@pulse/contracts';
import { EventPublisher, enqueueEvent, publishAfterCommit } from '@pulse/messaging';
import { createTenantContext, TenantDatabasePool, type InterruptibleWork, type TenantContext, type TenantDatabaseClient } from '@pulse/tenancy';
import type { Warehouse } from '@pulse/warehouse';
import { PinoLogger } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { METRICS_CONFIG, type MetricsConfig } from '../config/metrics.config';
import { TenantDirectory, type LiveTenant } from '../tenancy/tenant-directory';
import { KPI_COMPUTER, WAREHOUSE, type KpiComputer } from '../warehouse/warehouse.tokens';
import { dropReplacedCustomerKpis, writeBackKpis } from '../write-back/kpi-write-back';
import { activeScorecard } from './active-scorecard';
import { kpiOutputDir } from './kpi-output-dir';
import { kpiParamsFor } from './kpi-params';
import {
  claimQueuedRuns,
  finishRuns,
  nextQueuedRunDue,
  productsTouchedSince,
  queueRetryAfterFailure,
  requeueInterruptedRuns,
  requeueRuns,
  setRunsAsOf,
  tryLockTenantRuns,
  unlockTenantRuns,
  type ClaimedRuns,
} from './metric-run-records';
import { runFailureOf } from './run-failure';
import { RunInterruptions } from './run-interruptions';

type ComputedPayload = EventPayload<typeof metricsComputedV1>;

interface Published {
  payload: ComputedPayload;
  metadata: { eventId: string; tenantId: string; correlationId: string; occurredAt: Date };
}

/**
 * One metrics run of a tenant: claim its queued runs (one as-of date), mark them running, apply the
 * warehouse's pending loads, compute every KPI there (@pulse/metric-catalog), score health and write
 * everything back in one transaction together with the run's outcome and its metrics.computed.v1
 * event (outbox). Any failure leaves the previous results in place and the runs failed with a code and
 * a message safe to show the tenant (runFailureOf); the error itself is logged with the run's ids. A run
 * shutdown interrupts (RunInterruptions) goes back to the queue instead.
 */
@Injectable()
export class RunTenantMetricsUseCase {
  constructor(
    private readonly tenants: TenantDatabasePool,
    private readonly directory: TenantDirectory,
    @Inject(WAREHOUSE) private readonly warehouse: Warehouse,
    @Inject(KPI_COMPUTER) private readonly computeKpis: KpiComputer,
    private readonly publisher: EventPublisher,
    @Inject(METRICS_CONFIG) private readonly config: MetricsConfig,
    private readonly interruptions: RunInterruptions,
    private readonly logger: PinoLogger,
  ) {}

  /** Returns `more: true` when the tenant still has queued runs (another as-of date) or another replica holds it. */
  /** `nextDueAt`: when the tenant's next run queued for later (a retry) is due, for the scheduler to wake then. */
  async execute(tenantId: string): Promise<{ more: boolean; nextDueAt?: Date }> {
    // Shutting down: the queued runs stay queued for the next sweep (another replica's, or the next start's).
    if (this.interruptions.shuttingDown) return { more: false };
    const tenant = await this.directory.findLiveTenant(tenantId);
    if (!tenant) {
      this.logger.warn({ tenantId }, 'metrics run skipped: the tenant is not live (suspended, offboarded or unknown)');
      return { more: false };
    }
    const context = createTenantContext({ tenantId: tenant.tenantId, slug: tenant.slug, correlationId: randomUUID() });
    // One connection for the whole run: it holds the tenant's run lock, then does the write-back.
    const result = await this.tenants.withTenantClient(context, async (db) => {
      if (!(await tryLockTenantRuns(db))) return { more: true, published: undefined };
      try {
        const requeued = await requeueInterruptedRuns(db);
        if (requeued > 0) this.logger.warn({ tenantId, requeued }, 'runs interrupted by a stopped process were queued again');
        const claimed = await claimQueuedRuns(db);
        const published = claimed ? await this.interruptions.track(db, context, claimed.runId, (run) => this.runClaimed(db, context, tenant, claimed, run)) : undefined;
        return { more: claimed?.more ?? false, published, nextDueAt: await nextQueuedRunDue(db) };
      } finally {
        await onceMoreIfCancelled(() => unlockTenantRuns(db));
      }
    });
    if (result.published) await this.publish(context, result.published);
    return { more: result.more, ...(result.nextDueAt ? { nextDueAt: result.nextDueAt } : {}) };
  }

  private async runClaimed(db: TenantDatabaseClient, context: TenantContext, tenant: LiveTenant, claimed: ClaimedRuns, run: InterruptibleWork): Promise<Published | undefined> {
    const { signal } = run;
    const log = { tenantId: tenant.tenantId, runId: claimed.runId, correlationId: context.correlationId, covered: claimed.coveredRunIds.length, reasons: claimed.reasons };
    const timings: Record<string, number> = {};
    const started = Date.now();
    const startedAt = new Date(started);
    const workDir = path.join(this.config.runs.workDir, tenant.tenantId, claimed.runId);
    try {
      const params = kpiParamsFor(tenant, claimed.requestedAsOf);
      await setRunsAsOf(db, claimed, params.asOf);
      this.logger.info({ ...log, asOf: params.asOf }, 'metrics run started');
      const warehouseTenant = { tenantId: tenant.tenantId, slug: tenant.slug };

      let mark = performance.now();
      const loads = await this.warehouse.applyPendingLoads(warehouseTenant, { signal });
      timings['warehouse.apply_pending_loads'] = Math.round(performance.now() - mark);

      mark = performance.now();
      const touchedSince = await productsTouchedSince(db, params);
      const outputs = await this.computeKpis(this.warehouse, warehouseTenant, params, kpiOutputDir(this.config.warehouse, workDir, tenant.tenantId, claimed.runId, randomUUID()), {
        ...(touchedSince ? { productsTouchedSince: touchedSince } : {}),
        signal,
      });
      timings['compute'] = Math.round(performance.now() - mark);
      for (const [label, ms] of Object.entries(outputs.timings)) timings[`compute.${label}`] = ms;

      const scorecard = await activeScorecard(db);
      // A table an earlier write-back replaced and did not drop (a crash came between, or its locks were held too long).
      // Its lock attempts stop at shutdown, which must not wait out their minute.
      await this.dropReplaced(db, log, signal);
      signal.throwIfAborted();
      mark = performance.now();
      // Shutdown cancels the statement under way (RunInterruptions): the transaction rolls back whole.
      const { published, written, rowCounts } = await run.cancellable(async () => {
        await db.query('BEGIN');
        try {
          const written = await writeBackKpis(db, {
            runId: claimed.runId,
            asOf: params.asOf,
            customerKpis: outputs.customerKpis,
            productKpis: outputs.productKpis,
            metricSeries: outputs.metricSeries,
            productKpisScope: outputs.productKpisScope,
            scorecard,
          });
          Object.assign(timings, written.timings);
          timings['write_back'] = Math.round(performance.now() - mark);
          timings['total'] = Date.now() - started;
          // product_kpis counts the rows this run wrote: all SKUs, or (incremental) the touched ones.
          const rowCounts = { ...written.rowCounts, warehouse_loads_applied: loads.applied, product_kpis_incremental: outputs.productKpisScope === 'touched' ? 1 : 0 };
          const { finishedAt } = await finishRuns(db, claimed, { status: 'succeeded', timings, rowCounts, computedWith: { params, dataWatermark: outputs.dataWatermark } });
          const published = await this.enqueueComputed(db, context, claimed, params.asOf, startedAt, finishedAt, written.rowCounts, timings);
          await db.query('COMMIT');
          return { published, written, rowCounts };
        } catch (error) {
          // A connection too broken to roll back has lost the transaction anyway; report the first error.
          await db.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
      });
      await this.dropReplaced(db, log, signal);
      if (written.rowCounts.unknown_customers > 0) {
        this.logger.warn({ ...log, unknownCustomers: written.rowCounts.unknown_customers, sample: written.unknownCustomerSample }, 'KPI rows for customers not in the tenant database were not written');
      }
      if (written.unknownMetrics.length > 0) this.logger.warn({ ...log, unknownMetrics: written.unknownMetrics }, 'scorecard measures name no known KPI; they count as missing');
      this.logger.info({ ...log, asOf: params.asOf, timings, rowCounts }, 'metrics run succeeded');
      return published;
    } catch (error) {
      timings['total'] = Date.now() - started;
      if (signal.aborted) {
        await this.requeueInterrupted(db, claimed, log);
        return undefined;
      }
      const failure = runFailureOf(error);
      // The whole error (message, stack, causes, PostgreSQL fields) only here: the run records the code
      // and a message safe to show. The covered runs' ids find this line too.
      this.logger.error({ ...log, coveredRunIds: claimed.coveredRunIds, errorCode: failure.code, err: error }, 'metrics run failed; the previous results stay in place');
      await finishRuns(db, claimed, { status: 'failed', error: failure, timings, rowCounts: {} });
      const retryAt = await queueRetryAfterFailure(db, claimed, failure.code);
      if (retryAt) this.logger.warn({ ...log, errorCode: failure.code, retryAt: retryAt.toISOString() }, 'metrics run queued again after a passing failure');
      return undefined;
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  }

  /**
   * Whatever the run was doing when shutdown came (a warehouse statement, the write-back), nothing of it
   * was kept: the runs go back to the queue. If even that fails, they stay `running`, and the tenant's next
   * run queues them again (requeueInterruptedRuns).
   */
  private async requeueInterrupted(db: TenantDatabaseClient, claimed: ClaimedRuns, log: Record<string, unknown>): Promise<void> {
    try {
      await onceMoreIfCancelled(() => requeueRuns(db, claimed));
      this.logger.warn({ ...log, coveredRunIds: claimed.coveredRunIds }, 'metrics run interrupted by shutdown; the previous results stay in place and the run is queued again');
    } catch (error) {
      this.logger.warn({ ...log, err: error }, 'metrics run interrupted by shutdown; it stays running until the next run of the tenant queues it again');
    }
  }

  /**
   * The customer_kpis tables write-backs replaced, dropped each in its own short transaction (dropping
   * one takes ACCESS EXCLUSIVE on customers: never inside a write-back's transaction). Run after the
   * write-back's COMMIT and before the next one's BEGIN. A failure is only logged: results are not
   * affected (the swap names each replaced table after its own oid), and a later run drops it.
   */
  private async dropReplaced(db: TenantDatabaseClient, log: Record<string, unknown>, signal: AbortSignal): Promise<void> {
    try {
      const { dropped, ms } = await dropReplacedCustomerKpis(db, { signal });
      if (dropped.length > 0) this.logger.info({ ...log, dropped, ms }, 'replaced customer_kpis dropped');
    } catch (error) {
      this.logger.warn({ ...log, err: error }, 'a replaced customer_kpis could not be dropped yet; a later run drops it');
    }
  }

  private async enqueueComputed(
    db: TenantDatabaseClient,
    context: TenantContext,
    claimed: ClaimedRuns,
    asOf: string,
    startedAt: Date,
    finishedAt: Date,
    rowCounts: Record<string, number>,
    timings: Record<string, number>,
  ): Promise<Published> {
    // One entry per result table: rows written, and the time of the step that produced them (the
    // warehouse query for KPIs and series, the scoring write-back step for health).
    const producedBy = { customer_kpis: 'compute.customer_kpis', product_kpis: 'compute.product_kpis', metric_series: 'compute.metric_series', health_scores: 'write_back.health_scores' };
    const payload: ComputedPayload = {
      runId: claimed.runId,
      asOf,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      metrics: Object.entries(producedBy).map(([name, step]) => ({ name, rows: rowCounts[name] ?? 0, durationMs: timings[step] ?? 0 })),
    };
    const metadata = { eventId: randomUUID(), tenantId: context.tenantId, correlationId: context.correlationId ?? claimed.runId, occurredAt: finishedAt };
    await enqueueEvent((sql, values) => db.query(sql, values), metricsComputedV1, payload, metadata);
    return { payload, metadata };
  }

  /**
   * After commit, the fast path: the event is published here and its outbox row marked, waited for at
   * most a second (publishAfterCommit), so that an unreachable Pub/Sub holds neither the run's message nor,
   * at shutdown, the service's exit. A failure is logged, not thrown (the results are committed): the row
   * stays unpublished and the TenantOutboxSweeper (TenancyModule) publishes it, with the same eventId.
   */
  private async publish(context: TenantContext, published: Published): Promise<void> {
    await publishAfterCommit(
      this.publisher,
      (sql, values) => this.tenants.query(context, sql, values),
      { contract: metricsComputedV1, payload: published.payload, metadata: published.metadata },
      (error) => this.logger.warn({ err: error, runId: published.payload.runId, eventId: published.metadata.eventId }, 'metrics.computed.v1 not published; left in the tenant outbox'),
    );
  }
}

/**
 * Shutdown's cancel requests (RunInterruptions) are aimed at the write-back, but one sent just before it
 * ended can reach the connection's next statement: run once more if it was cancelled (query_canceled).
 */
async function onceMoreIfCancelled<T>(statement: () => Promise<T>): Promise<T> {
  try {
    return await statement();
  } catch (error) {
    if ((error as { code?: string }).code !== '57014') throw error;
    return statement();
  }
}
