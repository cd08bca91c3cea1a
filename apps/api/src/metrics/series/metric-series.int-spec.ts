import { ApiUnderTest, type SeededTenant } from '../../api.int-kit';

// These tests read many pages quickly: rate limiting is not what they check.
const UNLIMITED = { RATE_LIMIT_PLANS: JSON.stringify({ standard: { perSecond: 1_000_000, burst: 1_000_000 } }) };

describe('GET /v1/metrics/{name} (real PostgreSQL)', () => {
  let api: ApiUnderTest;
  let tenant: SeededTenant;

  const get = (path: string) => api.get(path, { key: tenant.apiKey });

  beforeAll(async () => {
    api = await ApiUnderTest.start(UNLIMITED);
    tenant = await api.seedTenant('series');
    await api.tenantSql(
      tenant,
      `INSERT INTO metric_series (metric, grain, period_start, value, as_of, run_id) VALUES
        ('revenue', 'month', '2025-03-01', 300.5, '2026-01-01', gen_random_uuid()),
        ('revenue', 'month', '2025-01-01', 100, '2026-01-01', gen_random_uuid()),
        ('revenue', 'month', '2025-02-01', 200.123456, '2026-01-01', gen_random_uuid()),
        ('revenue', 'day', '2025-01-01', 7, '2026-01-01', gen_random_uuid()),
        ('churn_rate', 'month', '2025-01-01', NULL, '2026-01-01', gen_random_uuid())`,
    );
  });

  afterAll(async () => {
    await api?.stop();
  });

  it('returns the series of one grain ordered by period, values as exact decimals', async () => {
    const response = await get('/v1/metrics/revenue?grain=month');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      metric: 'revenue',
      grain: 'month',
      from: null,
      to: null,
      points: [
        { periodStart: '2025-01-01', value: '100.000000' },
        { periodStart: '2025-02-01', value: '200.123456' },
        { periodStart: '2025-03-01', value: '300.500000' },
      ],
    });
  });

  it('bounds the periods by from and to, inclusive', async () => {
    const response = await get('/v1/metrics/revenue?grain=month&from=2025-02-01&to=2025-03-01');
    expect((response.body.points as Array<{ periodStart: string }>).map((point) => point.periodStart)).toEqual(['2025-02-01', '2025-03-01']);
    expect((await get('/v1/metrics/revenue?grain=month&from=2025-02-02')).body.points).toEqual([{ periodStart: '2025-03-01', value: '300.500000' }]);
  });

  it('keeps NULL values (a ratio without base) as null', async () => {
    expect((await get('/v1/metrics/churn_rate?grain=month')).body.points).toEqual([{ periodStart: '2025-01-01', value: null }]);
  });

  it('answers 200 with no points for a well-formed name without rows', async () => {
    const response = await get('/v1/metrics/not_computed_yet?grain=week');
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
    ['a malformed name', `/v1/metrics/${encodeURIComponent("Revenue'--")}?grain=day`, 'path.name'],
  ])('answers 400 problem+json for %s', async (_case, path, field) => {
    const response = await get(path);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((response.body.errors as Array<{ field: string }>).map((error) => error.field)).toContain(field);
  });

  it('documents the route in /openapi.json', async () => {
    const paths = (await api.get('/openapi.json')).body.paths as Record<string, { get?: { parameters: Array<{ name: string }> } }>;
    expect(paths['/v1/metrics/{name}']?.get?.parameters.map((parameter) => parameter.name)).toEqual(['name', 'grain', 'from', 'to']);
  });
});
