import path from 'node:path';
import { computeKpis, type KpiOutputs } from './compute-kpis';
import { createTestWarehouse, readKpiCsv, type TestWarehouse } from './kpi-warehouse.int-kit';

/*
 * Money at the limits of what ingestion accepts (DECIMAL(18,4): up to 99999999999999.9999), in a real
 * DuckDB: a line's quantity * unit_price reaches 10^28 and sums pass 10^14, yet every KPI is computed,
 * exactly, with 4 decimals (6 in the series). Expected values are worked out by hand below.
 *
 * America/New_York (EDT, UTC-4, in June), as of 2026-06-17; the orders of idr, big and max are at 12:00
 * local (16:00Z) on a day of the as-of week, so they are in every revenue window and in June. The
 * average-order-value and repeat-rate customers order in April and May (their ratios only).
 */
const PARAMS = { asOf: '2026-06-17', timezone: 'America/New_York', churnWindowDays: 90, excludedOrderStatuses: ['canceled'] };
const MAX = '99999999999999.9999';

// 640 buyers of SKU RATE on 2026-04-01, the first 41 of them again on 2026-04-02: repeat rate 41 / 640.
const RATE_BUYERS = Array.from({ length: 640 }, (_, index) => `rate-${String(index).padStart(3, '0')}`);
const rateOrders = RATE_BUYERS.flatMap((buyer, index) =>
  (index < 41 ? ['2026-04-01', '2026-04-02'] : ['2026-04-01']).map((day) => ({
    external_id: `o-${buyer}-${day}`, customer_external_id: buyer, ordered_at: `${day}T16:00:00Z`, status: 'paid', total: '1.0000',
  })),
);

const ROWS = {
  customers: ['idr', 'big', 'max', 'aov-3', 'aov-half', ...RATE_BUYERS].map((id) => ({ external_id: id, name: id })),
  orders: [
    { external_id: 'o-idr', customer_external_id: 'idr', ordered_at: '2026-06-10T16:00:00Z', status: 'paid', total: '10000000000.0000' },
    { external_id: 'o-big', customer_external_id: 'big', ordered_at: '2026-06-11T16:00:00Z', status: 'paid', total: '12345678901234.5678' },
    { external_id: 'o-max-1', customer_external_id: 'max', ordered_at: '2026-06-12T16:00:00Z', status: 'paid', total: MAX },
    { external_id: 'o-max-2', customer_external_id: 'max', ordered_at: '2026-06-13T16:00:00Z', status: 'paid', total: MAX },
    // 12345678901234.5678 + 1000 + 1 = 12345678902235.5678 over 3 orders
    { external_id: 'o-aov-1', customer_external_id: 'aov-3', ordered_at: '2026-05-05T16:00:00Z', status: 'paid', total: '12345678901234.5678' },
    { external_id: 'o-aov-2', customer_external_id: 'aov-3', ordered_at: '2026-05-06T16:00:00Z', status: 'paid', total: '1000.0000' },
    { external_id: 'o-aov-3', customer_external_id: 'aov-3', ordered_at: '2026-05-07T16:00:00Z', status: 'paid', total: '1.0000' },
    { external_id: 'o-half-1', customer_external_id: 'aov-half', ordered_at: '2026-05-05T16:00:00Z', status: 'paid', total: '0.0001' },
    { external_id: 'o-half-2', customer_external_id: 'aov-half', ordered_at: '2026-05-06T16:00:00Z', status: 'paid', total: '0.0002' },
    ...rateOrders,
  ],
  order_items: [
    // An IDR tenant's line: 2000 * 5000000.00 = 10^10 (DuckDB's DECIMAL(18,4) * DECIMAL(18,4) is DECIMAL(18,8): at most 10^10 - 10^-8).
    { order_external_id: 'o-idr', line_number: 1, sku: 'IDR-TV', quantity: '2000', unit_price: '5000000.00' },
    { order_external_id: 'o-big', line_number: 1, sku: 'BIG', quantity: '1', unit_price: '12345678901234.5678' },
    // The largest line: (10^14 - 10^-4)^2 = 10^28 - 2 * 10^10 + 10^-8.
    { order_external_id: 'o-max-1', line_number: 1, sku: 'MAX', quantity: MAX, unit_price: MAX },
    // Two lines of 1.5 * 0.0001 = 0.00015 each: exact sum 0.0003 (rounding each line first would give 0.0004).
    { order_external_id: 'o-idr', line_number: 2, sku: 'HALF', quantity: '1.5', unit_price: '0.0001' },
    { order_external_id: 'o-big', line_number: 2, sku: 'HALF', quantity: '1.5', unit_price: '0.0001' },
    ...rateOrders.map((order) => ({ order_external_id: order.external_id, line_number: 1, sku: 'RATE', quantity: '1', unit_price: '1.0000' })),
  ],
  subscriptions: [
    { external_id: 's-max-1', customer_external_id: 'max', mrr: MAX, started_at: '2026-06-01T16:00:00Z', ended_at: null, status: 'active' },
    { external_id: 's-max-2', customer_external_id: 'max', mrr: MAX, started_at: '2026-06-01T16:00:00Z', ended_at: null, status: 'active' },
  ],
};

