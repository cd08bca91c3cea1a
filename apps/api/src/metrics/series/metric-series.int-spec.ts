import { Client } from 'pg';
import { ApiUnderTest, type SeededTenant } from '../../api.int-kit';
import { seriesValueSql } from './series-value-scale';

// These tests read many pages quickly: rate limiting is not what they check.
const UNLIMITED = { RATE_LIMIT_PLANS: JSON.stringify({ standard: { perSecond: 1_000_000, burst: 1_000_000 } }) };

describe('GET /v1/metrics/{name} (real PostgreSQL)', () => {
  let api: ApiUnderTest;
  let tenant: SeededTenant;
  let db: Client;

  const get = (path: string) => api.get(path, { key: tenant.apiKey });

  beforeAll(async () => {
    api = await ApiUnderTest.start(UNLIMITED);
    tenant = await api.seedTenant('series');
    // Values as the metrics service writes them (metric_series.value is NUMERIC, written with 6 decimals
    // today); none has more decimals than its metric's unit, so the expectations hold whatever the column's scale.
    await api.tenantSql(
      tenant,
      `INSERT INTO metric_series (metric, grain, period_start, value, as_of, run_id) VALUES
        ('revenue', 'month', '2025-03-01', 300.5, '2026-01-01', gen_random_uuid()),
        ('revenue', 'month', '2025-01-01', 100, '2026-01-01', gen_random_uuid()),
        ('revenue', 'month', '2025-02-01', 1001.1234, '2026-01-01', gen_random_uuid()),
        ('revenue', 'day', '2025-01-01', 7, '2026-01-01', gen_random_uuid()),
        ('orders', 'month', '2025-01-01', 2, '2026-01-01', gen_random_uuid()),
        ('orders', 'month', '2025-02-01', 0, '2026-01-01', gen_random_uuid()),
        ('mrr', 'month', '2025-01-01', -0.5, '2026-01-01', gen_random_uuid()),
        ('churn_rate', 'month', '2025-01-01', NULL, '2026-01-01', gen_random_uuid()),
        ('churn_rate', 'month', '2025-02-01', 0.25, '2026-01-01', gen_random_uuid()),
        ('nrr', 'month', '2025-01-01', 1, '2026-01-01', gen_random_uuid()),
        ('nps', 'month', '2025-01-01', -12.5, '2026-01-01', gen_random_uuid()),
        ('legacy_metric', 'month', '2025-01-01', 1.5, '2026-01-01', gen_random_uuid())`,
    );
    db = new Client({ connectionString: tenant.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await api?.stop();
  });

  it('returns the series of one grain ordered by period, money with 4 decimals', async () => {
    const response = await get('/v1/metrics/revenue?grain=month');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      metric: 'revenue',
      grain: 'month',
      from: null,
      to: null,
      currency: 'USD',
      points: [
        { periodStart: '2025-01-01', value: '100.0000' },
        { periodStart: '2025-02-01', value: '1001.1234' },
        { periodStart: '2025-03-01', value: '300.5000' },
      ],
    });
  });

  it("names the currency of money series (the tenant's currency setting), null for the others", async () => {
    expect((await get('/v1/metrics/mrr?grain=month')).body).toMatchObject({ metric: 'mrr', currency: 'USD' });
    for (const metric of ['orders', 'churn_rate', 'nps']) expect((await get(`/v1/metrics/${metric}?grain=month`)).body).toMatchObject({ metric, currency: null });

    const real = await api.seedTenant('series-brl', { settings: { currency: 'BRL' } });
    await api.tenantSql(real, `INSERT INTO metric_series (metric, grain, period_start, value, as_of, run_id) VALUES ('revenue', 'month', '2025-01-01', 10, '2026-01-01', gen_random_uuid())`);
    const response = await api.get('/v1/metrics/revenue?grain=month', { key: real.apiKey });
    expect(response.body).toEqual({ metric: 'revenue', grain: 'month', from: null, to: null, currency: 'BRL', points: [{ periodStart: '2025-01-01', value: '10.0000' }] });
  });

  it('bounds the periods by from and to, inclusive', async () => {
    const response = await get('/v1/metrics/revenue?grain=month&from=2025-02-01&to=2025-03-01');
    expect((response.body.points as Array<{ periodStart: string }>).map((point) => point.periodStart)).toEqual(['2025-02-01', '2025-03-01']);
    expect((await get('/v1/metrics/revenue?grain=month&from=2025-02-02')).body.points).toEqual([{ periodStart: '2025-03-01', value: '300.5000' }]);
  });

  it.each([
    ['orders', 'counts as whole numbers', ['2', '0']],
    ['mrr', 'money with 4 decimals', ['-0.5000']],
    ['churn_rate', 'ratios with 6 decimals', [null, '0.250000']],
    ['nrr', 'ratios with 6 decimals', ['1.000000']],
    ['nps', 'nps with the 6 decimals the catalog writes it with', ['-12.500000']],
  ])('renders %s at the scale of its unit: %s', async (metric, _unit, values) => {
    const response = await get(`/v1/metrics/${metric}?grain=month`);
    expect(response.status).toBe(200);
    expect((response.body.points as Array<{ value: string | null }>).map((point) => point.value)).toEqual(values);
  });

  it.each([
    ['a name the catalog does not know, even with rows stored', '/v1/metrics/legacy_metric?grain=month'],
    ['a well-formed name never computed', '/v1/metrics/not_computed_yet?grain=week'],
    ['an internal series of the catalog', '/v1/metrics/alive_change?grain=day'],
    ['GET on the refresh route', '/v1/metrics/refresh'],
    ['the runs route without an id', '/v1/metrics/runs?grain=day'],
    ['an unknown name with an invalid grain: the name is checked first', '/v1/metrics/runs?grain=year&x=1'],
    ['a malformed name', `/v1/metrics/${encodeURIComponent("Revenue'--")}?grain=day`],
  ])('answers 404 metric.not_found for %s, naming the series metrics there are', async (_case, path) => {
    const response = await get(path);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 404, code: 'metric.not_found' });
    expect(response.body.detail).toContain('revenue, orders, active_customers, new_customers, churned_customers, churn_rate, mrr, nrr, grr, nps');
    expect(response.body.detail).not.toContain('alive_change');
    expect(response.body.errors).toBeUndefined();
  });

  it.each([
    ['2.000000', 0, '2'],
    ['0.000000', 0, '0'],
    ['-3.000000', 0, '-3'],
    ['2.500000', 0, '2.5'],
    ['1001.000000', 4, '1001.0000'],
    ['1001', 4, '1001.0000'],
    ['1001.123456', 4, '1001.123456'],
    ['123456789012345678.000001', 4, '123456789012345678.000001'],
    ['0.1', 6, '0.100000'],
    ['-0.0000001', 6, '-0.0000001'],
  ])('renders %s with scale %i as %s: zeros added or dropped, never a digit', async (stored, scale, rendered) => {
    const { rows } = await db.query<{ value: string }>(`SELECT ${seriesValueSql('$1::numeric', '$2::int')} AS value`, [stored, scale]);
    expect(rows[0]?.value).toBe(rendered);
  });

  it('documents the scale of each metric in /openapi.json', async () => {
    const paths = (await api.get('/openapi.json')).body.paths as Record<string, { get: { description: string; responses: Record<string, unknown> } }>;
    const text = JSON.stringify(paths['/v1/metrics/{name}']?.get);
    expect(text).toContain('revenue, mrr: 4 decimals');
    expect(text).toContain('orders, active_customers, new_customers, churned_customers: whole numbers');
    const schema = (await api.get('/openapi.json')).body.paths as Record<string, { get: { responses: { 200: { content: Record<string, { schema: { properties: Record<string, { description?: string }>; required: string[] } }> } } } }>;
    const series = schema['/v1/metrics/{name}']?.get.responses[200].content['application/json']?.schema;
    expect(series?.required).toContain('currency');
    expect(series?.properties['currency']?.description).toContain('ISO 4217');
  });

  it('keeps NULL values (a ratio without base) as null', async () => {
    expect((await get('/v1/metrics/churn_rate?grain=month&to=2025-01-01')).body.points).toEqual([{ periodStart: '2025-01-01', value: null }]);
  });

  it('answers 200 with no points for a metric of the catalog without rows', async () => {
    const response = await get('/v1/metrics/grr?grain=week');
    expect(response.status).toBe(200);
    expect(response.body.points).toEqual([]);
  });

  it.each([
    ['an unknown grain', '/v1/metrics/revenue?grain=year', 'query.grain'],
    ['a missing grain', '/v1/metrics/revenue', 'query.grain'],
    ['from after to', '/v1/metrics/revenue?grain=day&from=2025-02-01&to=2025-01-01', 'query.from'],
    ['a malformed date', '/v1/metrics/revenue?grain=day&from=2025-13-01', 'query.from'],
    ['year 0000 in from', '/v1/metrics/revenue?grain=day&from=0000-01-01', 'query.from'],
    ['year 0000 in to', '/v1/metrics/revenue?grain=day&to=0000-12-31', 'query.to'],
    ['an unknown parameter', '/v1/metrics/revenue?grain=day&metric=x', 'query.metric'],
  ])('answers 400 problem+json for %s', async (_case, path, field) => {
    const response = await get(path);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((response.body.errors as Array<{ field: string }>).map((error) => error.field)).toContain(field);
  });

  it('documents the route in /openapi.json', async () => {
    const paths = (await api.get('/openapi.json')).body.paths as Record<string, { get?: { parameters: Array<{ name: string }> } }>;
    expect(paths['/v1/metrics/{name}']?.get?.parameters.map((parameter) => parameter.name)).toEqual(['name', 'grain', 'from', 'to']);
    const operation = paths['/v1/metrics/{name}']?.get as { parameters: Array<{ name: string; schema: { enum?: string[] } }>; responses: Record<string, unknown> };
    expect(operation.parameters[0]?.schema.enum).toEqual(['revenue', 'orders', 'active_customers', 'new_customers', 'churned_customers', 'churn_rate', 'mrr', 'nrr', 'grr', 'nps']);
    expect(Object.keys(operation.responses)).toContain('404');
  });
});
