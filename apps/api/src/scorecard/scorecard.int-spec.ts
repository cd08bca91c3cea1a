import { DEFAULT_SCORECARD } from '@pulse/contracts';
import { ApiUnderTest, type SeededTenant } from '../api.int-kit';
import { PublishedEvents } from '../published-events.int-kit';

const definition = {
  measures: [
    { metric: 'daysSinceLastOrder', weight: 2, direction: 'lower_is_better', scoring: { type: 'thresholds', red: 120, yellow: 60, green: 14 }, missing: { rule: 'score', score: 0 } },
    { metric: 'lastNps', weight: 1, scoring: { type: 'linear', min: -100, max: 100 } },
    { metric: 'custom.seats', weight: 0, scoring: { type: 'thresholds', red: 1, yellow: 5, green: 20 }, missing: { rule: 'exclude' } },
  ],
  bands: { yellow: 35, green: 75 },
};

describe('GET/PUT /v1/scorecard', () => {
  let events: PublishedEvents;
  let api: ApiUnderTest;
  let tenant: SeededTenant;

  beforeAll(async () => {
    events = await PublishedEvents.start('metrics.refresh-requested.v1');
    api = await ApiUnderTest.start(events.env());
    tenant = await api.seedTenant('scorecard');
  }, 120_000);

  afterAll(async () => {
    await api?.stop();
    await events?.stop();
  });

  it('returns the documented default while none is stored', async () => {
    const response = await api.get('/v1/scorecard', { key: tenant.apiKey });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ version: 0, isDefault: true, ...DEFAULT_SCORECARD, createdAt: null });
  });

  it('changes nothing when the default is put while none is stored: no version, no recompute', async () => {
    const put = await api.request('PUT', '/v1/scorecard', { key: tenant.apiKey, body: DEFAULT_SCORECARD });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ scorecard: { version: 0, isDefault: true, ...DEFAULT_SCORECARD, createdAt: null }, refreshRunId: null });
    expect((await api.get('/v1/scorecard', { key: tenant.apiKey })).body).toMatchObject({ version: 0, isDefault: true });
  });

  it('refuses a measure naming no KPI (a typo), saying which names exist', async () => {
    const typo = { ...definition, measures: [{ ...definition.measures[0], metric: 'revenue9d' }, ...definition.measures.slice(1)] };
    const response = await api.request('PUT', '/v1/scorecard', { key: tenant.apiKey, body: typo });
    expect(response.status).toBe(400);
    expect(response.body['errors']).toEqual([expect.objectContaining({ field: 'body.measures.0.metric', message: expect.stringContaining('"revenue9d" is not a KPI: use one of orders, daysSinceLastOrder') })]);
    expect((await api.get('/v1/scorecard', { key: tenant.apiKey })).body).toMatchObject({ version: 0, isDefault: true });
  });

  it.each([['toString'], ['constructor'], ['valueOf'], ['hasOwnProperty']])('refuses %p, a property every JavaScript object has, as it refuses any name that is no KPI', async (metric) => {
    const body = { ...definition, measures: [{ ...definition.measures[0], metric }, ...definition.measures.slice(1)] };
    const response = await api.request('PUT', '/v1/scorecard', { key: tenant.apiKey, body });
    expect(response.status).toBe(400);
    expect(response.body['code']).toBe('validation_failed');
    expect(response.body['errors']).toEqual([expect.objectContaining({ field: 'body.measures.0.metric', message: expect.stringContaining(`"${metric}" is not a KPI`) })]);
    expect((await api.get('/v1/scorecard', { key: tenant.apiKey })).body).toMatchObject({ version: 0, isDefault: true });
  });

  it('stores a new active version, queues a recompute and publishes it (reason scorecard_changed)', async () => {
    const put = await api.request('PUT', '/v1/scorecard', { key: tenant.apiKey, body: definition });
    expect(put.status).toBe(200);
    const scorecard = put.body['scorecard'] as Record<string, unknown>;
    expect(scorecard).toMatchObject({ version: 1, isDefault: false, bands: { yellow: 35, green: 75 } });
    // Defaults are filled in: direction higher_is_better, missing values excluded.
    expect((scorecard['measures'] as unknown[])[1]).toEqual({ ...definition.measures[1], direction: 'higher_is_better', missing: { rule: 'exclude' } });

    const runId = put.body['refreshRunId'] as string;
    const event = await events.waitFor((e) => e.data['runId'] === runId);
    expect(event.data).toEqual({ runId, reason: 'scorecard_changed' });
    const run = await api.get(`/v1/metrics/runs/${runId}`, { key: tenant.apiKey });
    expect(run.body).toMatchObject({ status: 'queued', reason: 'scorecard_changed' });

    const get = await api.get('/v1/scorecard', { key: tenant.apiKey });
    expect(get.body).toEqual(scorecard);
  });

  it('moves the active flag to each new version; putting the active one again changes nothing', async () => {
    const changed = { ...definition, bands: { yellow: 40, green: 80 } };
    const second = await api.request('PUT', '/v1/scorecard', { key: tenant.apiKey, body: changed });
    expect((second.body['scorecard'] as { version: number }).version).toBe(2);

    const same = await api.request('PUT', '/v1/scorecard', { key: tenant.apiKey, body: changed });
    expect(same.status).toBe(200);
    expect((same.body['scorecard'] as { version: number }).version).toBe(2);
    expect(same.body['refreshRunId']).toBeNull();

    const client = new (await import('pg')).Client({ connectionString: tenant.databaseUrl });
    await client.connect();
    const { rows } = await client.query<{ version: number; active: boolean }>('SELECT version, active FROM scorecards ORDER BY version');
    await client.end();
    expect(rows).toEqual([
      { version: 1, active: false },
      { version: 2, active: true },
    ]);
  });

  it('serialises concurrent updates into consecutive versions with one active', async () => {
    const bodies = [10, 20, 30].map((yellow) => ({ ...definition, bands: { yellow, green: 90 } }));
    const responses = await Promise.all(bodies.map((body) => api.request('PUT', '/v1/scorecard', { key: tenant.apiKey, body })));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    const versions = responses.map((r) => (r.body['scorecard'] as { version: number }).version).sort();
    expect(versions).toEqual([3, 4, 5]);
    const current = await api.get('/v1/scorecard', { key: tenant.apiKey });
    expect(current.body['version']).toBe(5);
  });

  it('refuses an invalid scorecard with an error per field, and stores nothing', async () => {
    const before = await api.get('/v1/scorecard', { key: tenant.apiKey });
    const invalid = {
      measures: [
        { metric: 'revenue90d', weight: -1, scoring: { type: 'thresholds', red: 100, yellow: 50, green: 200 } },
        { metric: 'daysSinceLastOrder', weight: 1, direction: 'lower_is_better', scoring: { type: 'thresholds', red: 10, yellow: 60, green: 5 } },
        { metric: 'orders', weight: 1, scoring: { type: 'linear', min: 5, max: 5 }, missing: { rule: 'score', score: 101 } },
        { metric: 'orders', weight: 1, scoring: { type: 'linear', min: 0, max: 5 } },
        { metric: "x'; DROP TABLE scorecards; --", weight: 1, scoring: { type: 'linear', min: 0, max: 5 } },
      ],
      bands: { yellow: 80, green: 70 },
      extra: true,
    };
    const response = await api.request('PUT', '/v1/scorecard', { key: tenant.apiKey, body: invalid });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.body['code']).toBe('validation_failed');
    const fields = (response.body['errors'] as Array<{ field: string }>).map((error) => error.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'body.extra',
        'body.measures.0.weight',
        'body.measures.0.scoring.yellow',
        'body.measures.1.scoring.yellow',
        'body.measures.2.scoring.max',
        'body.measures.2.missing.score',
        'body.measures.3.metric',
        'body.measures.4.metric',
        'body.bands.green',
      ]),
    );

    const after = await api.get('/v1/scorecard', { key: tenant.apiKey });
    expect(after.body).toEqual(before.body);
  });

  it('refuses weights above 1000 (two of 1e308 summed to infinity and failed every recompute) and thresholds beyond ±1e15, naming each', async () => {
    const before = await api.get('/v1/scorecard', { key: tenant.apiKey });
    const response = await api.request('PUT', '/v1/scorecard', {
      key: tenant.apiKey,
      body: {
        measures: [
          { metric: 'orders', weight: 1e308, scoring: { type: 'thresholds', red: 1, yellow: 3, green: 1e16 } },
          { metric: 'revenue90d', weight: 1e308, scoring: { type: 'linear', min: -1e308, max: 1000 } },
        ],
        bands: { yellow: 40, green: 70 },
      },
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.body['errors']).toEqual([
      expect.objectContaining({ field: 'body.measures.0.weight', message: 'must be at most 1000' }),
      expect.objectContaining({ field: 'body.measures.0.scoring.green', message: 'must be between -1e15 and 1e15' }),
      expect.objectContaining({ field: 'body.measures.1.weight', message: 'must be at most 1000' }),
      expect.objectContaining({ field: 'body.measures.1.scoring.min', message: 'must be between -1e15 and 1e15' }),
    ]);
    expect((await api.get('/v1/scorecard', { key: tenant.apiKey })).body).toEqual(before.body);
  });

  it('refuses a scorecard whose weights are all zero', async () => {
    const response = await api.request('PUT', '/v1/scorecard', {
      key: tenant.apiKey,
      body: { measures: [{ metric: 'orders', weight: 0, scoring: { type: 'linear', min: 0, max: 5 } }], bands: { yellow: 40, green: 70 } },
    });
    expect(response.status).toBe(400);
    expect(response.body['errors']).toEqual([expect.objectContaining({ field: 'body.measures' })]);
  });
});
