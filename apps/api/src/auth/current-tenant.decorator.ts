import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { TenantContext } from '@pulse/tenancy';
import type { TenantRequest } from './tenant-auth.guard';

/** The authenticated tenant of the request (set by TenantAuthGuard). */
export const CurrentTenant = createParamDecorator((_data: unknown, context: ExecutionContext): TenantContext => {
  const tenant = context.switchToHttp().getRequest<TenantRequest>().tenant;
  // Only reachable if a public route asked for a tenant: a programming error, not a client one.
  if (!tenant) throw new Error('CurrentTenant used on a route without tenant authentication');
  return tenant;
});

/** The currency of the tenant's money amounts (tenant setting, ISO 4217), for responses that carry money. */
export const TenantCurrency = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const currency = context.switchToHttp().getRequest<TenantRequest>().tenantCurrency;
  if (!currency) throw new Error('TenantCurrency used on a route without tenant authentication');
  return currency;
});

/**
 * The tenant's `timezone` setting as stored (default UTC), where its KPIs cut days. Unchecked: a route
 * that places a date in it checks it first (see parseCustomerListQuery).
 */
export const TenantTimezone = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const timezone = context.switchToHttp().getRequest<TenantRequest>().tenantTimezone;
  if (timezone === undefined) throw new Error('TenantTimezone used on a route without tenant authentication');
  return timezone;
});
