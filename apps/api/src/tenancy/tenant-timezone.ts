import { DomainError } from '@pulse/errors';
import { canonicalTimezone } from '@pulse/metric-catalog';

/**
 * The canonical name of the tenant's timezone setting, for SQL (PostgreSQL does not know every alias
 * ICU accepts), as the metrics service uses it. Refuses a setting that is not an IANA name, by the metrics
 * service's rule (it fails a run on any other value), so the API cuts days where the KPIs do. A stored
 * value that is not one (the registry refuses new ones) is the tenant's configuration, not the request's
 * fault: 422. `consequence` says what the setting was needed for and what to do meanwhile.
 */
export function tenantTimezoneOrThrow(timezone: string, consequence: string): string {
  const canonical = canonicalTimezone(timezone);
  if (canonical !== undefined) return canonical;
  throw new DomainError(
    'unprocessable',
    'tenant.invalid_timezone',
    `The tenant's timezone setting ${JSON.stringify(timezone)} is not an IANA time zone name, so ${consequence}, and have the setting corrected.`,
  );
}
