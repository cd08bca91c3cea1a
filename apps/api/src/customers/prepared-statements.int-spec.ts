import { ApiUnderTest, type SeededTenant } from '../api.int-kit';

// The list and detail reads are prepared statements, kept on the tenant's connections. A tenant migration
// that changes the type of a column they return (20261127100000 widened the KPI amounts) runs while the
// api serves: PostgreSQL then refuses each such statement ("cached plan must not change result type").

const RUN = '00000000-0000-4000-8000-000000000001';

describe('reads prepared before a tenant migration changed a column type (real PostgreSQL)', () => {
  let api: ApiUnderTest;
  let tenant: SeededTenant;

  beforeAll(async () => {
    // One connection per tenant: every request below runs on the connection the first ones prepared on.
    api = await ApiUnderTest.start({ TENANT_POOL_PER_TENANT: '1' });
    tenant = await api.seedTenant('prepared');
    await api.tenantSql(
      tenant,
      `INSERT INTO customers (external_id, name) VALUES ('c1', 'Ana'), ('c2', 'Bruno');
       INSERT INTO metric_runs (id, status, reason, as_of) VALUES ('${RUN}', 'succeeded', 'manual', '2026-11-02');
       INSERT INTO customer_kpis (customer_id, revenue_90d, as_of, run_id) SELECT id, 100, '2026-11-02', '${RUN}' FROM customers WHERE external_id = 'c1';
       INSERT INTO products (sku, name) VALUES ('SKU-1', 'Widget')`,
    );
  }, 120_000);

  afterAll(async () => {
    await api?.stop();
  });

  it('answers the customer list, a customer and the product list as before, instead of a 500 on every request', async () => {
    const reads = async () => {
      const [list, one, products] = [
        await api.get('/v1/customers?sort=-revenue90d', { key: tenant.apiKey }),
        await api.get('/v1/customers/c1', { key: tenant.apiKey }),
        await api.get('/v1/products', { key: tenant.apiKey }),
      ];
      return {
        statuses: [list.status, one.status, products.status],
        customers: (list.body['items'] as Array<{ externalId: string }> | undefined)?.map((item) => item.externalId),
        name: one.body['name'],
        skus: (products.body['items'] as Array<{ sku: string }> | undefined)?.map((item) => item.sku),
      };
    };
    const before = await reads();
    expect(before).toEqual({ statuses: [200, 200, 200], customers: ['c1', 'c2'], name: 'Ana', skus: ['SKU-1'] });

    await api.tenantSql(tenant, `ALTER TABLE customers ALTER COLUMN name TYPE varchar(500); ALTER TABLE products ALTER COLUMN name TYPE varchar(500)`);

    expect(await reads()).toEqual(before);
    expect(await reads()).toEqual(before);
  });
});
