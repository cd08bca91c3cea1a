import { Client } from 'pg';
import { ApiUnderTest, type SeededTenant } from '../api.int-kit';

// These tests read many pages quickly: rate limiting is not what they check.
const UNLIMITED = { RATE_LIMIT_PLANS: JSON.stringify({ standard: { perSecond: 1_000_000, burst: 1_000_000 } }) };

// GET /v1/customers against real PostgreSQL: every page walk, sort and filter is compared with a plain
// SQL query written here independently of the route's query builder.

const SEED_CUSTOMERS = `
  INSERT INTO customers (external_id, name, segment, custom)
  SELECT 'c' || lpad(i::text, 4, '0'),
    CASE WHEN i % 11 = 0 THEN NULL ELSE 'Name ' || lpad((i % 37)::text, 2, '0') END,
    (ARRAY['smb', 'mid', 'ent'])[1 + i % 3],
    (CASE i % 6
      WHEN 0 THEN '{"plan": "gold", "employees": 120}'
      WHEN 1 THEN '{"plan": "silver", "employees": "45"}'
      WHEN 2 THEN '{"plan": "gold", "employees": "many"}'
      WHEN 3 THEN jsonb_build_object('plan', 'it''s "quoted"', 'employees', i)::text
      WHEN 4 THEN '{"plan": "日本", "employees": null}'
      ELSE '{}' END)::jsonb
  FROM generate_series(1, 150) AS i`;

const SEED_KPIS = `
  INSERT INTO customer_kpis (customer_id, orders_count, last_order_at, days_since_last_order, revenue_90d, aov,
    health_score, health_band, as_of, run_id)
  SELECT id, id % 7,
    CASE WHEN id % 6 = 0 THEN NULL ELSE timestamptz '2026-01-01T00:00:00Z' - (id % 13) * interval '1 day' - (id % 3) * interval '1 hour' END,
    CASE WHEN id % 6 = 0 THEN NULL ELSE id % 13 END,
    (id % 9) * 10.5,
    CASE WHEN id % 4 = 0 THEN NULL ELSE (id % 50) + 0.25 END,
    CASE WHEN id % 8 = 0 THEN NULL ELSE (id * 7) % 101 END,
    CASE WHEN id % 8 = 0 THEN NULL ELSE (CASE WHEN (id * 7) % 101 < 40 THEN 'red' WHEN (id * 7) % 101 < 70 THEN 'yellow' ELSE 'green' END)::health_band END,
    date '2026-01-01', gen_random_uuid()
  FROM customers WHERE id % 10 <> 0`;

