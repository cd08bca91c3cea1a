import path from 'node:path';
import { computeKpis } from './compute-kpis';
import { FIXTURE_PARAMS, FIXTURE_ROWS } from './kpi-fixture.int-kit';
import { createTestWarehouse, readKpiCsv, type TestWarehouse } from './kpi-warehouse.int-kit';

/*
 * Incremental product KPIs: after a small import, a run with productsTouchedSince = the previous run's
 * dataWatermark recomputes only the touched SKUs; upserting them over the previous rows gives exactly
 * what a full run gives.
 */
describe('incremental product KPIs', () => {
  let testWarehouse: TestWarehouse;

  beforeAll(async () => {
    testWarehouse = await createTestWarehouse('tenant_incremental');
    await testWarehouse.load(FIXTURE_ROWS);
  });

  afterAll(async () => {
    await testWarehouse?.dispose();
  });

  it('recomputes only touched SKUs, and the merge equals a full run', async () => {
    const { warehouse, tenant, dir } = testWarehouse;
    const first = await computeKpis(warehouse, tenant, FIXTURE_PARAMS, path.join(dir, 'first'));
    expect(first.productKpisScope).toBe('all');
    expect(first.dataWatermark).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);

    // A small import: a new order (lines of C and a new SKU F), o10 (C) becomes canceled, a new product Y.
    await testWarehouse.load({
      orders: [
        { external_id: 'o30', customer_external_id: 'c5', ordered_at: '2024-03-20T15:00:00Z', status: 'paid', total: '40' },
        { external_id: 'o10', customer_external_id: 'c4', ordered_at: '2024-03-10T15:00:00Z', status: 'canceled', total: '60' },
      ],
      order_items: [
        { order_external_id: 'o30', line_number: 1, sku: 'C', quantity: '1', unit_price: '20' },
        { order_external_id: 'o30', line_number: 2, sku: 'F', quantity: '2', unit_price: '10' },
      ],
      products: [{ sku: 'Y', name: 'Product Y' }],
    });

    const incremental = await computeKpis(warehouse, tenant, FIXTURE_PARAMS, path.join(dir, 'incremental'), {
      productsTouchedSince: first.dataWatermark ?? undefined,
    });
    expect(incremental.productKpisScope).toBe('touched');
    const touched = await readKpiCsv(incremental.productKpis.location);
    expect(touched.map((row) => row.sku)).toEqual(['C', 'F', 'Y']);
    // C now: o2 (c1, 4 x 10), o11 (c4, 2 x 15), o30 (c5, 1 x 20); o10 canceled.
    // units 4 + 2 + 1 = 7, revenue 40 + 30 + 20 = 90, buyers c1, c4, c5 = 3, none on two days.
    const c = touched[0];
    expect([Number(c.units), Number(c.revenue), Number(c.distinct_buyers), Number(c.repeat_buyer_rate)]).toEqual([7, 90, 3, 0]);
    expect(c.last_purchase_at).toBe('2024-03-20T15:00:00.000000Z');

    const full = await computeKpis(warehouse, tenant, FIXTURE_PARAMS, path.join(dir, 'full'));
    const merged = new Map((await readKpiCsv(first.productKpis.location)).map((row) => [row.sku, row]));
    for (const row of touched) merged.set(row.sku, row);
    const mergedRows = [...merged.values()].sort((left, right) => String(left.sku).localeCompare(String(right.sku)));
    expect(mergedRows).toEqual(await readKpiCsv(full.productKpis.location));

    // Nothing loaded since the last run: nothing to recompute.
    const idle = await computeKpis(warehouse, tenant, FIXTURE_PARAMS, path.join(dir, 'idle'), {
      productsTouchedSince: full.dataWatermark ?? undefined,
    });
    expect(idle.productKpis.rows).toBe(0);
  });
});
