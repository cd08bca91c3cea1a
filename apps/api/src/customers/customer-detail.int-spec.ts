import { ApiUnderTest, type SeededTenant } from '../api.int-kit';

// GET /v1/customers/{externalId} against real PostgreSQL: the health block with its per-measure
// contributions, seeded the way the metrics write-back leaves them (docs/metrics.md, "Health scores"):
// every run appends one health_scores row per scored customer and replaces customer_kpis, both with
// the run's id.

const OLD_RUN = '00000000-0000-4000-8000-000000000001';
const LIVE_RUN = '00000000-0000-4000-8000-000000000002';

const oldContributions = [
  { measure: 'daysSinceLastOrder', value: 200, weight: 0.5, score: 0, points: 0 },
  { measure: 'revenue90d', value: 100, weight: 0.5, score: 10, points: 10 },
];
const liveContributions = [
  { measure: 'daysSinceLastOrder', value: 45, weight: 0.5, score: 60, points: 30.3 },
  { measure: 'revenue90d', value: 250.5, weight: 0.3, score: 25.05, points: 7.58 },
  { measure: 'orders', value: 4, weight: 0.2, score: 60, points: 12.12 },
  { measure: 'lastNps', value: null, weight: 0, score: null, points: 0 },
];

describe('GET /v1/customers/{externalId} (real PostgreSQL)', () => {
  let api: ApiUnderTest;
  let tenant: SeededTenant;

  const get = (externalId: string, headers: Record<string, string> = {}) => api.get(`/v1/customers/${externalId}`, { key: tenant.apiKey, headers });

  beforeAll(async () => {
    api = await ApiUnderTest.start();
    tenant = await api.seedTenant('detail');
    await api.tenantSql(
      tenant,
      `INSERT INTO customers (external_id, name) VALUES ('two-runs', 'Two runs'), ('never-scored', 'Never scored'), ('unscored-now', 'Unscored now'), ('no-kpis', 'No KPIs');
       INSERT INTO metric_runs (id, status, reason, as_of, requested_at, started_at, finished_at) VALUES
         ('${OLD_RUN}', 'succeeded', 'manual', '2026-11-01', '2026-11-01T06:00Z', '2026-11-01T06:00Z', '2026-11-01T06:01Z'),
         ('${LIVE_RUN}', 'succeeded', 'manual', '2026-11-02', '2026-11-02T06:00Z', '2026-11-02T06:00Z', '2026-11-02T06:01Z')`,
    );
    const history = `INSERT INTO health_scores (customer_id, run_id, score, band, trend, contributions, computed_at)
      SELECT c.id, $1::uuid, $2, $3::health_band, $4::health_trend, $5::jsonb, $6::timestamptz FROM customers c WHERE c.external_id = ANY($7::text[])`;
    // The older run scored two customers; the live one only 'two-runs' ('unscored-now' has no score any more).
    await api.tenantSql(tenant, history, [OLD_RUN, 10, 'red', null, JSON.stringify(oldContributions), '2026-11-01T06:00Z', ['two-runs', 'unscored-now']]);
    await api.tenantSql(tenant, history, [LIVE_RUN, 50, 'yellow', 'improving', JSON.stringify(liveContributions), '2026-11-02T06:00Z', ['two-runs']]);
    await api.tenantSql(
      tenant,
      `INSERT INTO customer_kpis (customer_id, orders_count, health_score, health_band, health_trend, as_of, run_id)
       SELECT c.id, 4, h.score, h.band, h.trend, '2026-11-02', $1::uuid
         FROM customers c LEFT JOIN health_scores h ON h.customer_id = c.id AND h.run_id = $1::uuid
        WHERE c.external_id IN ('two-runs', 'never-scored', 'unscored-now')`,
      [LIVE_RUN],
    );
    // A score whose history row is gone (not something the write-back leaves, but possible after a manual cleanup).
    await api.tenantSql(
      tenant,
      `INSERT INTO customers (external_id, name) VALUES ('no-history', 'No history');
       INSERT INTO customer_kpis (customer_id, health_score, health_band, as_of, run_id)
       SELECT id, 70, 'green', '2026-11-02', '${LIVE_RUN}' FROM customers WHERE external_id = 'no-history'`,
    );
  });

  afterAll(async () => {
    await api?.stop();
  });

  it("shows the score of the run customer_kpis holds with that run's per-measure contributions", async () => {
    const response = await get('two-runs');
    expect(response.status).toBe(200);
    expect(response.body.health).toEqual({ score: 50, band: 'yellow', trend: 'improving', contributions: liveContributions });
    // The points explain the score shown: they add up to it.
    const points = (response.body.health as { contributions: Array<{ points: number }> }).contributions.reduce((sum, c) => sum + c.points * 100, 0);
    expect(Math.round(points) / 100).toBe(50);
  });

  it('answers health null for a customer with KPIs and no score, whatever older runs scored', async () => {
    for (const externalId of ['never-scored', 'unscored-now']) {
      const response = await get(externalId);
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ kpis: { asOf: '2026-11-02', orders: 4 }, health: null });
    }
    expect((await get('no-kpis')).body).toMatchObject({ kpis: null, health: null });
  });

  it('answers contributions null for a score whose history row is missing', async () => {
    expect((await get('no-history')).body.health).toEqual({ score: 70, band: 'green', trend: null, contributions: null });
  });

  it('changes the ETag when the contributions change', async () => {
    const first = await get('two-runs');
    const etag = first.headers.get('etag') as string;
    expect(etag).toMatch(/^W\//);
    expect((await get('two-runs', { 'if-none-match': etag })).status).toBe(304);

    const changed = liveContributions.map((c) => (c.measure === 'orders' ? { ...c, value: 5 } : c));
    await api.tenantSql(tenant, `UPDATE health_scores SET contributions = $1::jsonb WHERE run_id = $2`, [JSON.stringify(changed), LIVE_RUN]);
    const second = await get('two-runs', { 'if-none-match': etag });
    expect(second.status).toBe(200);
    expect(second.headers.get('etag')).not.toBe(etag);
    expect((second.body.health as { contributions: unknown }).contributions).toEqual(changed);
    await api.tenantSql(tenant, `UPDATE health_scores SET contributions = $1::jsonb WHERE run_id = $2`, [JSON.stringify(liveContributions), LIVE_RUN]);
  });

  it('leaves contributions out of list items', async () => {
    const response = await api.get('/v1/customers?healthBand=yellow', { key: tenant.apiKey });
    expect(response.status).toBe(200);
    expect(response.body.items).toEqual([expect.objectContaining({ externalId: 'two-runs', health: { score: 50, band: 'yellow', trend: 'improving' } })]);
  });

  it('documents the contributions, with their fields, in /openapi.json', async () => {
    type Schema = { type?: string; properties?: Record<string, Schema>; anyOf?: Schema[]; items?: Schema; description?: string };
    const paths = (await api.get('/openapi.json')).body.paths as Record<string, { get: { responses: Record<string, { content: { 'application/json': { schema: Schema } } }> } }>;
    // A nullable value is `anyOf: [<the value's schema>, { type: 'null' }]`, described on the outside.
    const nonNull = (schema: Schema | undefined): Schema | undefined => schema?.anyOf?.find((s) => s.type !== 'null') ?? schema;
    const health = nonNull(paths['/v1/customers/{externalId}']?.get.responses['200']?.content['application/json'].schema.properties?.['health']);
    const contributions = health?.properties?.['contributions'];
    expect(contributions?.description).toBeTruthy();
    const fields = nonNull(contributions)?.items?.properties ?? {};
    expect(Object.keys(fields)).toEqual(['measure', 'value', 'weight', 'score', 'points']);
    for (const field of Object.values(fields)) expect(field.description).toBeTruthy();

    const listItem = paths['/v1/customers']?.get.responses['200']?.content['application/json'].schema.properties?.['items']?.items;
    expect(Object.keys(nonNull(listItem?.properties?.['health'])?.properties ?? {})).toEqual(['score', 'band', 'trend']);
  });
});