describe('GET /v1/customers (real PostgreSQL)', () => {
  let api: ApiUnderTest;
  let tenant: SeededTenant;
  let db: Client;

  const list = (params: Record<string, string>) => api.get(`/v1/customers?${new URLSearchParams(params).toString()}`, { key: tenant.apiKey });

  async function walk(params: Record<string, string>, between?: (page: number) => Promise<void>): Promise<string[]> {
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 500; page++) {
      const response = await list({ ...params, ...(cursor ? { cursor } : {}) });
      expect(response.status).toBe(200);
      const items = response.body.items as Array<{ externalId: string }>;
      seen.push(...items.map((item) => item.externalId));
      cursor = response.body.nextCursor as string | null;
      if (!cursor) return seen;
      await between?.(page);
    }
    throw new Error('pagination did not end');
  }

  async function expected(sql: string, values: unknown[] = []): Promise<string[]> {
    const { rows } = await db.query<{ external_id: string }>(sql, values);
    return rows.map((row) => row.external_id);
  }

  beforeAll(async () => {
    api = await ApiUnderTest.start(UNLIMITED);
    tenant = await api.seedTenant('lists');
    await api.tenantSql(tenant, SEED_CUSTOMERS);
    await api.tenantSql(tenant, SEED_KPIS);
    db = new Client({ connectionString: tenant.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await api?.stop();
  });

  const FROM = 'FROM customers c LEFT JOIN customer_kpis k ON k.customer_id = c.id';

  it.each([
    [undefined, 'c.name ASC NULLS LAST, c.id ASC'],
    ['-name', 'c.name DESC NULLS LAST, c.id DESC'],
    ['-revenue90d,name', 'k.revenue_90d DESC NULLS LAST, c.name ASC NULLS LAST, c.id ASC'],
    ['revenue90d', 'k.revenue_90d ASC NULLS LAST, c.id ASC'],
    ['-healthScore', 'k.health_score DESC NULLS LAST, c.id DESC'],
    ['lastOrderAt', 'k.last_order_at ASC NULLS LAST, c.id ASC'],
    ['-averageOrderValue,-name', 'k.aov DESC NULLS LAST, c.name DESC NULLS LAST, c.id DESC'],
    ['daysSinceLastOrder,-orders', 'k.days_since_last_order ASC NULLS LAST, k.orders_count DESC NULLS LAST, c.id DESC'],
    ['name,-averageOrderValue', 'c.name ASC NULLS LAST, k.aov DESC NULLS LAST, c.id DESC'],
  ])('walks every row exactly once in the order of sort=%s', async (sort, orderBy) => {
    const rows = await walk({ limit: '7', ...(sort ? { sort } : {}) });
    expect(rows).toEqual(await expected(`SELECT c.external_id ${FROM} ORDER BY ${orderBy}`));
    expect(new Set(rows).size).toBe(150);
  });

  it.each([
    [{ healthBand: 'red' }, "k.health_band = 'red'"],
    [{ healthBand: 'red,green' }, "k.health_band IN ('red', 'green')"],
    [{ segment: 'smb' }, "c.segment = 'smb'"],
    [{ 'revenue90d[gte]': '30' }, 'k.revenue_90d >= 30'],
    [{ 'daysSinceLastOrder[gte]': '5', 'revenue90d[lt]': '50' }, 'k.days_since_last_order >= 5 AND k.revenue_90d < 50'],
    [{ 'orders[eq]': '3' }, 'k.orders_count = 3'],
    [{ 'averageOrderValue[lte]': '10.25' }, 'k.aov <= 10.25'],
    [{ 'lastOrderAt[lt]': '2025-12-25T00:00:00Z' }, "k.last_order_at < '2025-12-25T00:00:00Z'"],
    [{ 'custom.plan': 'gold' }, "c.custom ->> 'plan' = 'gold'"],
    [{ 'custom.employees': '120' }, "c.custom -> 'employees' IN ('120'::jsonb, '\"120\"'::jsonb)"],
    [{ 'custom.employees[gt]': '50' }, "c.custom ->> 'employees' ~ '^[0-9]+$' AND (c.custom ->> 'employees')::numeric > 50"],
    [{ 'custom.employees[lte]': '45' }, "c.custom ->> 'employees' ~ '^[0-9]+$' AND (c.custom ->> 'employees')::numeric <= 45"],
    [{ 'custom.plan': 'gold', segment: 'ent', healthBand: 'yellow,green' }, "c.custom ->> 'plan' = 'gold' AND c.segment = 'ent' AND k.health_band IN ('yellow', 'green')"],
  ])('filters %j like the plain SQL', async (params, where) => {
    for (const sort of ['name', '-revenue90d']) {
      const rows = await walk({ limit: '4', sort, ...params });
      const orderBy = sort === 'name' ? 'c.name ASC NULLS LAST, c.id ASC' : 'k.revenue_90d DESC NULLS LAST, c.id DESC';
      const want = await expected(`SELECT c.external_id ${FROM} WHERE ${where} ORDER BY ${orderBy}`);
      expect(want.length).toBeGreaterThan(0);
      expect(rows).toEqual(want);
    }
  });

  it('returns items with KPIs and health, money as decimal strings', async () => {
    const response = await list({ limit: '1', sort: '-revenue90d', 'custom.plan': 'gold' });
    const [item] = response.body.items as Array<Record<string, unknown>>;
    expect(item).toMatchObject({ kpis: { revenue90d: expect.stringMatching(/^\d+\.\d{4}$/) }, custom: { plan: 'gold' } });
    expect(item?.['aliases']).toBeUndefined();
    expect(Object.keys(item ?? {})).toEqual(expect.arrayContaining(['externalId', 'kpis', 'health']));
  });

  it('walks every existing row exactly once while rows are inserted between pages', async () => {
    const before = await expected(`SELECT c.external_id ${FROM} ORDER BY c.id`);
    for (const sort of ['name', '-revenue90d']) {
      let inserted = 0;
      const rows = await walk({ limit: '9', sort }, async (page) => {
        await db.query(
          `WITH n AS (INSERT INTO customers (external_id, name) SELECT 'new-' || $1::text || '-' || $2::int || '-' || i, chr(65 + ((i * 7 + $2::int) % 26)) || ' inserted' FROM generate_series(1, 5) i RETURNING id)
           INSERT INTO customer_kpis (customer_id, revenue_90d, as_of, run_id) SELECT id, ($2::int * 13) % 100, date '2026-01-01', gen_random_uuid() FROM n`,
          [sort, page],
        );
        inserted += 5;
      });
      expect(new Set(rows).size).toBe(rows.length);
      expect(rows.filter((id) => before.includes(id)).sort()).toEqual([...before].sort());
      expect(inserted).toBeGreaterThan(0);
    }
    await db.query(`DELETE FROM customers WHERE external_id LIKE 'new-%'`);
  });

  it('treats hostile custom-field values as data', async () => {
    await db.query(`INSERT INTO customers (external_id, name, custom) VALUES ('hostile', 'Hostile', $1)`, [
      JSON.stringify({ note: `'; DROP TABLE customers; --`, path: '{a,b}', quote: `"}, "plan": "gold` }),
    ]);
    const cases: Array<[Record<string, string>, string[]]> = [
      [{ 'custom.note': `'; DROP TABLE customers; --` }, ['hostile']],
      [{ 'custom.quote': `"}, "plan": "gold` }, ['hostile']],
      [{ 'custom.path': '{a,b}' }, ['hostile']],
      [{ 'custom.plan': `gold' OR '1'='1` }, []],
      [{ 'custom.plan': `{"$ne": null}` }, []],
      [{ 'custom.plan': 'it\'s "quoted"', 'orders[gte]': '0' }, await expected(`SELECT c.external_id ${FROM} WHERE c.custom ->> 'plan' = $1 AND k.orders_count >= 0 ORDER BY c.name, c.id`, [`it's "quoted"`])],
    ];
    for (const [params, want] of cases) {
      const response = await list({ limit: '500', ...params });
      expect(response.status).toBe(200);
      expect((response.body.items as Array<{ externalId: string }>).map((item) => item.externalId)).toEqual(want);
    }
    const japanese = await list({ limit: '500', 'custom.plan': '日本' });
    expect((japanese.body.items as unknown[]).length).toBe(25);
    expect((await db.query('SELECT count(*)::int AS n FROM customers')).rows[0].n).toBe(151);
    await db.query(`DELETE FROM customers WHERE external_id = 'hostile'`);
  });

  it('filters on the longest segment and custom field name ingestion stores (2,600 and 255 characters)', async () => {
    const segment = `Segmento ${'ã'.repeat(2591)}`;
    const field = `n${'x'.repeat(254)}`;
    await db.query(`INSERT INTO customers (external_id, name, segment, custom) VALUES ('long-1', 'Long', $1, $2), ('long-2', 'Longer', 'smb', $2)`, [
      segment,
      JSON.stringify({ [field]: 7 }),
    ]);
    try {
      const bySegment = await list({ segment });
      expect(bySegment.status).toBe(200);
      expect((bySegment.body.items as Array<{ externalId: string }>).map((item) => item.externalId)).toEqual(['long-1']);
      const byField = await list({ [`custom.${field}[gte]`]: '7' });
      expect(byField.status).toBe(200);
      expect((byField.body.items as Array<{ externalId: string }>).map((item) => item.externalId)).toEqual(['long-1', 'long-2']);
    } finally {
      await db.query(`DELETE FROM customers WHERE external_id LIKE 'long-%'`);
    }
  });

  it('walks past the longest name ingestion stores, also one of control characters: every nextCursor it gives is accepted', async () => {
    // 2600 bytes each; in a cursor's JSON each control character took six.
    await db.query(`INSERT INTO customers (external_id, name) VALUES ('long-1', repeat(chr(1), 2600)), ('long-2', repeat('ç', 1300)), ('long-3', repeat('z', 2600))`);
    try {
      for (const sort of ['name', '-name']) {
        const rows = await walk({ limit: '1', sort });
        expect(rows).toEqual(await expected(`SELECT c.external_id ${FROM} ORDER BY c.name ${sort === 'name' ? 'ASC' : 'DESC'} NULLS LAST, c.id ${sort === 'name' ? 'ASC' : 'DESC'}`));
        expect(rows).toHaveLength(153);
      }
    } finally {
      await db.query(`DELETE FROM customers WHERE external_id LIKE 'long-%'`);
    }
  });

  it('matches JSON booleans with custom.<name>=true|false, and the strings "true"/"false" as before', async () => {
    // What the parser stores for a vip column of true/false (or sim/não), next to text a string column kept.
    await db.query(`
      INSERT INTO customers (external_id, name, custom) VALUES
        ('vip-yes', 'Vip 1', '{"vip": true}'), ('vip-no', 'Vip 2', '{"vip": false}'),
        ('vip-text-yes', 'Vip 3', '{"vip": "true"}'), ('vip-text-no', 'Vip 4', '{"vip": "false"}'),
        ('vip-sim', 'Vip 5', '{"vip": "sim"}'), ('vip-one', 'Vip 6', '{"vip": 1}')`);
    try {
      const cases: Array<[Record<string, string>, string[]]> = [
        [{ 'custom.vip': 'true' }, ['vip-yes', 'vip-text-yes']],
        [{ 'custom.vip': 'false' }, ['vip-no', 'vip-text-no']],
        [{ 'custom.vip[eq]': 'true' }, ['vip-yes', 'vip-text-yes']],
        [{ 'custom.vip': 'sim' }, ['vip-sim']],
        [{ 'custom.vip': 'TRUE' }, []],
        [{ 'custom.vip': '1' }, ['vip-one']],
      ];
      for (const [params, want] of cases) {
        const response = await list({ limit: '500', ...params });
        expect(response.status).toBe(200);
        expect([params, (response.body.items as Array<{ externalId: string }>).map((item) => item.externalId)]).toEqual([params, want]);
      }
    } finally {
      await db.query(`DELETE FROM customers WHERE external_id LIKE 'vip-%'`);
    }
  });

  it('matches a numeric custom.<name>=<value> with every numerically equal JSON number, however the value is written', async () => {
    await db.query(`
      INSERT INTO customers (external_id, name, custom) VALUES
        ('num-int', 'Num 1', '{"staff": 50}'), ('num-dec', 'Num 2', '{"staff": 50.00}'), ('num-other', 'Num 3', '{"staff": 51}'),
        ('num-text', 'Num 4', '{"staff": "50"}'), ('num-text-dec', 'Num 5', '{"staff": "50.0"}'), ('num-code', 'Num 6', '{"staff": "050"}'),
        ('num-tiny', 'Num 7', '{"staff": 0.001}'), ('num-neg', 'Num 8', '{"staff": -1200}')`);
    try {
      const cases: Array<[Record<string, string>, string[]]> = [
        [{ 'custom.staff': '50' }, ['num-int', 'num-dec', 'num-text']],
        // The string as written still matches; the number and its shortest written form ("50") too.
        [{ 'custom.staff': '50.0' }, ['num-int', 'num-dec', 'num-text', 'num-text-dec']],
        [{ 'custom.staff': '5e1' }, ['num-int', 'num-dec', 'num-text']],
        [{ 'custom.staff': '5.0E+1' }, ['num-int', 'num-dec', 'num-text']],
        [{ 'custom.staff[eq]': '050' }, ['num-int', 'num-dec', 'num-text', 'num-code']],
        [{ 'custom.staff': '1e-3' }, ['num-tiny']],
        [{ 'custom.staff': '-1.2e3' }, ['num-neg']],
        // Beyond what a range compares (30 digits either side of the point): text only, never an error.
        [{ 'custom.staff': '5e40' }, []],
        [{ 'custom.staff': '.5e2' }, []],
      ];
      for (const [params, want] of cases) {
        const response = await list({ limit: '500', ...params });
        expect(response.status).toBe(200);
        expect([params, (response.body.items as Array<{ externalId: string }>).map((item) => item.externalId)]).toEqual([params, want]);
      }
    } finally {
      await db.query(`DELETE FROM customers WHERE external_id LIKE 'num-%'`);
    }
  });

  it.each([
    ['custom.a->>b', '1'],
    ["custom.a'b", '1'],
    ['custom.pläne', 'x'],
    ['custom.', 'x'],
    ['custom.a.b', 'x'],
    [`custom.${'a'.repeat(256)}`, 'x'],
    ['custom._plan', 'x'],
    ['custom.plan[like]', 'x'],
    ['custom.employees[gt]', '1 OR 1=1'],
    ['custom.employees[gt]', 'abc'],
  ])('refuses the custom filter %s=%s with 400 naming it', async (key, value) => {
    const response = await list({ [key]: value });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ code: 'validation_failed', errors: [expect.objectContaining({ field: `query.${key}` })] });
  });

  it.each([
    ['an unknown parameter', { foo: '1' }, 'query.foo'],
    ['an unknown range field', { 'bogus[gte]': '1' }, 'query.bogus[gte]'],
    ['an unknown sort field', { sort: '-bogus,name' }, 'query.sort'],
    ['a repeated sort field', { sort: 'name,-name' }, 'query.sort'],
    ['a limit of 0', { limit: '0' }, 'query.limit'],
    ['a limit of 501', { limit: '501' }, 'query.limit'],
    ['a non-numeric range value', { 'revenue90d[lt]': 'abc' }, 'query.revenue90d[lt]'],
    ['a non-integer range value', { 'orders[gt]': '1.5' }, 'query.orders[gt]'],
    ['a bad instant', { 'lastOrderAt[gt]': 'yesterday' }, 'query.lastOrderAt[gt]'],
    ['an unknown band', { healthBand: 'red,purple' }, 'query.healthBand'],
    ['a garbage cursor', { cursor: 'not a cursor!' }, 'query.cursor'],
    ['a cursor that is not JSON', { cursor: Buffer.from('{oops').toString('base64url') }, 'query.cursor'],
    ['a forged cursor value', { cursor: Buffer.from(JSON.stringify({ s: 'name', v: ["x'); DROP TABLE customers; --"], id: '1 OR 1=1' })).toString('base64url') }, 'query.cursor'],
    ['a day February does not have', { 'lastOrderAt[gte]': '2026-02-30' }, 'query.lastOrderAt[gte]'],
    ['year 0000', { 'lastOrderAt[gte]': '0000-01-01' }, 'query.lastOrderAt[gte]'],
    ['an offset PostgreSQL does not take', { 'lastOrderAt[gte]': '2026-01-01T00:00+16:00' }, 'query.lastOrderAt[gte]'],
    ['a NUL character in segment', { segment: '\u0000' }, 'query.segment'],
    ['a NUL character in a custom field', { 'custom.plan': '\u0000' }, 'query.custom.plan'],
    ['a hexadecimal limit', { limit: '0x10' }, 'query.limit'],
    ['a limit padded with spaces', { limit: '  2' }, 'query.limit'],
  ])('answers 400 problem+json for %s', async (_case, params, field) => {
    const response = await list(params);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((response.body.errors as Array<{ field: string }>).map((error) => error.field)).toContain(field);
  });

  it('filters on the edge dates and instants PostgreSQL holds', async () => {
    for (const value of ['2024-02-29', '0001-01-01', '9999-12-31T23:59:59.999999Z', '2025-12-30T00:00+15:59', '2025-12-30T00:00-15:59']) {
      const response = await list({ limit: '500', 'lastOrderAt[gte]': value });
      expect(response.status).toBe(200);
      expect((response.body.items as Array<{ externalId: string }>).map((item) => item.externalId).sort()).toEqual(
        (await expected(`SELECT c.external_id ${FROM} WHERE k.last_order_at >= $1::timestamptz`, [value])).sort(),
      );
    }
  });

  const cursorOf = (s: string, v: Array<string | null>, id: string) => Buffer.from(JSON.stringify({ s, v, id })).toString('base64url');

  it.each([
    ['an integer sort value beyond int4', 'orders', cursorOf('orders', ['9999999999'], '1')],
    ['an id beyond int8', 'name', cursorOf('name', ['Name 01'], '9999999999999999999')],
    ['a timestamp in month 13', 'lastOrderAt', cursorOf('lastOrderAt', ['2026-13-01T00:00:00.000000Z'], '1')],
    ['a text value with a NUL character', 'name', cursorOf('name', ['Name\u0000'], '1')],
  ])('answers 400 invalid_cursor for a cursor edited to hold %s', async (_case, sort, cursor) => {
    const response = await list({ sort, cursor });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ code: 'validation_failed', errors: [{ field: 'query.cursor', code: 'invalid_cursor' }] });
  });

  it('names unknown sort fields, and refuses a cursor used with another sort', async () => {
    const unknownSort = await list({ sort: '-bogus,name,whatever' });
    expect(JSON.stringify(unknownSort.body)).toContain('-bogus');
    expect(JSON.stringify(unknownSort.body)).toContain('whatever');
    const first = await list({ limit: '2', sort: '-revenue90d' });
    const reused = await list({ limit: '2', sort: 'name', cursor: first.body.nextCursor as string });
    expect(reused.status).toBe(400);
    expect(reused.body.errors).toEqual([expect.objectContaining({ field: 'query.cursor', code: 'invalid_cursor' })]);
  });

  it('documents the list route with its query parameters', async () => {
    const document = await api.get('/openapi.json');
    const paths = document.body.paths as Record<string, { get: { parameters: Array<{ name: string }> } }>;
    const names = paths['/v1/customers']?.get.parameters.map((parameter) => parameter.name);
    expect(names).toEqual(expect.arrayContaining(['limit', 'cursor', 'sort', 'healthBand', 'segment', 'revenue90d[lt]', 'daysSinceLastOrder[gte]']));
  });
});
