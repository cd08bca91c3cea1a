import { ApiUnderTest, type SeededTenant } from '../api.int-kit';

// GET /v1/customers range filters on instants (firstOrderAt, lastOrderAt) with a date alone: the day
// starts at local midnight in the tenant's timezone, as every KPI cuts days (docs/metrics.md, "Common
// rules"), not at UTC midnight. Real PostgreSQL, tenants whose `timezone` setting differs.

// Orders around 2026-06-18 in New York (UTC-4 in June).
const ORDERS = {
  'ny-17th-2330': '2026-06-18T03:30:00Z', // 2026-06-17 23:30 in New York
  'utc-midnight': '2026-06-18T00:00:00Z', // 2026-06-17 20:00 in New York
  'ny-18th-0015': '2026-06-18T04:15:00Z', // 2026-06-18 00:15 in New York
  'ny-18th-2359': '2026-06-19T03:59:00Z', // 2026-06-18 23:59 in New York
} as const;

/** A customer named `externalId` whose one order (its first and last) was at `at`, in KPIs as of `asOf`. */
async function seedCustomer(api: ApiUnderTest, tenant: SeededTenant, externalId: string, at: string, asOf: string): Promise<void> {
  await api.tenantSql(
    tenant,
    `WITH c AS (INSERT INTO customers (external_id, name) VALUES ($1, $1) RETURNING id)
     INSERT INTO customer_kpis (customer_id, orders_count, first_order_at, last_order_at, as_of, run_id)
     SELECT id, 1, $2::timestamptz, $2::timestamptz, $3::date, gen_random_uuid() FROM c`,
    [externalId, at, asOf],
  );
}

async function seedOrders(api: ApiUnderTest, tenant: SeededTenant): Promise<void> {
  for (const [externalId, at] of Object.entries(ORDERS)) await seedCustomer(api, tenant, externalId, at, '2026-06-30');
}

