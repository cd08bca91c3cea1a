import path from 'node:path';
import { computeKpis, type KpiOutputs } from './compute-kpis';
import { InvalidKpiParamsError } from './kpi-params';
import { FIXTURE_PARAMS, FIXTURE_ROWS } from './kpi-fixture.int-kit';
import { createTestWarehouse, readKpiCsv, type TestWarehouse } from './kpi-warehouse.int-kit';

/*
 * Every metric on the hand-built tenant of kpi-fixture.int-kit.ts, in a real DuckDB file through the
 * warehouse adapter. Expected values are worked out by hand below from the fixture (Sao Paulo, UTC-3;
 * as of 2024-03-31; churn window 30 days), never copied from output.
 *
 * Windows (local days): 30d = 2024-03-02..03-31, 90d = 2024-01-02..03-31 (31 + 29 + 31 = 91 days back is
 * 01-01, so 89 back is 01-02), 365d = 2023-04-02..2024-03-31 (2024 is a leap year).
 * Qualifying orders (local day, total): c1 o1 06-15 100, o2 01-20 50, o3 03-31 30 (o4 Canceled: out);
 * c2 o5 02-29 80 (23:30 local, March in UTC), o6 03-31 23:59 20 (o7 is 04-01 00:00 local: after as-of);
 * c3 o9 12-01 40 (o8 refunded: out); c4 o14 02-15 25, o10 03-10 60, o11 03-10 60; c5 o12 02-10 NULL -> 0;
 * c7 only a cancelled order; c0 and c6 none.
 */

type Normalized = Record<string, string | number | boolean | null>;

function normalize(row: Record<string, string | null>, numeric: readonly string[]): Normalized {
  const out: Normalized = {};
  for (const [key, value] of Object.entries(row)) {
    if (value === null) out[key] = null;
    else if (numeric.includes(key)) out[key] = Number(value);
    else if (value === 'true' || value === 'false') out[key] = value === 'true';
    else out[key] = value;
  }
  return out;
}

const CUSTOMER_NUMERIC = [
  'orders_count', 'days_since_last_order', 'revenue_total', 'revenue_30d', 'revenue_90d', 'revenue_365d', 'aov',
  'rfm_recency', 'rfm_frequency', 'rfm_monetary', 'mrr', 'last_nps', 'open_tickets',
];
const PRODUCT_NUMERIC = ['days_since_last_purchase', 'units', 'revenue', 'distinct_buyers', 'repeat_buyer_rate', 'median_reorder_interval_days'];

const noOrders = {
  orders_count: 0, first_order_at: null, last_order_at: null, days_since_last_order: null,
  revenue_total: 0, revenue_30d: 0, revenue_90d: 0, revenue_365d: 0, aov: null,
  rfm_recency: null, rfm_frequency: null, rfm_monetary: null, rfm_segment: null,
};

/*
 * RFM among the 5 customers with orders (n = 5, score = 1 + floor(5 * (rank - 1) / 5) = rank):
 *   R by days since last order DESC: c3 121 (rank 1), c5 50 (2), c4 21 (3), c1 0 and c2 0 (tie: rank 4 both)
 *     days: c3 12-01 -> 03-31 = 30 + 31 + 29 + 31 = 121; c5 02-10 -> 03-31 = 19 + 31 = 50; c4 03-10 -> 03-31 = 21
 *   F by orders ASC: c3 1, c5 1 (rank 1 both), c2 2 (rank 3), c1 3, c4 3 (rank 4 both)
 *   M by revenue ASC: c5 0 (1), c3 40 (2), c2 100 (3), c4 145 (4), c1 180 (5)
 *   FM = (F + M + 1) div 2: c1 (4+5+1)/2 = 5, c2 (3+3+1)/2 = 3, c3 (1+2+1)/2 = 2, c4 (4+4+1)/2 = 4, c5 (1+1+1)/2 = 1
 *   Segments: c1 R4 FM5 Loyal; c2 R4 FM3 Potential Loyalists; c3 R1 FM2 Hibernating; c4 R3 FM4 Loyal;
 *   c5 R2 FM1 Hibernating.
 */
