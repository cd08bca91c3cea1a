import type { RegistryTenant } from './tenant-list';

/** The lanes (namespaces) that serve tenants, and which tenant status belongs to which. */
export const LANES = {
  onboarding: { namespace: 'pulse-onboarding', status: 'onboarding' },
  production: { namespace: 'pulse-production', status: 'active' },
} as const;

export type Lane = keyof typeof LANES;
export const LANE_NAMES = Object.keys(LANES) as Lane[];

export function isLane(value: string): value is Lane {
  return value in LANES;
}

/** A tenant that gets a route: its lane, hosts (slug host first, then custom hostnames, sorted) and workload. */
export interface RoutedTenant {
  slug: string;
  lane: Lane;
  slugHost: string;
  customHostnames: string[];
  dedicated: boolean;
}

export class TenantRoutingError extends Error {
  constructor(readonly problems: string[]) {
    super(`the tenant list cannot be routed safely:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'TenantRoutingError';
  }
}

const SLUG = /^[a-z][a-z0-9-]{0,48}[a-z0-9]$/;
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/**
 * Which tenants get a host rule, and where. Safe by default: any doubtful entry (bad slug, malformed or
 * duplicated hostname, a custom hostname inside the base domain, which could shadow another tenant's
 * slug host) fails the whole render, so nothing half-right is written.
 */
export function routeTenants(tenants: readonly RegistryTenant[], baseDomain: string): RoutedTenant[] {
  const problems: string[] = [];
  const owners = new Map<string, string>();
  const claim = (host: string, slug: string) => {
    const owner = owners.get(host);
    if (owner && owner !== slug) problems.push(`${host} is claimed by both ${owner} and ${slug}`);
    owners.set(host, slug);
  };

  const routed: RoutedTenant[] = [];
  const seenSlugs = new Set<string>();
  for (const tenant of tenants) {
    const lane = Object.entries(LANES).find(([, l]) => l.status === tenant.status)?.[0] as Lane | undefined;
    if (seenSlugs.has(tenant.slug)) problems.push(`tenant ${tenant.slug} appears twice`);
    seenSlugs.add(tenant.slug);
    if (!lane) continue; // provisioning, suspended, offboarded...: no route
    if (!SLUG.test(tenant.slug)) {
      problems.push(`tenant slug "${tenant.slug}" is not a DNS label (lower-case letters, digits, dashes)`);
      continue;
    }
    const slugHost = `${tenant.slug}.${baseDomain}`;
    claim(slugHost, tenant.slug);
    const customHostnames = new Set<string>();
    for (const raw of tenant.hostnames) {
      const host = raw.trim().toLowerCase().replace(/\.$/, '');
      if (host === slugHost) continue;
      if (!HOSTNAME.test(host)) {
        problems.push(`${tenant.slug}: "${raw}" is not a valid hostname`);
      } else if (host === baseDomain || host.endsWith(`.${baseDomain}`)) {
        problems.push(`${tenant.slug}: ${host} is inside the base domain ${baseDomain}; only ${slugHost} may be`);
      } else {
        claim(host, tenant.slug);
        customHostnames.add(host);
      }
    }
    routed.push({
      slug: tenant.slug,
      lane,
      slugHost,
      customHostnames: [...customHostnames].sort(),
      dedicated: tenant.settings.dedicated === true,
    });
  }
  if (problems.length > 0) throw new TenantRoutingError(problems);
  return routed.sort((a, b) => a.slug.localeCompare(b.slug));
}
