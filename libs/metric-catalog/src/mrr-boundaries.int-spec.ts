import path from 'node:path';
import { computeKpis, type KpiOutputs } from './compute-kpis';
import { createTestWarehouse, readKpiCsv, type TestWarehouse } from './kpi-warehouse.int-kit';

/*
 * MRR at the end of a day d counts a subscription when started_at < t and (no ended_at, or ended_at >= t),
 * t = the local midnight after d: its state during the last instant of d. A subscription starting exactly
 * at t starts on d + 1; one ending exactly at t still counts on d (docs/metrics.md, "Common rules").
 *
 * America/New_York (EDT, UTC-4), as of 2026-06-17: the as-of day ends at 2026-06-18T04:00:00Z; 2026-06-10
 * ends at 2026-06-11T04:00:00Z. Expected values worked out by hand below.
 */
const PARAMS = { asOf: '2026-06-17', timezone: 'America/New_York', churnWindowDays: 90, excludedOrderStatuses: [] };
const END_OF_06_10 = '2026-06-11T04:00:00Z';
const END_OF_AS_OF_DAY = '2026-06-18T04:00:00Z';

const subscription = (id: string, customer: string, mrr: string, startedAt: string, endedAt: string | null) => ({
  external_id: id, customer_external_id: customer, mrr, started_at: startedAt, ended_at: endedAt, status: 'active',
});

const ROWS = {
  customers: ['cust-a', 'cust-b', 'cust-e'].map((id) => ({ external_id: id, name: id })),
  subscriptions: [
    subscription('s-a', 'cust-a', '100', END_OF_06_10, null), // starts exactly at the end of 06-10: on 06-11
    subscription('s-b', 'cust-b', '20', '2026-06-01T16:00:00Z', END_OF_06_10), // ends exactly then: still on 06-10
    subscription('s-c', 'cust-a', '1000', END_OF_AS_OF_DAY, null), // starts exactly at the end of the as-of day: not yet
    subscription('s-d', 'cust-b', '3', '2026-06-01T16:00:00Z', END_OF_AS_OF_DAY), // ends exactly then: still on the as-of day
    subscription('s-e', 'cust-e', '5000', '2026-06-18T03:59:59.999999Z', null), // the last microsecond of the as-of day
    subscription('s-x', 'cust-e', '7', '2026-01-15T12:00:00Z', '2025-12-01T12:00:00Z'), // ended before it started: ignored
  ],
};

describe('MRR at the boundary between two local days (DuckDB)', () => {
  let testWarehouse: TestWarehouse;
  let outputs: KpiOutputs;
  let series: Map<string, string | null>;

  beforeAll(async () => {
    testWarehouse = await createTestWarehouse('tenant_mrr_boundaries');
    await testWarehouse.load(ROWS);
    outputs = await computeKpis(testWarehouse.warehouse, testWarehouse.tenant, PARAMS, path.join(testWarehouse.dir, 'out'));
    series = new Map((await readKpiCsv(outputs.metricSeries.location)).map((row) => [`${row.metric}|${row.grain}|${row.period_start}`, row.value]));
  });

  afterAll(async () => {
    await testWarehouse?.dispose();
  });

  it('counts, in customer MRR, a subscription ending exactly at the end of the as-of day, not one starting then', async () => {
    const mrr = new Map((await readKpiCsv(outputs.customerKpis.location)).map((row) => [row.customer_external_id, row.mrr]));
    expect(Object.fromEntries(mrr)).toEqual({
      'cust-a': '100.0000', // s-a; s-c starts at the end of the as-of day
      'cust-b': '3.0000', // s-d ends at the end of the as-of day; s-b ended on 06-11
      'cust-e': '5000.0000',
    });
  });

  it('starts a subscription on the day after a midnight start, and ends it on the day after a midnight end', () => {
    // 06-01: s-b 20 + s-d 3; 06-10: unchanged (s-b ends at its end, s-a starts at its end); 06-11: - 20 + 100
    expect(series.get('mrr|day|2026-06-01')).toBe('23.000000');
    expect(series.get('mrr|day|2026-06-10')).toBe('23.000000');
    expect(series.get('mrr|day|2026-06-11')).toBe('103.000000');
    // 06-17: + s-e 5000 (its last microsecond); s-d still counts, s-c not yet
    expect(series.get('mrr|day|2026-06-16')).toBe('103.000000');
    expect(series.get('mrr|day|2026-06-17')).toBe('5103.000000');
    expect(series.get('mrr|month|2026-06-01')).toBe('5103.000000');
    // 06-11: the cohort at its start (end of 06-10) is cust-b with 23 (cust-a had none: new, not in it); it
    // ends the day at 3: contraction 20, so GRR = NRR = 3 / 23 = 0.1304347...
    expect(series.get('grr|day|2026-06-11')).toBe('0.130435');
    expect(series.get('nrr|day|2026-06-11')).toBe('0.130435');
  });

  it('starts the series with the first valid data: a subscription that ended before it started moves nothing', () => {
    const months = [...series.keys()].filter((key) => key.startsWith('mrr|month|')).sort();
    expect(months).toEqual(['mrr|month|2026-06-01']);
    const days = [...series.keys()].filter((key) => key.startsWith('mrr|day|')).sort();
    expect(days[0]).toBe('mrr|day|2026-06-01');
  });
});
