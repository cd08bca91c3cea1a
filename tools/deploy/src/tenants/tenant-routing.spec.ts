import { routeTenants, TenantRoutingError } from './tenant-routing';
import type { RegistryTenant } from './tenant-list';

const tenant = (slug: string, status: string, hostnames: string[] = [], dedicated?: boolean): RegistryTenant => ({
  slug,
  status,
  hostnames,
  settings: dedicated === undefined ? {} : { dedicated },
});

function problemsOf(attempt: () => unknown): string[] {
  try {
    attempt();
  } catch (error) {
    if (error instanceof TenantRoutingError) return error.problems;
    throw error;
  }
  return [];
}

describe('routeTenants', () => {
  it('puts onboarding tenants in the onboarding lane, active ones in production, and drops the rest', () => {
    const routed = routeTenants(
      [
        tenant('zeta', 'active'),
        tenant('acme', 'onboarding'),
        tenant('old', 'offboarded'),
        tenant('paused', 'suspended'),
        tenant('new', 'provisioning'),
      ],
      'pulse.example.com',
    );
    expect(routed.map((t) => [t.slug, t.lane, t.slugHost])).toEqual([
      ['acme', 'onboarding', 'acme.pulse.example.com'],
      ['zeta', 'production', 'zeta.pulse.example.com'],
    ]);
  });

  it('normalises custom hostnames (case, trailing dot, duplicates, the slug host) and sorts them', () => {
    const [routed] = routeTenants([tenant('acme', 'active', ['B.acme.com.', 'a.acme.com', 'a.acme.com', 'acme.pulse.example.com'], true)], 'pulse.example.com');
    expect(routed).toEqual({
      slug: 'acme',
      lane: 'production',
      slugHost: 'acme.pulse.example.com',
      customHostnames: ['a.acme.com', 'b.acme.com'],
      dedicated: true,
    });
  });

  it('refuses a custom hostname inside the base domain, which could shadow another tenant', () => {
    expect(problemsOf(() => routeTenants([tenant('acme', 'active', ['globex.pulse.example.com'])], 'pulse.example.com'))).toEqual([
      'acme: globex.pulse.example.com is inside the base domain pulse.example.com; only acme.pulse.example.com may be',
    ]);
  });

  it('refuses a hostname claimed by two tenants, malformed hostnames and slugs, and nothing is half-rendered', () => {
    const problems = problemsOf(() =>
      routeTenants(
        [
          tenant('acme', 'active', ['shared.example.org']),
          tenant('globex', 'onboarding', ['shared.example.org', 'not a host']),
          tenant('Bad_Slug', 'active'),
        ],
        'pulse.example.com',
      ),
    );
    expect(problems).toEqual([
      'shared.example.org is claimed by both acme and globex',
      'globex: "not a host" is not a valid hostname',
      'tenant slug "Bad_Slug" is not a DNS label (lower-case letters, digits, dashes)',
    ]);
  });
});
