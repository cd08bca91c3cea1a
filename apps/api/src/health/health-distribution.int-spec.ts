import { Client } from 'pg';
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

  it('counts bands and deciles in one snapshot while a write-back commits new scores during the read', async () => {
    const tenant = await api.seedTenant('distribution-snapshot');
    await api.tenantSql(tenant, `INSERT INTO customers (external_id) SELECT 'c' || i FROM generate_series(1, 6) i`);
    await api.tenantSql(
      tenant,
      `INSERT INTO customer_kpis (customer_id, health_score, health_band, as_of, run_id)
       SELECT c.id, v.score, v.band::health_band, date '2026-01-01', gen_random_uuid()
       FROM (VALUES ('c1', 10, 'red'), ('c2', 20, 'red'), ('c3', 30, 'red'), ('c4', 50, 'yellow'), ('c5', 80, 'green')) AS v(external_id, score, band)
         JOIN customers c USING (external_id)`,
    );
    // The interleaving is made with locks, not timing. The holder rebuilds customers_pkey and keeps its
    // ACCESS EXCLUSIVE lock: the read has locked customers and customer_kpis (parse analysis) and waits to
    // plan (the planner locks every index of customers). The writer rescores everyone green and asks for
    // customer_kpis exclusively: it queues behind the read. Once the holder lets go, the read's statement
    // runs on the old scores and the writer gets its lock; a second statement of the read would now wait
    // for the writer's commit and count the new scores.
    const holder = new Client({ connectionString: tenant.databaseUrl });
    const writer = new Client({ connectionString: tenant.databaseUrl });
    const observer = new Client({ connectionString: tenant.databaseUrl });
    await Promise.all([holder.connect(), writer.connect(), observer.connect()]);
    try {
      const waitingFor = async (relation: string, pid: number | null, answered: () => boolean): Promise<number | undefined> => {
        for (let polls = 0; polls < 2_000; polls++) {
          const { rows } = await observer.query<{ pid: number }>(`SELECT pid FROM pg_locks WHERE NOT granted AND relation = $1::regclass AND ($2::int IS NULL OR pid = $2)`, [relation, pid]);
          if (rows[0]) return rows[0].pid;
          if (answered()) return undefined;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        throw new Error(`nobody waited for ${relation}`);
      };
      const writerPid = (await writer.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid as number;

      await holder.query('BEGIN');
      await holder.query('REINDEX INDEX customers_pkey');
      let answered = false;
      const answer = api.get('/v1/health/distribution', { key: tenant.apiKey }).finally(() => (answered = true));
      const readerPid = await waitingFor('customers_pkey', null, () => answered);
      expect(readerPid).toEqual(expect.any(Number));

      await writer.query('BEGIN');
      await writer.query(`UPDATE customer_kpis SET health_score = 90, health_band = 'green'`);
      const writerLocked = writer.query('LOCK TABLE customer_kpis IN ACCESS EXCLUSIVE MODE');
      await waitingFor('customer_kpis', writerPid, () => false);
      await holder.query('ROLLBACK');
      await writerLocked;
      await waitingFor('customer_kpis', readerPid as number, () => answered);
      await writer.query('COMMIT');

      const response = await answer;
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        total: 6,
        bands: { red: 3, yellow: 1, green: 1, unscored: 1 },
        deciles: [0, 1, 1, 1, 0, 1, 0, 0, 1, 0].map((count, i) => ({ from: i * 10, to: i === 9 ? 100 : i * 10 + 9, count })),
      });
      // The next read sees the write-back's scores, bands and deciles alike.
      expect((await api.get('/v1/health/distribution', { key: tenant.apiKey })).body).toMatchObject({
        bands: { red: 0, yellow: 0, green: 5, unscored: 1 },
        deciles: expect.arrayContaining([{ from: 90, to: 100, count: 5 }]),
      });
    } finally {
      await Promise.all([holder.end(), writer.end(), observer.end()]);
    }
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
