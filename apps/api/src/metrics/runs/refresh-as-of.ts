import { ValidationError } from '@pulse/errors';
import { localDateOf } from '@pulse/metric-catalog';
import { tenantTimezoneOrThrow } from '../../tenancy/tenant-timezone';

/**
 * The earliest as-of day a refresh takes. A run's series reach from the earliest data to its as-of day,
 * so an early day costs nothing: the bound only refuses typos (0001, 0202) while admitting any real
 * order history.
 */
export const EARLIEST_REFRESH_AS_OF = '1970-01-01';

/** What the OpenAPI document and the 400 say about the range. */
export const REFRESH_AS_OF_RANGE_TEXT = `from ${EARLIEST_REFRESH_AS_OF} to the day after today in the tenant's timezone`;

function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/**
 * Refuses an as-of day outside [1970-01-01, tenant's today + 1]. A run writes a day, week and month
 * series point for every period up to its as-of day, so a far future one (9999-12-31) would write tens
 * of millions of rows; the extra day lets a client a little ahead of the tenant's timezone ask for its
 * own today. "Today" is the tenant's (setting `timezone`, where the metrics service computes): a setting
 * that is no IANA name is the tenant's configuration, not the request's fault (422, as on customers).
 */
export function assertRefreshAsOfInRange(asOf: string, timezone: string, now = new Date()): void {
  tenantTimezoneOrThrow(timezone, "the tenant's today, which bounds asOf, is unknown: refresh without asOf (the run fails naming the setting)");
  const latest = addDays(localDateOf(now, timezone), 1);
  // YYYY-MM-DD strings compare in calendar order.
  if (asOf >= EARLIEST_REFRESH_AS_OF && asOf <= latest) return;
  throw new ValidationError([
    { field: 'body.asOf', code: 'out_of_range', message: `asOf must be from ${EARLIEST_REFRESH_AS_OF} to ${latest} (the day after today in the tenant's timezone, ${timezone})` },
  ]);
}
