import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { tenantOffboardedV1, type EventEnvelope, type EventPayload } from '@pulse/contracts';
import type { Warehouse } from '@pulse/warehouse';
import { PinoLogger } from 'nestjs-pino';
import { TenantDirectory } from '../tenancy/tenant-directory';
import { WAREHOUSE } from './warehouse.tokens';

/**
 * An offboarded tenant's data was exported and its database dropped: its warehouse copy (DuckDB file
 * and load inbox, or BigQuery dataset) goes too. Idempotent, so a redelivery is harmless. What is dropped
 * is decided by the control plane, not by the event: only a tenant it shows offboarded, under the slug it
 * has there (a BigQuery dataset is named by the slug, so an event naming one tenant's id with another's
 * slug would otherwise drop the other's dataset).
 */
@Controller()
export class TenantOffboardedHandler {
  constructor(
    @Inject(WAREHOUSE) private readonly warehouse: Warehouse,
    private readonly directory: TenantDirectory,
    private readonly logger: PinoLogger,
  ) {}

  @EventPattern(tenantOffboardedV1.topic)
  async onTenantOffboarded(@Payload() event: EventEnvelope<EventPayload<typeof tenantOffboardedV1>>): Promise<void> {
    const tenant = await this.directory.findOffboardedTenant(event.tenantId);
    if (tenant === undefined) {
      this.logger.error({ tenantId: event.tenantId, slug: event.payload.slug }, 'tenant.offboarded.v1 names a tenant the control plane does not show offboarded; its warehouse copy is kept');
      return;
    }
    if (tenant.slug !== event.payload.slug) {
      this.logger.warn({ tenantId: tenant.tenantId, slug: tenant.slug, eventSlug: event.payload.slug }, 'tenant.offboarded.v1 gives another slug than the control plane; the control plane\'s is used');
    }
    await this.warehouse.dropTenant(tenant);
    this.logger.info({ tenantId: tenant.tenantId }, 'offboarded tenant removed from the warehouse');
  }
}