const EXPECTED_CUSTOMERS: Normalized[] = [
  { customer_external_id: 'c0', ...noOrders, mrr: 0, last_nps: null, open_tickets: 0, active_30d: false },
  {
    customer_external_id: 'c1',
    orders_count: 3, // o1, o2, o3 (o4 'Canceled' excluded case-insensitively)
    first_order_at: '2023-06-15T15:00:00.000000Z',
    last_order_at: '2024-03-31T12:00:00.000000Z',
    days_since_last_order: 0,
    revenue_total: 180, // 100 + 50 + 30
    revenue_30d: 30, // o3 only
    revenue_90d: 80, // o2 (01-20) + o3: 50 + 30
    revenue_365d: 180, // o1 (2023-06-15) is after 2023-04-02
    aov: 60, // 180 / 3
    rfm_recency: 4, rfm_frequency: 4, rfm_monetary: 5, rfm_segment: 'Loyal',
    mrr: 150, // s1 (100) ended 02-15, s2 (150) running
    last_nps: 6, // n2 (03-05) after n1 (01-10)
    open_tickets: 1, // t1 open; t2 closed 02-05
    active_30d: true,
  },
  {
    customer_external_id: 'c2',
    orders_count: 2, // o5, o6; o7 after the as-of day
    first_order_at: '2024-03-01T02:30:00.000000Z',
    last_order_at: '2024-04-01T02:59:00.000000Z',
    days_since_last_order: 0, // 23:59 local on 03-31
    revenue_total: 100, // 80 + 20
    revenue_30d: 20, // o5 is local 02-29, before 03-02
    revenue_90d: 100,
    revenue_365d: 100,
    aov: 50,
    rfm_recency: 4, rfm_frequency: 3, rfm_monetary: 3, rfm_segment: 'Potential Loyalists',
    mrr: 0, // s3 ended 03-10 (its status 'active' is stale)
    last_nps: 10, // n4 (score 0) is after the as-of day
    open_tickets: 1, // t3 closes 04-03, after as-of; t4 has status Resolved
    active_30d: true,
  },
  {
    customer_external_id: 'c3',
    orders_count: 1, // o9; o8 refunded
    first_order_at: '2023-12-01T15:00:00.000000Z',
    last_order_at: '2023-12-01T15:00:00.000000Z',
    days_since_last_order: 121,
    revenue_total: 40, revenue_30d: 0, revenue_90d: 0, revenue_365d: 40,
    aov: 40,
    rfm_recency: 1, rfm_frequency: 1, rfm_monetary: 2, rfm_segment: 'Hibernating',
    mrr: 80, // s4 80 running, add-on s5 (20) ended 02-20
    last_nps: 8, // n5 (7) and n6 (8) at the same instant: the higher
    open_tickets: 0, // t5 opened after the as-of day
    active_30d: false, // usage u2 on 03-01 is 31 days back; u3 after as-of
  },
  {
    customer_external_id: 'c4',
    orders_count: 3,
    first_order_at: '2024-02-15T15:00:00.000000Z',
    last_order_at: '2024-03-10T18:00:00.000000Z',
    days_since_last_order: 21,
    revenue_total: 145, // 25 + 60 + 60
    revenue_30d: 120, // o10 + o11
    revenue_90d: 145,
    revenue_365d: 145,
    aov: 48.3333, // 145 / 3 = 48.33333...
    rfm_recency: 3, rfm_frequency: 4, rfm_monetary: 4, rfm_segment: 'Loyal',
    mrr: 50,
    last_nps: 9,
    open_tickets: 0,
    active_30d: true,
  },
  {
    customer_external_id: 'c5',
    orders_count: 1,
    first_order_at: '2024-02-10T15:00:00.000000Z',
    last_order_at: '2024-02-10T15:00:00.000000Z',
    days_since_last_order: 50,
    revenue_total: 0, revenue_30d: 0, revenue_90d: 0, revenue_365d: 0,
    aov: 0, // an order without total: 0 / 1
    rfm_recency: 2, rfm_frequency: 1, rfm_monetary: 1, rfm_segment: 'Hibernating',
    mrr: 0, // s7 starts after the as-of day
    last_nps: null,
    open_tickets: 0,
    active_30d: false,
  },
  // c6: no orders, but a usage event on 03-20; s8 ended 23:00 local on the as-of day
  { customer_external_id: 'c6', ...noOrders, mrr: 0, last_nps: null, open_tickets: 0, active_30d: true },
  // c7: only a cancelled order
  { customer_external_id: 'c7', ...noOrders, mrr: 0, last_nps: null, open_tickets: 0, active_30d: false },
];

/*
 * Per SKU, lines of qualifying orders (o4, o7 out). Purchase days per buyer (local):
 *   A: c1 06-15 (2x10), 01-20 (1x10), 03-31 (3x10); c2 02-29 (1x10), 03-31 (2x10)
 *      intervals c1: 06-15 -> 01-20 = 15 + 31 + 31 + 30 + 31 + 30 + 31 + 20 = 219, 01-20 -> 03-31 = 11 + 29 + 31 = 71;
 *      c2: 02-29 -> 03-31 = 31. Median of {31, 71, 219} = 71.
 *   E: c1 06-15, 01-20, 03-31 (1x5 each): intervals {219, 71}, median (219 + 71) / 2 = 145.
 *   C: c1 01-20 (4x10); c4 03-10 twice (2x15, 2x15): one purchase day each -> no repeat buyer.
 */
