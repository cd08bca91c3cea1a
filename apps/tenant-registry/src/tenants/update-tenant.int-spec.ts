import type { Message } from '@google-cloud/pubsub';
import { TenantResolver } from '@pulse/tenancy';
import { waitFor } from '@pulse/testing';
import { Pool } from 'pg';
import { listen, startRegistry, uniqueSlug, type RegistryUnderTest } from '../tenant-registry.int-kit';

describe('PATCH /v1/tenants/{slug} (real PostgreSQL, Pub/Sub emulator)', () => {
  let registry: RegistryUnderTest;
  let resolverPool: Pool;
  let updates: { messages: Message[]; close: () => Promise<void> };
  const created: string[] = [];

  const createTenant = async (prefix: string, extra: Record<string, unknown> = {}) => {
    const slug = uniqueSlug(prefix);
    const response = await registry.call('POST', '/v1/tenants', { slug, name: `Tenant ${slug}`, ...extra });
    expect(response.status).toBe(201);
    created.push(slug);
    return { slug, id: response.body.tenant.id as string, key: response.body.apiKey.key as string };
  };
  const hostname = (prefix: string) => `${uniqueSlug(prefix)}.example.org`;
  const storedTenant = async (slug: string) =>
    (await registry.query<{ plan: string; hostnames: string[]; settings: Record<string, unknown> }>('SELECT plan, hostnames, settings FROM tenants WHERE slug = $1', [slug]))[0];
  const claimsOf = async (tenantId: string) =>
    (await registry.query<{ hostname: string }>('SELECT hostname FROM tenant_hostnames WHERE tenant_id = $1 ORDER BY hostname', [tenantId])).map((r) => r.hostname);
  const updateEventsInOutbox = async (tenantId: string) =>
    (await registry.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox WHERE tenant_id = $1 AND topic = 'tenant.updated.v1'", [tenantId]))[0]?.n;
  /** The tenant.updated.v1 messages published for one tenant (other tests' events may be in flight). */
  const publishedFor = (tenantId: string) =>
    updates.messages.filter((m) => m.attributes['tenantId'] === tenantId).map((m) => JSON.parse(m.data.toString()) as Record<string, unknown>);

  beforeAll(async () => {
    registry = await startRegistry();
    resolverPool = new Pool({ connectionString: registry.controlPlane.url, max: 2 });
    updates = await listen(registry.pubsub, 'tenant.updated.v1');
  });

  afterAll(async () => {
    await updates?.close();
    for (const slug of created) await registry.call('DELETE', `/v1/tenants/${slug}`);
    await resolverPool?.end();
    await registry?.stop();
  });

  it('changes plan, replaces hostnames, merge-patches settings, and announces it with tenant.updated.v1', async () => {
    const [kept, dropped, added] = [hostname('kept'), hostname('dropped'), hostname('added')];
    const tenant = await createTenant('patch', {
      hostnames: [kept, dropped],
      settings: { currency: 'BRL', dedicated: false, branding: { color: 'red', logo: 'a.png' } },
    });

    const patched = await registry.call('PATCH', `/v1/tenants/${tenant.slug}`, {
      plan: 'enterprise',
      hostnames: [kept, added, added],
      settings: { dedicated: true, currency: null, branding: { logo: null, font: 'Inter' } },
    });

    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      slug: tenant.slug,
      status: 'onboarding',
      plan: 'enterprise',
      hostnames: [`${tenant.slug}.pulse.test`, kept, added],
      settings: { dedicated: true, branding: { color: 'red', font: 'Inter' } },
    });
    expect(patched.body.settings).not.toHaveProperty('currency');
    expect((await registry.call('GET', `/v1/tenants/${tenant.slug}`)).body).toEqual(patched.body);
    expect(await storedTenant(tenant.slug)).toEqual({
      plan: 'enterprise',
      hostnames: [kept, added],
      settings: { dedicated: true, branding: { color: 'red', font: 'Inter' } },
    });
    expect(await claimsOf(tenant.id)).toEqual([kept, added].sort());
    const [auditRow] = await registry.query<{ details: { changed: string[] } }>(
      "SELECT details FROM audit_log WHERE tenant_slug = $1 AND action = 'tenant.update'",
      [tenant.slug],
    );
    expect(auditRow?.details.changed).toEqual(['plan', 'hostnames', 'settings']);

    await waitFor(async () => publishedFor(tenant.id).length > 0, { timeoutMs: 15_000, description: 'tenant.updated.v1 through the outbox relay' });
    expect(publishedFor(tenant.id)).toEqual([
      { slug: tenant.slug, status: 'onboarding', plan: 'enterprise', hostnames: [kept, added], changed: ['plan', 'hostnames', 'settings'] },
    ]);

    // The released hostname is free for another tenant.
    const other = await createTenant('patch-other');
    expect((await registry.call('PATCH', `/v1/tenants/${other.slug}`, { hostnames: [dropped] })).body.hostnames).toEqual([`${other.slug}.pulse.test`, dropped]);
  });

  it('changes only what the patch names, and writes nothing for a patch that changes nothing', async () => {
    const tenant = await createTenant('patch-noop', { plan: 'growth', hostnames: [hostname('noop')], settings: { currency: 'EUR' } });
    const before = await storedTenant(tenant.slug);

    expect((await registry.call('PATCH', `/v1/tenants/${tenant.slug}`, { settings: { dedicated: true } })).body).toMatchObject({
      plan: 'growth',
      hostnames: [`${tenant.slug}.pulse.test`, ...(before?.hostnames ?? [])],
      settings: { currency: 'EUR', dedicated: true },
    });
    expect(await updateEventsInOutbox(tenant.id)).toBe(1);

    for (const body of [{}, { settings: { dedicated: true } }, { plan: 'growth', settings: { unknownKey: null } }]) {
      expect((await registry.call('PATCH', `/v1/tenants/${tenant.slug}`, body)).status).toBe(200);
    }
    expect(await updateEventsInOutbox(tenant.id)).toBe(1);

    expect((await registry.call('PATCH', `/v1/tenants/${tenant.slug}`, { hostnames: [] })).body.hostnames).toEqual([`${tenant.slug}.pulse.test`]);
    expect(await claimsOf(tenant.id)).toEqual([]);
    expect(await updateEventsInOutbox(tenant.id)).toBe(2);
  });

  it('refuses hostnames inside the base domain with 422 naming each, on PATCH and POST: another tenant\'s slug host, a future one, the base domain', async () => {
    const alpha = await createTenant('alpha', { hostnames: [hostname('alpha')] });
    const beta = await createTenant('beta');
    const before = await storedTenant(alpha.slug);
    const future = `${uniqueSlug('zeta')}.pulse.test`;

    const stolen = await registry.call('PATCH', `/v1/tenants/${alpha.slug}`, { plan: 'enterprise', hostnames: [hostname('ok'), `${beta.slug}.pulse.test`, future, 'pulse.test'] });
    expect(stolen.status).toBe(422);
    expect(stolen.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(stolen.body).toMatchObject({ status: 422, code: 'tenant.hostname_reserved' });
    expect(stolen.body.errors.map((e: { field: string; code: string }) => [e.field, e.code])).toEqual([
      ['body.hostnames.1', 'in_base_domain'],
      ['body.hostnames.2', 'in_base_domain'],
      ['body.hostnames.3', 'in_base_domain'],
    ]);
    expect(await storedTenant(alpha.slug)).toEqual(before);
    expect(await claimsOf(alpha.id)).toEqual(before?.hostnames);

    const gamma = uniqueSlug('gamma');
    const created = await registry.call('POST', '/v1/tenants', { slug: gamma, name: 'Gamma', hostnames: [`${beta.slug}.pulse.test`] });
    expect(created.status).toBe(422);
    expect(created.body).toMatchObject({ code: 'tenant.hostname_reserved', errors: [{ field: 'body.hostnames.0' }] });
    expect(await registry.query('SELECT 1 FROM tenants WHERE slug = $1', [gamma])).toEqual([]);

    // The tenant's own slug host (GET lists it first) is accepted and stays implicit: a list read back works.
    const shown = (await registry.call('GET', `/v1/tenants/${alpha.slug}`)).body.hostnames;
    const again = await registry.call('PATCH', `/v1/tenants/${alpha.slug}`, { hostnames: shown });
    expect(again.status).toBe(200);
    expect(again.body.hostnames).toEqual(shown);
    expect((await storedTenant(alpha.slug))?.hostnames).toEqual(before?.hostnames);
  });

  it('refuses an unknown slug (404), another tenant\'s hostname (409) and bad input (400), changing nothing', async () => {
    const taken = hostname('taken');
    await createTenant('owner', { hostnames: [taken] });
    const tenant = await createTenant('patch-refused', { plan: 'growth' });
    const before = await storedTenant(tenant.slug);

    const unknown = await registry.call('PATCH', `/v1/tenants/${uniqueSlug('nobody')}`, { plan: 'enterprise' });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ status: 404, code: 'tenant.not_found' });

    const conflict = await registry.call('PATCH', `/v1/tenants/${tenant.slug}`, { plan: 'enterprise', hostnames: [hostname('free'), taken] });
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ status: 409, code: 'tenant.hostname_taken' });
    expect(conflict.body.detail).toContain(taken);

    const bad = await registry.call('PATCH', `/v1/tenants/${tenant.slug}`, { plan: '', hostnames: ['Not A Host'], settings: ['x'], name: 'Renamed' });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(bad.body.code).toBe('validation_failed');
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['body.hostnames.0', 'body.name', 'body.plan', 'body.settings']);
    const nulls = await registry.call('PATCH', `/v1/tenants/${tenant.slug}`, { plan: null, hostnames: null, settings: null });
    expect(nulls.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['body.hostnames', 'body.plan', 'body.settings']);

    expect(await storedTenant(tenant.slug)).toEqual(before);
    expect(await claimsOf(tenant.id)).toEqual([]);
    expect(await updateEventsInOutbox(tenant.id)).toBe(0);
  });

  it('refuses to change an offboarded tenant', async () => {
    const tenant = await createTenant('patch-gone', { settings: { currency: 'EUR' } });
    expect((await registry.call('DELETE', `/v1/tenants/${tenant.slug}`)).body.status).toBe('offboarded');
    // Offboarding announced the suspension that comes before its export: one event, and no more after.
    const announced = await updateEventsInOutbox(tenant.id);
    expect(announced).toBe(1);

    const refused = await registry.call('PATCH', `/v1/tenants/${tenant.slug}`, { plan: 'enterprise', settings: { currency: null } });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ status: 409, code: 'tenant.invalid_transition' });
    expect(await storedTenant(tenant.slug)).toMatchObject({ plan: 'standard', settings: { currency: 'EUR' } });
    expect(await updateEventsInOutbox(tenant.id)).toBe(announced);
  });

  it('serves the new plan, currency and hostnames to a caching resolver once the event arrives', async () => {
    const [oldHost, newHost] = [hostname('old'), hostname('new')];
    const tenant = await createTenant('patch-cache', { hostnames: [oldHost] });
    // A cache long enough that only the event can explain the new answers.
    const resolver = new TenantResolver(resolverPool, { baseDomain: 'pulse.test', cacheTtlMs: 600_000 });
    expect(await resolver.resolveApiKey(tenant.key)).toMatchObject({ slug: tenant.slug, plan: 'standard', currency: 'USD' });
    expect(await resolver.resolveHost(oldHost)).toMatchObject({ slug: tenant.slug });
    expect(await resolver.resolveHost(newHost)).toBeUndefined();

    await registry.call('PATCH', `/v1/tenants/${tenant.slug}`, { plan: 'enterprise', hostnames: [newHost], settings: { currency: 'EUR' } });
    expect(await resolver.resolveApiKey(tenant.key)).toMatchObject({ plan: 'standard' }); // still cached

    await waitFor(async () => publishedFor(tenant.id).length > 0, { timeoutMs: 15_000, description: 'tenant.updated.v1 through the outbox relay' });
    resolver.invalidateTenant(tenant.id); // what the api's TenantCacheInvalidationHandler does with it
    expect(await resolver.resolveApiKey(tenant.key)).toMatchObject({ slug: tenant.slug, plan: 'enterprise', currency: 'EUR' });
    expect(await resolver.resolveHost(newHost)).toMatchObject({ slug: tenant.slug, plan: 'enterprise' });
    expect(await resolver.resolveHost(oldHost)).toBeUndefined();
  });

  it('is documented in the OpenAPI document with its body', async () => {
    const document = (await registry.call('GET', '/openapi.json', undefined, null)).body;
    const patch = document.paths['/v1/tenants/{slug}'].patch;
    const body = patch.requestBody.content['application/json'].schema;
    expect(Object.keys(body.properties).sort()).toEqual(['hostnames', 'plan', 'settings']);
    expect(body.additionalProperties).toBe(false);
    expect(body.required ?? []).toEqual([]);
    expect(Object.keys(patch.responses)).toEqual(expect.arrayContaining(['200', '404', '409']));
  });
});
