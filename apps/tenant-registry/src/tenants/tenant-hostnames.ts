import type { FieldError } from '@pulse/contracts';
import { hostnameInBaseDomain } from '../shared/registry-errors';

/**
 * The custom hostnames a tenant asks for, deduplicated, or a 422 naming each that lies inside the base
 * domain. Every `<slug>.<base domain>` is the host of the tenant with that slug, of tenants that exist
 * and of those yet to come, so no tenant may claim one (nor the base domain itself) as a custom
 * hostname: tools/deploy would refuse to route the lane. The tenant's own slug host is always served
 * and is simply not stored as a custom one (GET shows it first, so a list read back is accepted).
 * `field` is where the list is in the body (`body.hostnames`).
 */
export function customHostnamesOrThrow(hostnames: readonly string[], tenant: { slug: string; baseDomain: string }, field = 'body.hostnames'): string[] {
  const { slug, baseDomain } = tenant;
  const ownHost = `${slug}.${baseDomain}`;
  const errors: FieldError[] = [];
  hostnames.forEach((hostname, index) => {
    if (hostname !== ownHost && (hostname === baseDomain || hostname.endsWith(`.${baseDomain}`))) {
      errors.push({
        field: `${field}.${index}`,
        code: 'in_base_domain',
        message: `"${hostname}" is inside the base domain ${baseDomain}, where only the tenant's own ${ownHost} may be; custom hostnames lie outside it.`,
      });
    }
  });
  if (errors.length > 0) throw hostnameInBaseDomain(baseDomain, errors);
  return [...new Set(hostnames.filter((hostname) => hostname !== ownHost))];
}
