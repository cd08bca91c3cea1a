import { defaultKpiParams, localDateOf, parseKpiParamsOrThrow, type KpiParams } from '@pulse/metric-catalog';
import type { LiveTenant } from '../tenancy/tenant-directory';

/**
 * The run's KPI params from the tenant's settings, DESIGN.md's defaults where a setting is absent
 * (timezone UTC, churn window 90 days, excluded statuses canceled/cancelled/refunded) and the as-of
 * date asked for, else today in the tenant's timezone. A setting of the wrong type or value fails the
 * run with a message naming it (InvalidKpiParamsError), rather than silently computing with a default.
 */
export function kpiParamsFor(tenant: LiveTenant, requestedAsOf: string | null, now = new Date()): KpiParams {
  const present = Object.fromEntries(Object.entries(tenant.settings).filter(([, value]) => value !== undefined && value !== null));
  const settings = defaultKpiParams({ ...present, asOf: requestedAsOf ?? '2000-01-01' } as Partial<KpiParams>, now);
  // Settings are checked before "today" is computed in the timezone they name.
  const checked = parseKpiParamsOrThrow(settings);
  return { ...checked, asOf: requestedAsOf ?? localDateOf(now, checked.timezone) };
}
