import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ingestionRequestedV1, type EventEnvelope, type EventPayload } from '@pulse/contracts';
import { decideOnFailure, type PubSubContext } from '@pulse/messaging';
import { PinoLogger } from 'nestjs-pino';
import { INGESTION_CONFIG, type IngestionConfig } from '../config/ingestion.config';
import { TenantDirectory } from '../tenancy/tenant-directory';
import { BoundedConcurrency } from './bounded-concurrency';
import { ImportLoader } from './import-loader';

type RequestedEvent = EventEnvelope<EventPayload<typeof ingestionRequestedV1>>;

/**
 * ingestion.requested.v1 -> run the import. The imports row (written with the event in one transaction)
 * is the source of truth for what to load; the event only names it. Redeliveries of a finished import
 * do nothing; a failure that may pass (database, storage) is retried by redelivery and resumes. When the
 * message is about to be dead-lettered (its last attempt failed, or the failure cannot pass), the import
 * is marked failed first, so that it does not show `running` forever. A request for a suspended tenant
 * is acknowledged with its import left queued: TenantReactivatedHandler runs it when the tenant is back.
 */
@Controller()
export class IngestionRequestedHandler {
  private readonly concurrency: BoundedConcurrency;
  private readonly maxDeliveryAttempts: number;

  constructor(
    private readonly loader: ImportLoader,
    private readonly tenants: TenantDirectory,
    private readonly logger: PinoLogger,
    @Inject(INGESTION_CONFIG) config: IngestionConfig,
  ) {
    this.concurrency = new BoundedConcurrency(config.loading.concurrency);
    this.maxDeliveryAttempts = config.messaging.maxDeliveryAttempts;
  }

  @EventPattern(ingestionRequestedV1.topic)
  async onRequested(@Payload() event: RequestedEvent, @Ctx() context: PubSubContext): Promise<void> {
    await this.concurrency.run(event.tenantId, async () => {
      // A suspended tenant's database cannot be written, not even to fail the import: it stays queued and
      // the tenant's reactivation runs it (dead-lettering the request would leave it queued forever).
      const tenant = await this.tenants.findUnlessSuspended(event.tenantId, event.correlationId);
      if (!tenant) {
        this.logger.info({ importId: event.payload.importId }, 'tenant suspended: the import waits for its reactivation');
        return;
      }
      const request = { tenant: tenant.context, timezone: tenant.timezone, importId: event.payload.importId, eventId: event.eventId, interruptible: true };
      try {
        await this.loader.run(request);
      } catch (error) {
        if (decideOnFailure(error, context.getDeliveryAttempt(), this.maxDeliveryAttempts).action === 'dead-letter') {
          await this.loader.abandon(request, error, context.getDeliveryAttempt());
        }
        throw error;
      }
    });
  }
}
