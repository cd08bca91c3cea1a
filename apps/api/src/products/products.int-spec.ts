import { Client } from 'pg';
import { ApiUnderTest, type SeededTenant } from '../api.int-kit';

// These tests read many pages quickly: rate limiting is not what they check.
const UNLIMITED = { RATE_LIMIT_PLANS: JSON.stringify({ standard: { perSecond: 1_000_000, burst: 1_000_000 } }) };

describe('GET /v1/products and /v1/products/{sku} (real PostgreSQL)', () => {
  let api: ApiUnderTest;
  let tenant: SeededTenant;
  let db: Client;

  const get = (path: string) => api.get(path, { key: tenant.apiKey });

  async function walk(query: Record<string, string>): Promise<string[]> {
    const skus: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 200; page++) {
      const response = await get(`/v1/products?${new URLSearchParams({ ...query, ...(cursor ? { cursor } : {}) }).toString()}`);
      expect(response.status).toBe(200);
      skus.push(...(response.body.items as Array<{ sku: string }>).map((item) => item.sku));
      cursor = response.body.nextCursor as string | null;
      if (!cursor) return skus;
    }
    throw new Error('pagination did not end');
  }

  beforeAll(async () => {
    api = await ApiUnderTest.start(UNLIMITED);
    tenant = await api.seedTenant('products');
    db = new Client({ connectionString: tenant.databaseUrl });
    await db.connect();
    // 40 catalog products (ids 1..40), KPIs for products 1..30 and for 5 SKUs that only appear in orders.
    await db.query(`INSERT INTO products (sku, name, category, price, custom)
      SELECT 'SKU-' || lpad(i::text, 3, '0'), CASE WHEN i % 9 = 0 THEN NULL ELSE 'Product ' || (i % 13) END, 'cat' || (i % 4), i * 1.5, '{"color":"red"}'
      FROM generate_series(1, 40) i`);
    await db.query(`INSERT INTO product_kpis (sku, product_id, first_purchase_at, last_purchase_at, days_since_last_purchase, units, revenue,
        distinct_buyers, repeat_buyer_rate, median_reorder_interval_days, as_of, run_id)
      SELECT sku, id, timestamptz '2025-01-01T00:00:00Z' + id * interval '1 day', timestamptz '2025-12-01T00:00:00Z' + (id % 7) * interval '1 day',
        30 - id % 7, id % 5 * 2.5, (id % 6) * 100.25, id % 8, CASE WHEN id % 3 = 0 THEN NULL ELSE (id % 10) / 10.0 END,
        CASE WHEN id % 2 = 0 THEN NULL ELSE id * 1.75 END, date '2026-01-01', gen_random_uuid()
      FROM products WHERE id <= 30`);
    await db.query(`INSERT INTO product_kpis (sku, units, revenue, distinct_buyers, last_purchase_at, as_of, run_id)
      SELECT 'ORPHAN-' || i, i, i * 10, i, timestamptz '2025-11-01T00:00:00Z', date '2026-01-01', gen_random_uuid() FROM generate_series(1, 5) i`);
  });

  afterAll(async () => {
    await db?.end();
    await api?.stop();
  });

  const FROM = '(SELECT sku FROM products UNION SELECT sku FROM product_kpis) s LEFT JOIN products p USING (sku) LEFT JOIN product_kpis pk USING (sku)';

  it.each([
    [undefined, 's.sku ASC'],
    ['-sku', 's.sku DESC'],
    ['-revenue', 'pk.revenue DESC NULLS LAST, s.sku DESC'],
    ['units,-name', 'pk.units ASC NULLS LAST, p.name DESC NULLS LAST, s.sku DESC'],
    ['-lastPurchaseAt', 'pk.last_purchase_at DESC NULLS LAST, s.sku DESC'],
    ['-repeatBuyerRate,sku', 'pk.repeat_buyer_rate DESC NULLS LAST, s.sku ASC'],
    ['medianReorderIntervalDays', 'pk.median_reorder_interval_days ASC NULLS LAST, s.sku ASC'],
    ['-distinctBuyers', 'pk.distinct_buyers DESC NULLS LAST, s.sku DESC'],
  ])('walks every SKU exactly once in the order of sort=%s', async (sort, orderBy) => {
    const skus = await walk({ limit: '6', ...(sort ? { sort } : {}) });
    const { rows } = await db.query<{ sku: string }>(`SELECT s.sku FROM ${FROM} ORDER BY ${orderBy}`);
    expect(skus).toEqual(rows.map((row) => row.sku));
    expect(skus).toHaveLength(45);
  });

  it('walks past product names of any length and text of control characters: every nextCursor it gives is accepted', async () => {
    // Product names have no length limit (ingestion takes any): the sort compares their first 650
    // characters, then the SKU. A SKU is at most 2600 bytes (ingestion), here all control characters.
    const controlSku = '\u0001'.repeat(2600);
    await db.query(
      `INSERT INTO products (sku, name) VALUES ('LONG-1', repeat('x', 3000)), ('LONG-2', repeat('y', 9000)), ('LONG-3', repeat(chr(1), 3000)),
         ('LONG-4', repeat('😀', 3000)), ('LONG-5', repeat('x', 3000) || 'a'), ('LONG-6', repeat('x', 649) || 'w' || repeat('x', 3000)), ($1, 'Control SKU')`,
      [controlSku],
    );
    try {
      for (const [sort, orderBy] of [
        ['name', 'left(p.name, 650) ASC NULLS LAST, s.sku ASC'],
        ['-name', 'left(p.name, 650) DESC NULLS LAST, s.sku DESC'],
        ['-sku', 's.sku DESC'],
        ['name,-sku', 'left(p.name, 650) ASC NULLS LAST, s.sku DESC'],
      ]) {
        const skus = await walk({ limit: '1', sort: sort as string });
        const { rows } = await db.query<{ sku: string }>(`SELECT s.sku FROM ${FROM} ORDER BY ${orderBy}`);
        expect(skus).toEqual(rows.map((row) => row.sku));
        expect(skus).toHaveLength(52);
      }
    } finally {
      await db.query(`DELETE FROM products WHERE sku LIKE 'LONG-%' OR sku = $1`, [controlSku]);
    }
  });

  it('returns a catalog product with its SKU KPIs', async () => {
    const response = await get('/v1/products/SKU-001');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      currency: 'USD',
      sku: 'SKU-001',
      inCatalog: true,
      name: 'Product 1',
      category: 'cat1',
      price: '1.5000',
      custom: { color: 'red' },
      kpis: {
        asOf: '2026-01-01',
        firstPurchaseAt: '2025-01-02T00:00:00.000Z',
        lastPurchaseAt: '2025-12-02T00:00:00.000Z',
        daysSinceLastPurchase: 29,
        units: '2.5000',
        revenue: '100.2500',
        distinctBuyers: 1,
        repeatBuyerRate: '0.100000',
        medianReorderIntervalDays: '1.75',
      },
    });
  });

  it('returns SKUs seen only in orders, and catalog products without KPIs', async () => {
    expect((await get('/v1/products/ORPHAN-2')).body).toMatchObject({ sku: 'ORPHAN-2', inCatalog: false, name: null, kpis: { units: '2.0000', distinctBuyers: 2 } });
    expect((await get('/v1/products/SKU-040')).body).toMatchObject({ sku: 'SKU-040', inCatalog: true, kpis: null });
  });

  it('answers 404 problem+json for an unknown SKU and 400 for bad list parameters', async () => {
    const missing = await get(`/v1/products/${encodeURIComponent("nope'; DROP TABLE products; --")}`);
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('product.not_found');
    for (const query of ['sort=bogus', 'limit=0', 'color=red', 'cursor=%%%', 'sort=-revenue&cursor=eyJ4IjoxfQ']) {
      const response = await get(`/v1/products?${query}`);
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    expect((await db.query('SELECT count(*)::int AS n FROM products')).rows[0].n).toBe(40);
  });

  it('answers 400 invalid_cursor for a cursor edited to hold a NUL character in its SKU', async () => {
    const cursor = Buffer.from(JSON.stringify({ s: 'sku', v: ['SKU-001'], id: 'SKU-001\u0000' })).toString('base64url');
    const response = await get(`/v1/products?cursor=${cursor}`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ code: 'validation_failed', errors: [{ field: 'query.cursor', code: 'invalid_cursor' }] });
  });

  it('answers 400 naming limit when it is not plain decimal text', async () => {
    for (const limit of ['0x10', '%20%202', '']) {
      const response = await get(`/v1/products?limit=${limit}`);
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(response.body.errors).toEqual([expect.objectContaining({ field: 'query.limit' })]);
    }
  });

  it('documents both routes in /openapi.json', async () => {
    const paths = Object.keys((await api.get('/openapi.json')).body.paths as object);
    expect(paths).toEqual(expect.arrayContaining(['/v1/products', '/v1/products/{sku}']));
  });
});
