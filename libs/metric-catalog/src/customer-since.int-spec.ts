import path from 'node:path';
import { computeKpis, type KpiOutputs } from './compute-kpis';
import { createTestWarehouse, readKpiCsv, type TestWarehouse } from './kpi-warehouse.int-kit';

/*
 * A customer whose customer_since is after the as-of day gets no customer KPI row, but the tenant series
 * and the product KPIs count every qualifying order, theirs too (docs/metrics.md, "Common rules").
 * UTC, as of 2026-06-17. Expected values worked out by hand below.
 */
const PARAMS = { asOf: '2026-06-17', timezone: 'UTC', churnWindowDays: 90, excludedOrderStatuses: [] };

const ROWS = {
  customers: [
    { external_id: 'known', name: 'Known', customer_since: '2026-01-01' },
    { external_id: 'no-date', name: 'No date', customer_since: null },
    // Signs its contract after the as-of day, but has an order before it (imported history, a trial).
    { external_id: 'later', name: 'Later', customer_since: '2026-06-18' },
  ],
  orders: [
    { external_id: 'o1', customer_external_id: 'known', ordered_at: '2026-06-10T12:00:00Z', status: 'paid', total: '10' },
    { external_id: 'o2', customer_external_id: 'later', ordered_at: '2026-06-10T13:00:00Z', status: 'paid', total: '5' },
  ],
  order_items: [
    { order_external_id: 'o1', line_number: 1, sku: 'A', quantity: '1', unit_price: '10' },
    { order_external_id: 'o2', line_number: 1, sku: 'A', quantity: '1', unit_price: '5' },
  ],
};

describe('customers with customer_since after the as-of day (DuckDB)', () => {
  let testWarehouse: TestWarehouse;
  let outputs: KpiOutputs;

  beforeAll(async () => {
    testWarehouse = await createTestWarehouse('tenant_customer_since');
    await testWarehouse.load(ROWS);
    outputs = await computeKpis(testWarehouse.warehouse, testWarehouse.tenant, PARAMS, path.join(testWarehouse.dir, 'out'));
  });

  afterAll(async () => {
    await testWarehouse?.dispose();
  });

  it('are left out of the customer KPIs (a customer without customer_since is in)', async () => {
    const rows = await readKpiCsv(outputs.customerKpis.location);
    expect(rows.map((row) => [row.customer_external_id, row.orders_count])).toEqual([
      ['known', '1'],
      ['no-date', '0'],
    ]);
  });

  it('still count in the series and the product KPIs', async () => {
    const series = new Map((await readKpiCsv(outputs.metricSeries.location)).map((row) => [`${row.metric}|${row.grain}|${row.period_start}`, row.value]));
    // o1 (known, 10) + o2 (later, 5) on 06-10
    expect(series.get('revenue|day|2026-06-10')).toBe('15.000000');
    expect(series.get('orders|day|2026-06-10')).toBe('2.000000');
    expect(series.get('active_customers|day|2026-06-10')).toBe('2.000000');
    expect(series.get('new_customers|month|2026-06-01')).toBe('2.000000');
    const [sku] = await readKpiCsv(outputs.productKpis.location);
    expect(sku).toMatchObject({ sku: 'A', units: '2.0000', revenue: '15.0000', distinct_buyers: '2' });
  });
});
