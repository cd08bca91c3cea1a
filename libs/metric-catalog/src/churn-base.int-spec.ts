import path from 'node:path';
import { computeKpis } from './compute-kpis';
import { createTestWarehouse, readKpiCsv, type TestWarehouse } from './kpi-warehouse.int-kit';

/*
 * The churn-rate base of a period: customers not churned at the end of the day before it, i.e. whose
 * last qualifying order up to that day is at most churnWindowDays days before that day (docs/metrics.md,
 * "Churn"). Window 90, UTC, as of 2025-12-15; expected values worked out by hand:
 *   a: only order 2025-09-01, churns on 09-01 + 91 = 12-01. At the end of 11-30 it is 11-30 - 09-01 = 90
 *      days old (<= 90): in December's base, and December's only churn.
 *   b: only order 2025-08-31, churns on 08-31 + 91 = 11-30: in November's base (61 days old at the end of
 *      10-31), November's churn, not in December's base (91 days old at the end of 11-30).
 */
const PARAMS = { asOf: '2025-12-15', timezone: 'UTC', churnWindowDays: 90, excludedOrderStatuses: [] };

const ROWS = {
  customers: ['a', 'b'].map((id) => ({ external_id: id, name: id })),
  orders: [
    { external_id: 'o-a', customer_external_id: 'a', ordered_at: '2025-09-01T12:00:00Z', status: 'paid', total: '1' },
    { external_id: 'o-b', customer_external_id: 'b', ordered_at: '2025-08-31T12:00:00Z', status: 'paid', total: '1' },
  ],
};

describe('the churn-rate base (DuckDB)', () => {
  let testWarehouse: TestWarehouse;
  let series: Map<string, string | null>;

  beforeAll(async () => {
    testWarehouse = await createTestWarehouse('tenant_churn_base');
    await testWarehouse.load(ROWS);
    const outputs = await computeKpis(testWarehouse.warehouse, testWarehouse.tenant, PARAMS, path.join(testWarehouse.dir, 'out'));
    series = new Map((await readKpiCsv(outputs.metricSeries.location)).map((row) => [`${row.metric}|${row.grain}|${row.period_start}`, row.value]));
  });

  afterAll(async () => {
    await testWarehouse?.dispose();
  });

  it('holds a customer whose last order is exactly churnWindowDays days before the day before the period', () => {
    expect(series.get('churned_customers|month|2025-11-01')).toBe('1.000000'); // b on 11-30
    expect(series.get('churn_rate|month|2025-11-01')).toBe('0.500000'); // b of {a, b}
    expect(series.get('churned_customers|month|2025-12-01')).toBe('1.000000'); // a on 12-01
    expect(series.get('churn_rate|month|2025-12-01')).toBe('1.000000'); // a of {a}
    expect(series.get('churn_rate|day|2025-12-01')).toBe('1.000000'); // a of {a}
    expect(series.get('churn_rate|day|2025-12-02')).toBeNull(); // nobody left
  });
});
