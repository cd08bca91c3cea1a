import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { ingestionCompletedV1, metricsRefreshRequestedV1, type EventEnvelope, type EventPayload } from '@pulse/contracts';
import { createTenantContext, TenantDatabasePool } from '@pulse/tenancy';
import { PinoLogger } from 'nestjs-pino';
import { MetricsScheduler } from '../scheduling/metrics-scheduler';
import { TenantDirectory } from '../tenancy/tenant-directory';
import { recordRefreshRequest, type RefreshRequest } from './refresh-request-records';

/**
 * Translates the two events that ask for a recompute into durable requests (a queued metric_runs row,
 * in the tenant database, once per eventId) and wakes the scheduler. The message is acked as soon as the
 * request is recorded: the run itself happens after the tenant's debounce window.
 */
@Controller()
export class RefreshRequestsHandler {
  constructor(
    private readonly directory: TenantDirectory,
    private readonly tenants: TenantDatabasePool,
    private readonly scheduler: MetricsScheduler,
    private readonly logger: PinoLogger,
  ) {}

  @EventPattern(ingestionCompletedV1.topic)
  async onIngestionCompleted(@Payload() event: EventEnvelope<EventPayload<typeof ingestionCompletedV1>>): Promise<void> {
    await this.record(event, { kind: 'ingestion', eventId: event.eventId });
  }

  @EventPattern(metricsRefreshRequestedV1.topic)
  async onRefreshRequested(@Payload() event: EventEnvelope<EventPayload<typeof metricsRefreshRequestedV1>>): Promise<void> {
    const { runId, asOf, reason } = event.payload;
    await this.record(event, { kind: 'refresh', eventId: event.eventId, runId, reason, ...(asOf ? { asOf } : {}) });
  }

  private async record(event: EventEnvelope, request: RefreshRequest): Promise<void> {
    const tenant = await this.directory.findLiveTenant(event.tenantId);
    if (!tenant) {
      // Nothing to compute for a tenant that is gone or suspended; retrying would not change that.
      this.logger.warn({ tenantId: event.tenantId, topic: event.topic }, 'request for a tenant that is not live ignored');
      return;
    }
    const context = createTenantContext({ tenantId: tenant.tenantId, slug: tenant.slug, correlationId: event.correlationId });
    const recorded = await this.tenants.withTenantTransaction(context, (db) => recordRefreshRequest(db, request));
    if (!recorded) this.logger.info({ eventId: event.eventId }, 'event already recorded; redelivery ignored');
    this.scheduler.request(tenant.tenantId);
  }
}
