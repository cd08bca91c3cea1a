import { ApiUnderTest, type SeededTenant } from '../api.int-kit';

// These tests read many pages quickly: rate limiting is not what they check.
const UNLIMITED = { RATE_LIMIT_PLANS: JSON.stringify({ standard: { perSecond: 1_000_000, burst: 1_000_000 } }) };

describe('GET /v1/health/distribution (real PostgreSQL)', () => {
  let api: ApiUnderTest;

  afterAll(async () => {
    await api?.stop();
  });

  beforeAll(async () => {
    api = await ApiUnderTest.start(UNLIMITED);
  });

  it('counts customers per band (unscored included) and per score decile', async () => {
    const tenant: SeededTenant = await api.seedTenant('distribution');
    await api.tenantSql(tenant, `INSERT INTO customers (external_id) SELECT 'c' || i FROM generate_series(1, 20) i`);
    // Scores 0, 5, 9, 10, 55, 99, 100 and one KPI row without a score; 12 customers without KPIs.
    await api.tenantSql(
      tenant,
      `INSERT INTO customer_kpis (customer_id, health_score, health_band, as_of, run_id)
       SELECT c.id, v.score, v.band::health_band, date '2026-01-01', gen_random_uuid()
       FROM (VALUES ('c1', 0, 'red'), ('c2', 5, 'red'), ('c3', 9, 'red'), ('c4', 10, 'red'), ('c5', 55, 'yellow'), ('c6', 99, 'green'), ('c7', 100, 'green'), ('c8', NULL, NULL))
         AS v(external_id, score, band) JOIN customers c USING (external_id)`,
    );
    const response = await api.get('/v1/health/distribution', { key: tenant.apiKey });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      total: 20,
      bands: { red: 4, yellow: 1, green: 2, unscored: 13 },
      deciles: [
        { from: 0, to: 9, count: 3 },
        { from: 10, to: 19, count: 1 },
        { from: 20, to: 29, count: 0 },
        { from: 30, to: 39, count: 0 },
        { from: 40, to: 49, count: 0 },
        { from: 50, to: 59, count: 1 },
        { from: 60, to: 69, count: 0 },
        { from: 70, to: 79, count: 0 },
        { from: 80, to: 89, count: 0 },
        { from: 90, to: 100, count: 2 },
      ],
    });
  });

  it('answers zeros for a tenant without customers, and 401 without a key', async () => {
    const empty = await api.seedTenant('empty');
    const response = await api.get('/v1/health/distribution', { key: empty.apiKey });
    expect(response.body).toMatchObject({ total: 0, bands: { red: 0, yellow: 0, green: 0, unscored: 0 } });
    expect((response.body.deciles as Array<{ count: number }>).every((decile) => decile.count === 0)).toBe(true);
    expect((await api.get('/v1/health/distribution')).status).toBe(401);
  });

  it('documents the route in /openapi.json, with how to list the unscored customers', async () => {
    const paths = (await api.get('/openapi.json')).body.paths as Record<string, { get: { description?: string; responses: Record<string, { content?: Record<string, { schema: unknown }> }> } }>;
    const operation = paths['/v1/health/distribution']?.get;
    const unscored = (operation?.responses['200']?.content?.['application/json']?.schema as { properties: { bands: { properties: { unscored: { description: string } } } } }).properties.bands.properties.unscored;
    expect(unscored.description).toContain('no healthBand filter selects them');
    expect(unscored.description).toContain('GET /v1/customers?sort=healthScore');
    expect(operation?.description).toContain('GET /v1/customers?sort=healthScore');
  });

  it('lists unscored customers as documented: no healthBand filter, last when sorted by healthScore', async () => {
    const tenant = await api.seedTenant('distribution-unscored');
    await api.tenantSql(tenant, `INSERT INTO customers (external_id) VALUES ('scored'), ('no-kpis'), ('no-score')`);
    await api.tenantSql(
      tenant,
      `INSERT INTO customer_kpis (customer_id, health_score, health_band, as_of, run_id)
       SELECT c.id, v.score, v.band::health_band, date '2026-01-01', gen_random_uuid()
       FROM (VALUES ('scored', 80, 'green'), ('no-score', NULL, NULL)) AS v(external_id, score, band) JOIN customers c USING (external_id)`,
    );
    expect((await api.get('/v1/health/distribution', { key: tenant.apiKey })).body).toMatchObject({ bands: { green: 1, unscored: 2 } });
    expect((await api.get('/v1/customers?healthBand=unscored', { key: tenant.apiKey })).status).toBe(400);
    for (const sort of ['healthScore', '-healthScore']) {
      const items = (await api.get(`/v1/customers?sort=${sort}`, { key: tenant.apiKey })).body.items as Array<{ externalId: string; health: unknown }>;
      // Scored first, then the unscored (health null) in customer id order.
      expect(items.map((item) => [item.externalId, item.health === null])).toEqual([['scored', false], expect.any(Array), expect.any(Array)]);
      expect(items.slice(1).map((item) => [item.externalId, item.health]).sort()).toEqual([
        ['no-kpis', null],
        ['no-score', null],
      ]);
    }
  });
});