const EXPECTED_PRODUCTS: Normalized[] = [
  {
    sku: 'A',
    first_purchase_at: '2023-06-15T15:00:00.000000Z',
    last_purchase_at: '2024-04-01T02:59:00.000000Z', // o6, 23:59 local on 03-31
    days_since_last_purchase: 0,
    units: 9, // 2 + 1 + 3 + 1 + 2
    revenue: 90,
    distinct_buyers: 2,
    repeat_buyer_rate: 1, // both bought on 2+ days
    median_reorder_interval_days: 71,
  },
  {
    sku: 'B',
    first_purchase_at: '2023-06-15T15:00:00.000000Z',
    last_purchase_at: '2024-03-01T02:30:00.000000Z', // o5: local 02-29
    days_since_last_purchase: 31, // 02-29 -> 03-31
    units: 3, // o1, o5, o9
    revenue: 190, // 80 + 70 + 40
    distinct_buyers: 3,
    repeat_buyer_rate: 0,
    median_reorder_interval_days: null,
  },
  {
    sku: 'C',
    first_purchase_at: '2024-01-20T15:00:00.000000Z',
    last_purchase_at: '2024-03-10T18:00:00.000000Z',
    days_since_last_purchase: 21,
    units: 8, // 4 + 2 + 2
    revenue: 100, // 40 + 30 + 30
    distinct_buyers: 2,
    repeat_buyer_rate: 0, // c4's two orders are on the same day
    median_reorder_interval_days: null,
  },
  {
    // sold, but missing from products
    sku: 'D',
    first_purchase_at: '2024-02-10T15:00:00.000000Z',
    last_purchase_at: '2024-02-10T15:00:00.000000Z',
    days_since_last_purchase: 50,
    units: 1,
    revenue: 0,
    distinct_buyers: 1,
    repeat_buyer_rate: 0,
    median_reorder_interval_days: null,
  },
  {
    sku: 'E',
    first_purchase_at: '2023-06-15T15:00:00.000000Z',
    last_purchase_at: '2024-03-31T12:00:00.000000Z',
    days_since_last_purchase: 0,
    units: 3,
    revenue: 15,
    distinct_buyers: 1,
    repeat_buyer_rate: 1,
    median_reorder_interval_days: 145,
  },
  {
    // in products, never sold
    sku: 'Z',
    first_purchase_at: null,
    last_purchase_at: null,
    days_since_last_purchase: null,
    units: 0,
    revenue: 0,
    distinct_buyers: 0,
    repeat_buyer_rate: null,
    median_reorder_interval_days: null,
  },
];

const MONTHS = ['2023-06-01', '2023-07-01', '2023-08-01', '2023-09-01', '2023-10-01', '2023-11-01', '2023-12-01', '2024-01-01', '2024-02-01', '2024-03-01'];

/*
 * Monthly series (value per month from 2023-06 to 2024-03; the first data is o1 on 2023-06-15).
 * Churn window 30: a customer churns on (order day + 31) unless they order again by then.
 *   churn days: c1 06-15 -> 07-16 (next order 01-20), 01-20 -> 02-20 (next 03-31, 71 days later);
 *   c3 12-01 -> 2024-01-01; c5 02-10 -> 03-12; c2 02-29 -> 03-31 (its next order, 03-31, is 31 days
 *   later: it churns and comes back that day); c4 02-15 -> 03-10 is 24 days: no churn.
 *   customers at the start of month M = with an order day in [M - 31 days, M - 1 day]:
 *   07-01: c1; 01-01: c3 (12-01); 02-01: c1 (01-20); 03-01: c2 (02-29), c4 (02-15), c5 (02-10) = 3; else 0.
 * MRR at month end (local days): s1 +100 12-01, -100 02-15; s2 +150 02-15; s3 +200 01-05, -200 03-10;
 *   s4 +80, s5 +20 12-10, s5 -20 02-20; s6 +50 03-05; s8 +40 12-31 (23:00 local), -40 03-31.
 *   Dec 240 (100+80+20+40), Jan 440 (+200), Feb 470 (-100+150-20), Mar 280 (-200+50-40) = customer mrr 150+80+50.
 * NRR/GRR over the cohort with MRR at the month start:
 *   Jan: start 240 (c1 100, c3 100, c6 40), no cohort change -> 1, 1.
 *   Feb: start 440; c1 +50 (expansion), c3 -20 (contraction): NRR 470/440 = 1.0681818, GRR 420/440 = 0.9545454.
 *   Mar: start 470; c2 -200 and c6 -40 churned; c4's +50 is not in the cohort: NRR = GRR = 230/470 = 0.4893617.
 * NPS: Jan n1 9 -> 100; Feb n5 7, n6 8 (passives) -> 0; Mar n2 6, n3 10, n7 9 -> (2 - 1) / 3 = 33.333333.
 */
