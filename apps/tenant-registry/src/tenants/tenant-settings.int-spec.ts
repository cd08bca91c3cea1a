import { startRegistry, uniqueSlug, type RegistryUnderTest } from '../tenant-registry.int-kit';

// The settings other services read with meaning are refused when the reader would fail on them (the
// metrics run, the api's currency, tools/deploy's routing), on POST and on the result of a PATCH.
describe('tenant settings on POST and PATCH /v1/tenants (real PostgreSQL, Pub/Sub emulator)', () => {
  let registry: RegistryUnderTest;
  const created: string[] = [];

  const post = async (prefix: string, settings: unknown) => {
    const slug = uniqueSlug(prefix);
    const response = await registry.call('POST', '/v1/tenants', { slug, name: `Tenant ${slug}`, settings });
    if (response.status === 201) created.push(slug);
    return { slug, response };
  };
  const storedSettings = async (slug: string) =>
    (await registry.query<{ settings: Record<string, unknown> }>('SELECT settings FROM tenants WHERE slug = $1', [slug]))[0]?.settings;
  const updateEventsInOutbox = async (slug: string) =>
    (await registry.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox o JOIN tenants t ON t.id::text = o.tenant_id WHERE t.slug = $1 AND o.topic = 'tenant.updated.v1'", [slug]))[0]?.n;
  /** The fields a 400 names (a value can break more than one rule of a field: an empty timezone breaks two). */
  const fieldsOf = (body: { errors?: Array<{ field: string }> }) => [...new Set((body.errors ?? []).map((e) => e.field))].sort();

  /** Each bad value, and the field the 400 must name. */
  const badSettings: Array<[string, Record<string, unknown>, string[]]> = [
    ['a timezone that is no IANA name', { timezone: 'Mars/Olympus' }, ['body.settings.timezone']],
    ['an empty timezone', { timezone: '' }, ['body.settings.timezone']],
    ['a timezone that is not a string', { timezone: -3 }, ['body.settings.timezone']],
    ['a zero churn window', { churnWindowDays: 0 }, ['body.settings.churnWindowDays']],
    ['a fractional churn window', { churnWindowDays: 30.5 }, ['body.settings.churnWindowDays']],
    ['a churn window over ten years', { churnWindowDays: 3651 }, ['body.settings.churnWindowDays']],
    ['a churn window given as text', { churnWindowDays: '90' }, ['body.settings.churnWindowDays']],
    ['excluded statuses that are not a list', { excludedOrderStatuses: 'refunded' }, ['body.settings.excludedOrderStatuses']],
    ['an empty excluded status', { excludedOrderStatuses: ['refunded', ''] }, ['body.settings.excludedOrderStatuses.1']],
    ['more than 100 excluded statuses', { excludedOrderStatuses: Array.from({ length: 101 }, (_, i) => `s${i}`) }, ['body.settings.excludedOrderStatuses']],
    ['a lower-case currency', { currency: 'brl' }, ['body.settings.currency']],
    ['a currency that is no ISO 4217 code', { currency: 'EURO' }, ['body.settings.currency']],
    ['a numeric currency', { currency: 986 }, ['body.settings.currency']],
    ['a dedicated flag that is not a boolean', { dedicated: 'yes' }, ['body.settings.dedicated']],
    ['two bad settings at once', { timezone: 'Mars/Olympus', dedicated: 1 }, ['body.settings.dedicated', 'body.settings.timezone']],
  ];

  const goodSettings = {
    timezone: 'America/Sao_Paulo',
    currency: 'BRL',
    churnWindowDays: 120,
    excludedOrderStatuses: ['canceled', 'Chargeback'],
    dedicated: true,
    // Keys no service reads stay the operator's business, as before.
    branding: { color: 'red' },
  };

  beforeAll(async () => {
    registry = await startRegistry();
  });

  afterAll(async () => {
    for (const slug of created) await registry.call('DELETE', `/v1/tenants/${slug}`);
    await registry?.stop();
  });

  describe('POST /v1/tenants', () => {
    it.each(badSettings)('refuses %s with a 400 naming the field, and registers nothing', async (_case, settings, fields) => {
      const { slug, response } = await post('bad-settings', settings);

      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(response.body).toMatchObject({ status: 400, code: 'validation_failed' });
      expect(fieldsOf(response.body)).toEqual(fields);
      expect(await storedSettings(slug)).toBeUndefined();
    });

    it("refuses a null dedicated flag (tools/deploy refuses the whole tenant list over it) and says why with the metrics' message", async () => {
      expect(fieldsOf((await post('null-flag', { dedicated: null })).response.body)).toEqual(['body.settings.dedicated']);
      const timezone = (await post('mars', { timezone: 'Mars/Olympus' })).response.body.errors[0];
      expect(timezone).toMatchObject({ field: 'body.settings.timezone', message: 'timezone is not an IANA timezone name' });
    });

    it('accepts good settings and keys no service reads, and stores them as given', async () => {
      const { slug, response } = await post('good-settings', goodSettings);

      expect(response.status).toBe(201);
      expect(response.body.tenant.settings).toEqual(goodSettings);
      expect(await storedSettings(slug)).toEqual(goodSettings);
    });

    it('documents the known settings in the OpenAPI document, other keys allowed', async () => {
      const document = (await registry.call('GET', '/openapi.json', undefined, null)).body;
      const settings = document.paths['/v1/tenants'].post.requestBody.content['application/json'].schema.properties.settings;
      expect(Object.keys(settings.properties).sort()).toEqual(['churnWindowDays', 'currency', 'dedicated', 'excludedOrderStatuses', 'timezone']);
      expect(settings.additionalProperties).not.toBe(false);
    });
  });

  describe('PATCH /v1/tenants/{slug}', () => {
    let slug: string;

    beforeAll(async () => {
      const tenant = await post('patch-settings', { timezone: 'Europe/Lisbon', currency: 'EUR', branding: { color: 'blue' } });
      expect(tenant.response.status).toBe(201);
      slug = tenant.slug;
    });

    it.each(badSettings)('refuses %s with a 400 naming the field, and changes nothing', async (_case, settings, fields) => {
      const before = await storedSettings(slug);
      const events = await updateEventsInOutbox(slug);

      const response = await registry.call('PATCH', `/v1/tenants/${slug}`, { settings });

      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(response.body).toMatchObject({ status: 400, code: 'validation_failed' });
      expect(fieldsOf(response.body)).toEqual(fields);
      expect(await storedSettings(slug)).toEqual(before);
      expect(await updateEventsInOutbox(slug)).toBe(events);
    });

    it('validates the merged result: an object merged into a timezone is refused', async () => {
      const response = await registry.call('PATCH', `/v1/tenants/${slug}`, { settings: { timezone: { name: 'UTC' } } });

      expect(response.status).toBe(400);
      expect(fieldsOf(response.body)).toEqual(['body.settings.timezone']);
      expect(await storedSettings(slug)).toMatchObject({ timezone: 'Europe/Lisbon' });
    });

    it('accepts good settings, merged with the others, and null still removes a setting', async () => {
      const { branding: _branding, ...known } = goodSettings;
      const response = await registry.call('PATCH', `/v1/tenants/${slug}`, { settings: { ...known, currency: null } });

      expect(response.status).toBe(200);
      const { currency: _currency, ...expected } = { ...known, branding: { color: 'blue' } };
      expect(response.body.settings).toEqual(expected);
      expect(await storedSettings(slug)).toEqual(expected);
    });

    it('refuses a settings patch while a stored setting is bad, until the patch fixes it; other fields stay changeable', async () => {
      const tenant = await post('legacy-settings', {});
      expect(tenant.response.status).toBe(201);
      // Written before the registry validated settings.
      await registry.query(`UPDATE tenants SET settings = '{"timezone": "Mars/Olympus"}' WHERE slug = $1`, [tenant.slug]);

      const refused = await registry.call('PATCH', `/v1/tenants/${tenant.slug}`, { settings: { currency: 'EUR' } });
      expect(refused.status).toBe(400);
      expect(fieldsOf(refused.body)).toEqual(['body.settings.timezone']);
      expect((await registry.call('PATCH', `/v1/tenants/${tenant.slug}`, { plan: 'growth' })).status).toBe(200);

      const fixed = await registry.call('PATCH', `/v1/tenants/${tenant.slug}`, { settings: { currency: 'EUR', timezone: 'UTC' } });
      expect(fixed.status).toBe(200);
      expect(await storedSettings(tenant.slug)).toEqual({ currency: 'EUR', timezone: 'UTC' });
    });
  });
});