describe('GET /v1/customers date filters on instants, in the tenant timezone (real PostgreSQL)', () => {
  let api: ApiUnderTest;
  let newYork: SeededTenant;
  let utc: SeededTenant;
  let santiago: SeededTenant;
  let broken: SeededTenant;
  let azores: SeededTenant;

  const ids = async (tenant: SeededTenant, filters: Record<string, string>) => {
    const response = await api.get(`/v1/customers?${new URLSearchParams({ limit: '500', ...filters }).toString()}`, { key: tenant.apiKey });
    expect(response.status).toBe(200);
    return (response.body.items as Array<{ externalId: string }>).map((item) => item.externalId).sort();
  };

  beforeAll(async () => {
    api = await ApiUnderTest.start();
    newYork = await api.seedTenant('tz-ny', { settings: { timezone: 'America/New_York' } });
    utc = await api.seedTenant('tz-utc');
    santiago = await api.seedTenant('tz-scl', { settings: { timezone: 'America/Santiago' } });
    broken = await api.seedTenant('tz-bad', { settings: { timezone: 'Mars/Olympus_Mons' } });
    await seedOrders(api, newYork);
    await seedOrders(api, utc);
    await seedOrders(api, broken);
    // The Azores move their clocks back from 01:00 (+00:00) to 00:00 (-01:00) on 2024-10-27: local midnight
    // comes at 00:00Z and again at 01:00Z, and the day starts at the first.
    azores = await api.seedTenant('tz-azores', { settings: { timezone: 'Atlantic/Azores' } });
    await seedCustomer(api, azores, 'az-26th-2359', '2024-10-26T23:59:00Z', '2024-10-31');
    await seedCustomer(api, azores, 'az-27th-0030', '2024-10-27T00:30:00Z', '2024-10-31');
    // Santiago moves its clocks from 00:00 to 01:00 on 2026-09-06: that day starts at 01:00 (-03), 04:00Z.
    await seedCustomer(api, santiago, 'scl-5th-2359', '2026-09-06T03:59:00Z', '2026-09-30');
    await seedCustomer(api, santiago, 'scl-6th-0100', '2026-09-06T04:00:00Z', '2026-09-30');
  });

  afterAll(async () => {
    await api?.stop();
  });

  it('starts a date at local midnight for a New York tenant: an order at 23:30 the day before is not on or after it', async () => {
    expect(await ids(newYork, { 'lastOrderAt[gte]': '2026-06-18' })).toEqual(['ny-18th-0015', 'ny-18th-2359']);
    expect(await ids(newYork, { 'lastOrderAt[lt]': '2026-06-18' })).toEqual(['ny-17th-2330', 'utc-midnight']);
    expect(await ids(newYork, { 'lastOrderAt[gt]': '2026-06-18' })).toEqual(['ny-18th-0015', 'ny-18th-2359']);
    expect(await ids(newYork, { 'firstOrderAt[gte]': '2026-06-18', 'firstOrderAt[lt]': '2026-06-19' })).toEqual(['ny-18th-0015', 'ny-18th-2359']);
    expect(await ids(newYork, { 'lastOrderAt[lte]': '2026-06-17' })).toEqual([]);
  });

  it('keeps the exact meaning of an instant with Z or an offset', async () => {
    expect(await ids(newYork, { 'lastOrderAt[gte]': '2026-06-18T00:00:00Z' })).toEqual(['ny-17th-2330', 'ny-18th-0015', 'ny-18th-2359', 'utc-midnight']);
    expect(await ids(newYork, { 'lastOrderAt[gte]': '2026-06-18T00:00-04:00' })).toEqual(['ny-18th-0015', 'ny-18th-2359']);
    expect(await ids(newYork, { 'lastOrderAt[eq]': '2026-06-17T23:30-04:00' })).toEqual(['ny-17th-2330']);
  });

  it('cuts days at UTC midnight for a tenant without a timezone setting (UTC)', async () => {
    expect(await ids(utc, { 'lastOrderAt[gte]': '2026-06-18' })).toEqual(['ny-17th-2330', 'ny-18th-0015', 'ny-18th-2359', 'utc-midnight']);
    expect(await ids(utc, { 'lastOrderAt[gte]': '2026-06-19' })).toEqual(['ny-18th-2359']);
  });

  it('starts a day whose midnight does not exist (a DST change at 00:00) at its first instant', async () => {
    expect(await ids(santiago, { 'lastOrderAt[gte]': '2026-09-06' })).toEqual(['scl-6th-0100']);
    expect(await ids(santiago, { 'lastOrderAt[lt]': '2026-09-06' })).toEqual(['scl-5th-2359']);
  });

  it('starts a day whose midnight comes twice (clocks back across 00:00) at the first one', async () => {
    expect(await ids(azores, { 'lastOrderAt[gte]': '2024-10-27' })).toEqual(['az-27th-0030']);
    expect(await ids(azores, { 'lastOrderAt[lt]': '2024-10-27' })).toEqual(['az-26th-2359']);
  });

  it('takes an alias ICU knows and PostgreSQL no longer does (US/Pacific-New) as its canonical zone', async () => {
    // Los Angeles is UTC-7 in June: 2026-06-18 starts at 07:00Z. Before: PostgreSQL refused the name, a 500.
    const losAngeles = await api.seedTenant('tz-alias', { settings: { timezone: 'US/Pacific-New' } });
    await seedOrders(api, losAngeles);
    expect(await ids(losAngeles, { 'lastOrderAt[gte]': '2026-06-18' })).toEqual(['ny-18th-2359']);
    expect(await ids(losAngeles, { 'lastOrderAt[lt]': '2026-06-18' })).toEqual(['ny-17th-2330', 'ny-18th-0015', 'utc-midnight']);
  });

  it('answers 422 tenant.invalid_timezone for a date when the tenant timezone is not an IANA name, and serves instants', async () => {
    const response = await api.get('/v1/customers?lastOrderAt[gte]=2026-06-18', { key: broken.apiKey });
    expect(response.status).toBe(422);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ code: 'tenant.invalid_timezone', status: 422 });
    expect(String(response.body.detail)).toContain('Mars/Olympus_Mons');
    expect(await ids(broken, { 'lastOrderAt[gte]': '2026-06-18T04:00Z' })).toEqual(['ny-18th-0015', 'ny-18th-2359']);
    expect((await ids(broken, {})).length).toBe(4);
  });

  it('documents the rule in the list route', async () => {
    const paths = (await api.get('/openapi.json')).body.paths as Record<string, { get: { description: string } }>;
    expect(paths['/v1/customers']?.get.description).toMatch(/timezone/);
  });
});