const EXPECTED_MONTHLY: Record<string, (number | null)[]> = {
  revenue: [100, 0, 0, 0, 0, 0, 40, 50, 105, 170], // Feb 80 + 25 + 0; Mar 30 + 20 + 60 + 60
  orders: [1, 0, 0, 0, 0, 0, 1, 1, 3, 4],
  active_customers: [1, 0, 0, 0, 0, 0, 1, 1, 3, 5], // Mar: c1, c2, c4 orders; c3 usage 03-01, c6 usage 03-20
  new_customers: [1, 0, 0, 0, 0, 0, 1, 0, 3, 0], // Feb: c2, c4, c5
  churned_customers: [0, 1, 0, 0, 0, 0, 0, 1, 1, 2],
  churn_rate: [null, 1, null, null, null, null, null, 1, 1, 0.666667], // Mar 2 / 3
  mrr: [0, 0, 0, 0, 0, 0, 240, 440, 470, 280],
  nrr: [null, null, null, null, null, null, null, 1, 1.068182, 0.489362],
  grr: [null, null, null, null, null, null, null, 1, 0.954545, 0.489362],
  nps: [null, null, null, null, null, null, null, 100, 0, 33.333333],
};

describe('computeKpis on the hand-built tenant (DuckDB)', () => {
  let testWarehouse: TestWarehouse;
  let outputs: KpiOutputs;
  let series: Map<string, number | null>;

  beforeAll(async () => {
    testWarehouse = await createTestWarehouse();
    await testWarehouse.load(FIXTURE_ROWS);
    outputs = await computeKpis(testWarehouse.warehouse, testWarehouse.tenant, FIXTURE_PARAMS, path.join(testWarehouse.dir, 'out'));
    series = new Map(
      (await readKpiCsv(outputs.metricSeries.location)).map((row) => [
        `${row.metric}|${row.grain}|${row.period_start}`,
        row.value === null ? null : Number(row.value),
      ]),
    );
  });

  afterAll(async () => {
    await testWarehouse?.dispose();
  });

  it('computes every customer KPI, one row per customer (also without orders)', async () => {
    const rows = (await readKpiCsv(outputs.customerKpis.location)).map((row) => normalize(row, CUSTOMER_NUMERIC));
    expect(rows).toEqual(EXPECTED_CUSTOMERS);
    expect(outputs.customerKpis.rows).toBe(8);
    expect(outputs.customerKpis.columns).toEqual(Object.keys(EXPECTED_CUSTOMERS[1]));
  });

  it('computes every product KPI, for SKUs sold or listed', async () => {
    const rows = (await readKpiCsv(outputs.productKpis.location)).map((row) => normalize(row, PRODUCT_NUMERIC));
    expect(rows).toEqual(EXPECTED_PRODUCTS);
    expect(outputs.productKpis.rows).toBe(6);
  });

  it('computes the monthly series', () => {
    for (const [metric, values] of Object.entries(EXPECTED_MONTHLY)) {
      const actual = MONTHS.map((month) => series.get(`${metric}|month|${month}`));
      expect({ metric, values: actual }).toEqual({ metric, values });
    }
  });

  it('emits every period of every grain from the first data to the as-of day, for all 10 metrics', () => {
    // days 2023-06-15..2024-03-31: 16 + 31 + 31 + 30 + 31 + 30 + 31 + 31 + 29 + 31 = 291
    // ISO weeks from Monday 2023-06-12 to Monday 2024-03-25: 287 days / 7 + 1 = 42; months: 10
    expect(outputs.metricSeries.rows).toBe((291 + 42 + 10) * 10);
    expect(series.has('revenue|day|2023-06-15')).toBe(true);
    expect(series.has('revenue|day|2023-06-14')).toBe(false);
    expect(series.has('revenue|day|2024-03-31')).toBe(true);
    expect(series.has('revenue|day|2024-04-01')).toBe(false);
    expect(series.has('revenue|week|2023-06-12')).toBe(true); // weeks start on Monday
    expect(series.has('revenue|week|2024-03-25')).toBe(true);
  });

  it('cuts days and weeks in the tenant timezone', () => {
    // o5 at 2024-03-01T02:30Z is 23:30 on 02-29 in Sao Paulo
    expect(series.get('revenue|day|2024-02-29')).toBe(80);
    expect(series.get('new_customers|day|2024-02-29')).toBe(1);
    expect(series.get('revenue|day|2024-03-01')).toBe(0);
    expect(series.get('active_customers|day|2024-03-01')).toBe(1); // c3's usage at 09:00 local
    // week of Monday 02-26: only o5; week of Monday 03-25: o3 (30) + o6 (23:59 local on Sunday 03-31, 20)
    expect(series.get('revenue|week|2024-02-26')).toBe(80);
    expect(series.get('revenue|week|2024-03-25')).toBe(50);
    expect(series.get('orders|day|2024-03-31')).toBe(2);
  });

  it('computes daily churn, MRR and retention', () => {
    // 03-31: c2 churns (02-29 + 31); at the end of 03-30 within the window (order day in 02-29..03-30): c2, c4 -> 1/2
    expect(series.get('churned_customers|day|2024-03-31')).toBe(1);
    expect(series.get('churn_rate|day|2024-03-31')).toBe(0.5);
    // 03-12: c5 churns (02-10 + 31); within the window at the end of 03-11 (02-10..03-11): c2, c4, c5 -> 1/3
    expect(series.get('churn_rate|day|2024-03-12')).toBe(0.333333);
    // MRR on 03-30: 470 - 200 (s3, 03-10) + 50 (s6, 03-05) = 320; on 03-31 s8 (40) ends: 280
    expect(series.get('mrr|day|2024-03-30')).toBe(320);
    expect(series.get('mrr|day|2024-03-31')).toBe(280);
    // 03-10: start 470 + 50 = 520; c2 (200) churns: NRR = GRR = 320 / 520 = 0.6153846
    expect(series.get('nrr|day|2024-03-10')).toBe(0.615385);
    expect(series.get('grr|day|2024-03-10')).toBe(0.615385);
    // 02-15: c1 upgrades 100 -> 150 on the same day (s1 ends, s2 starts): start 440, +50 expansion
    expect(series.get('nrr|day|2024-02-15')).toBe(1.113636); // 490 / 440 = 1.1136363
    expect(series.get('grr|day|2024-02-15')).toBe(1);
  });

  it('reports which metrics each query computed and how long it took', () => {
    expect(outputs.queries.map((query) => query.label)).toEqual(['customer_kpis', 'product_kpis', 'metric_series']);
    expect(outputs.queries[0].metrics).toEqual(expect.arrayContaining(['revenue_30d', 'rfm_segment', 'mrr', 'active_30d']));
    expect(outputs.queries[2].metrics).toEqual(expect.arrayContaining(['nrr', 'grr', 'churn_rate', 'nps']));
    for (const query of outputs.queries) expect(outputs.timings[query.label]).toBeGreaterThanOrEqual(0);
    expect(outputs.timings['customer_kpis.aov']).toBe(outputs.timings.customer_kpis);
  });

  it('counts every status when no status is excluded', async () => {
    const all = await computeKpis(
      testWarehouse.warehouse,
      testWarehouse.tenant,
      { ...FIXTURE_PARAMS, excludedOrderStatuses: [] },
      path.join(testWarehouse.dir, 'out-all-statuses'),
    );
    const customers = new Map((await readKpiCsv(all.customerKpis.location)).map((row) => [row.customer_external_id, row]));
    expect(Number(customers.get('c1')?.orders_count)).toBe(4); // + o4 Canceled
    expect(Number(customers.get('c1')?.revenue_total)).toBe(680); // 180 + 500
    expect(Number(customers.get('c7')?.orders_count)).toBe(1); // o13 cancelled
    expect(Number(customers.get('c2')?.orders_count)).toBe(2); // o7 stays out: after the as-of day
    const products = new Map((await readKpiCsv(all.productKpis.location)).map((row) => [row.sku, row]));
    expect(Number(products.get('A')?.units)).toBe(59); // 9 + 50 from o4
  });

  it('rejects bad params before running anything', async () => {
    await expect(
      computeKpis(testWarehouse.warehouse, testWarehouse.tenant, { ...FIXTURE_PARAMS, timezone: 'Mars/Olympus' }, testWarehouse.dir),
    ).rejects.toThrow(InvalidKpiParamsError);
    await expect(
      computeKpis(testWarehouse.warehouse, testWarehouse.tenant, { ...FIXTURE_PARAMS, asOf: '2024-02-30' }, testWarehouse.dir),
    ).rejects.toThrow(/asOf is not a calendar date/);
  });
});