describe('computeKpis with amounts at the limits of the input type (DuckDB)', () => {
  let testWarehouse: TestWarehouse;
  let outputs: KpiOutputs;

  beforeAll(async () => {
    testWarehouse = await createTestWarehouse('tenant_large_amounts');
    await testWarehouse.load(ROWS);
    outputs = await computeKpis(testWarehouse.warehouse, testWarehouse.tenant, PARAMS, path.join(testWarehouse.dir, 'out'));
  });

  afterAll(async () => {
    await testWarehouse?.dispose();
  });

  it('computes SKU revenue of lines up to 10^28, summing the exact line products and rounding once', async () => {
    const rows = (await readKpiCsv(outputs.productKpis.location)).filter((row) => row.sku !== 'RATE');
    expect(rows.map(({ sku, units, revenue }) => ({ sku, units, revenue }))).toEqual([
      { sku: 'BIG', units: '1.0000', revenue: '12345678901234.5678' },
      { sku: 'HALF', units: '3.0000', revenue: '0.0003' }, // 0.00015 + 0.00015
      { sku: 'IDR-TV', units: '2000.0000', revenue: '10000000000.0000' },
      // 10^28 - 2 * 10^10 + 10^-8 = 9999999999999999980000000000.00000001 -> 4 places
      { sku: 'MAX', units: MAX, revenue: '9999999999999999980000000000.0000' },
    ]);
  });

  it('sums order totals and MRR past 10^14', async () => {
    const rows = (await readKpiCsv(outputs.customerKpis.location)).filter((row) => ['big', 'idr', 'max'].includes(row.customer_external_id ?? ''));
    const money = rows.map(({ customer_external_id, revenue_total, revenue_30d, revenue_90d, revenue_365d, mrr }) => ({
      customer_external_id, revenue_total, revenue_30d, revenue_90d, revenue_365d, mrr,
    }));
    const all = (id: string, revenue: string, mrr: string) => ({
      customer_external_id: id, revenue_total: revenue, revenue_30d: revenue, revenue_90d: revenue, revenue_365d: revenue, mrr,
    });
    expect(money).toEqual([
      all('big', '12345678901234.5678', '0.0000'),
      all('idr', '10000000000.0000', '0.0000'),
      // 2 * 99999999999999.9999, both orders and both subscriptions
      all('max', '199999999999999.9998', '199999999999999.9998'),
    ]);
  });

  it('computes the average order value exactly, rounded half up to 4 places', async () => {
    const aov = new Map((await readKpiCsv(outputs.customerKpis.location)).map((row) => [row.customer_external_id, row.aov]));
    // 12345678902235.5678 / 3 = 4115226300745.189266... (3 * 4115226300745 = 12345678902235, 0.5678 / 3 = 0.18926...)
    expect(aov.get('aov-3')).toBe('4115226300745.1893');
    // (0.0001 + 0.0002) / 2 = 0.00015: half up
    expect(aov.get('aov-half')).toBe('0.0002');
    // 199999999999999.9998 / 2
    expect(aov.get('max')).toBe('99999999999999.9999');
    expect(aov.get('big')).toBe('12345678901234.5678');
    expect(aov.get('idr')).toBe('10000000000.0000');
  });

  it('computes a ratio of counts exactly, rounded half up to 6 places', async () => {
    const rate = (await readKpiCsv(outputs.productKpis.location)).find((row) => row.sku === 'RATE');
    // 41 / 640 = 0.0640625 (640 * 0.0640625 = 41): half up to 0.064063 (in floating point, 0.064062)
    expect(rate).toMatchObject({ distinct_buyers: '640', repeat_buyer_rate: '0.064063' });
  });

  it('sums the series past 10^14', async () => {
    const series = new Map((await readKpiCsv(outputs.metricSeries.location)).map((row) => [`${row.metric}|${row.grain}|${row.period_start}`, row.value]));
    // 10000000000 + 12345678901234.5678 + 2 * 99999999999999.9999 = 12355678901234.5678 + 199999999999999.9998
    expect(series.get('revenue|month|2026-06-01')).toBe('212355678901234.567600');
    expect(series.get('revenue|day|2026-06-12')).toBe('99999999999999.999900');
    expect(series.get('mrr|month|2026-06-01')).toBe('199999999999999.999800');
  });
});
