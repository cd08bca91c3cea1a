import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { tenantOffboardedV1, tenantProvisionedV1, tenantUpdatedV1, type EventEnvelope } from '@pulse/contracts';
import { TenantResolver } from '@pulse/tenancy';

/**
 * Drops this replica's cached resolutions of a tenant when the registry says it appeared, changed
 * (status, keys, hostnames) or left. Broadcast: every replica has its own subscription, so each one forgets.
 */
@Controller()
export class TenantCacheInvalidationHandler {
  constructor(private readonly resolver: TenantResolver) {}

  @EventPattern(tenantUpdatedV1.topic, { broadcast: true })
  onTenantUpdated(@Payload() event: EventEnvelope): void {
    this.resolver.invalidateTenant(event.tenantId);
  }

  /** A new tenant's host names may have been remembered as nobody's. */
  @EventPattern(tenantProvisionedV1.topic, { broadcast: true })
  onTenantProvisioned(@Payload() event: EventEnvelope): void {
    this.resolver.invalidateTenant(event.tenantId);
  }

  @EventPattern(tenantOffboardedV1.topic, { broadcast: true })
  onTenantOffboarded(@Payload() event: EventEnvelope): void {
    this.resolver.invalidateTenant(event.tenantId);
  }
}
