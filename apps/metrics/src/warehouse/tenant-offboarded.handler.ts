import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { tenantOffboardedV1, type EventEnvelope, type EventPayload } from '@pulse/contracts';
import type { Warehouse } from '@pulse/warehouse';
import { PinoLogger } from 'nestjs-pino';
import { WAREHOUSE } from './warehouse.tokens';

/**
 * An offboarded tenant's data was exported and its database dropped: its warehouse copy (DuckDB file
 * and load inbox, or BigQuery dataset) goes too. Idempotent, so a redelivery is harmless.
 */
@Controller()
export class TenantOffboardedHandler {
  constructor(
    @Inject(WAREHOUSE) private readonly warehouse: Warehouse,
    private readonly logger: PinoLogger,
  ) {}

  @EventPattern(tenantOffboardedV1.topic)
  async onTenantOffboarded(@Payload() event: EventEnvelope<EventPayload<typeof tenantOffboardedV1>>): Promise<void> {
    await this.warehouse.dropTenant({ tenantId: event.tenantId, slug: event.payload.slug });
    this.logger.info({ tenantId: event.tenantId }, 'offboarded tenant removed from the warehouse');
  }
}
