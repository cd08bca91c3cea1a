import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { tenantUpdatedV1, type EventEnvelope, type EventPayload } from '@pulse/contracts';
import { DomainError } from '@pulse/errors';
import { decideOnFailure, type PubSubContext } from '@pulse/messaging';
import { PinoLogger } from 'nestjs-pino';
import { INGESTION_CONFIG, type IngestionConfig } from '../config/ingestion.config';
import { TenantDirectory } from '../tenancy/tenant-directory';
import { ImportLoader } from './import-loader';

type UpdatedEvent = EventEnvelope<EventPayload<typeof tenantUpdatedV1>>;

const WRITABLE_STATUSES: readonly string[] = ['active', 'onboarding'];

/**
 * tenant.updated.v1 with a status that can be written again -> the tenant's unfinished uploads run.
 * An ingestion.requested.v1 that arrives while its tenant is suspended is acknowledged and its import
 * left queued (nothing can be written to a suspended tenant's database, not even a failure); this is
 * what runs it once the tenant is back. It also resumes an upload whose worker stopped while the tenant
 * was suspended. A redelivery of the event runs what is still unfinished, so it is safe to repeat.
 */
@Controller()
export class TenantReactivatedHandler {
  private readonly maxDeliveryAttempts: number;

  constructor(
    private readonly loader: ImportLoader,
    private readonly tenants: TenantDirectory,
    private readonly logger: PinoLogger,
    @Inject(INGESTION_CONFIG) config: IngestionConfig,
  ) {
    this.maxDeliveryAttempts = config.messaging.maxDeliveryAttempts;
  }

  @EventPattern(tenantUpdatedV1.topic)
  async onUpdated(@Payload() event: UpdatedEvent, @Ctx() context: PubSubContext): Promise<void> {
    const { status, changed } = event.payload;
    if (!changed.includes('status') || !WRITABLE_STATUSES.includes(status)) return;
    // The event may be older than the tenant's current status (suspended again since): read it now.
    const tenant = await this.tenants.findUnlessSuspended(event.tenantId, event.correlationId);
    if (!tenant) return;

    const importIds = await this.loader.unfinishedUploads(tenant.context);
    if (importIds.length > 0) this.logger.info({ imports: importIds.length }, 'tenant writable again: running its waiting imports');
    // One at a time: these are background work, next to the imports ingestion.requested.v1 brings in.
    for (const importId of importIds) {
      const request = { tenant: tenant.context, timezone: tenant.timezone, importId, interruptible: true };
      try {
        await this.loader.run(request);
      } catch (error) {
        // Another worker (a late redelivery of its request) has it: that worker finishes it.
        if (error instanceof DomainError && error.code === 'import.in_progress_elsewhere') continue;
        const decision = decideOnFailure(error, context.getDeliveryAttempt(), this.maxDeliveryAttempts);
        if (decision.action === 'retry') throw error; // the redelivery resumes it, and runs the rest
        await this.loader.abandon(request, error, context.getDeliveryAttempt());
      }
    }
  }
}
