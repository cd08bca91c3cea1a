import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { DomainError } from '@pulse/errors';
import { TenantResolver } from '@pulse/tenancy';
import type { TenantRequest } from './tenant-auth.guard';

/**
 * A tenant host name the request claims (TenantAuthGuard collected and validated them) must be the key's
 * tenant's: 403 `auth.host_mismatch` otherwise. Runs after RateLimitGuard, so the control-plane lookups
 * of hosts no cache knows are counted in the key's tenant's rate like any request of it.
 */
@Injectable()
export class TenantHostGuard implements CanActivate {
  constructor(private readonly resolver: TenantResolver) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<TenantRequest>();
    if (!request.tenant) return true;
    // Whose host it is, not whether that tenant is live (nor whether it exists): none of this caller's business.
    const foreign = await this.resolver.firstForeignHost(request.claimedHosts ?? [], request.tenant.tenantId);
    if (foreign !== undefined) {
      throw new DomainError('forbidden', 'auth.host_mismatch', `This API key does not belong to the tenant of ${foreign}.`);
    }
    return true;
  }
}
