import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { ingestionRequestedV1, type EventEnvelope, type EventPayload } from '@pulse/contracts';
import { INGESTION_CONFIG, type IngestionConfig } from '../config/ingestion.config';
import { TenantDirectory } from '../tenancy/tenant-directory';
import { BoundedConcurrency } from './bounded-concurrency';
import { ImportLoader } from './import-loader';

type RequestedEvent = EventEnvelope<EventPayload<typeof ingestionRequestedV1>>;

/**
 * ingestion.requested.v1 -> run the import. The imports row (written with the event in one transaction)
 * is the source of truth for what to load; the event only names it. Redeliveries of a finished import
 * do nothing; a failure that may pass (database, storage) is retried by redelivery and resumes.
 */
@Controller()
export class IngestionRequestedHandler {
  private readonly concurrency: BoundedConcurrency;

  constructor(
    private readonly loader: ImportLoader,
    private readonly tenants: TenantDirectory,
    @Inject(INGESTION_CONFIG) config: IngestionConfig,
  ) {
    this.concurrency = new BoundedConcurrency(config.loading.concurrency);
  }

  @EventPattern(ingestionRequestedV1.topic)
  async onRequested(@Payload() event: RequestedEvent): Promise<void> {
    await this.concurrency.run(async () => {
      const tenant = await this.tenants.findOrThrow(event.tenantId, event.correlationId);
      await this.loader.run({ tenant: tenant.context, timezone: tenant.timezone, importId: event.payload.importId, eventId: event.eventId });
    });
  }
}
