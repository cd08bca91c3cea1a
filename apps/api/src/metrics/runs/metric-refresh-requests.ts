import { Injectable } from '@nestjs/common';
import { metricsRefreshRequestedV1, type EventPayload } from '@pulse/contracts';
import { EventPublisher, enqueueEvent, publishAfterCommit, type EventMetadata } from '@pulse/messaging';
import { TenantDatabasePool, tenantLogFields, type TenantContext, type TenantDatabaseClient } from '@pulse/tenancy';
import { PinoLogger } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import { METRIC_RUN_COLUMNS, toMetricRunDto, type MetricRunRow } from './metric-run-row';
import type { MetricRunDto } from './metric-run.schemas';

type RefreshPayload = EventPayload<typeof metricsRefreshRequestedV1>;

export interface QueuedRefresh {
  run: MetricRunDto;
  payload: RefreshPayload;
  metadata: Required<Pick<EventMetadata, 'tenantId' | 'correlationId' | 'eventId' | 'occurredAt'>>;
}

/**
 * A request to recompute a tenant's metrics: a queued metric_runs row plus its
 * metrics.refresh-requested.v1 event in the tenant's outbox, in the caller's transaction; then, after
 * commit, the event is published directly (the fast path). When that publish fails or the process dies
 * first, the row stays unpublished and the TenantOutboxSweeper (TenancyModule) publishes it within a
 * sweep interval; the same eventId either way, so consumers deduplicate.
 */
@Injectable()
export class MetricRefreshRequests {
  constructor(
    private readonly publisher: EventPublisher,
    private readonly tenants: TenantDatabasePool,
    private readonly logger: PinoLogger,
  ) {}

  /** Inside the caller's transaction. */
  async queue(db: TenantDatabaseClient, tenant: TenantContext, input: { reason: RefreshPayload['reason']; asOf?: string }): Promise<QueuedRefresh> {
    const { rows } = await db.query<MetricRunRow>(
      `INSERT INTO metric_runs (status, reason, as_of) VALUES ('queued', $1, $2::date) RETURNING ${METRIC_RUN_COLUMNS}`,
      [input.reason, input.asOf ?? null],
    );
    const run = toMetricRunDto(rows[0] as MetricRunRow);
    const payload: RefreshPayload = { runId: run.id, reason: input.reason, ...(input.asOf ? { asOf: input.asOf } : {}) };
    const eventId = randomUUID();
    const metadata = { tenantId: tenant.tenantId, correlationId: tenant.correlationId ?? eventId, eventId, occurredAt: new Date() };
    await enqueueEvent((sql, values) => db.query(sql, values), metricsRefreshRequestedV1, payload, metadata);
    return { run, payload, metadata };
  }

  /**
   * After commit, waiting briefly (publishAfterCommit). A failure is logged, not thrown: the run is
   * recorded and the client's request succeeded; the unpublished outbox row is what the sweeper retries.
   */
  async publish(tenant: TenantContext, queued: QueuedRefresh): Promise<void> {
    await publishAfterCommit(
      this.publisher,
      (sql, values) => this.tenants.query(tenant, sql, values),
      { contract: metricsRefreshRequestedV1, payload: queued.payload, metadata: queued.metadata },
      (error) => this.logger.warn({ ...tenantLogFields(tenant), err: error, runId: queued.run.id, eventId: queued.metadata.eventId }, 'metrics.refresh-requested.v1 not published; left in the tenant outbox'),
    );
  }
}
