import { DEFAULT_SCORECARD, scorecardDefinitionSchema } from '@pulse/contracts';
import { healthTrend, healthTrendSql } from '@pulse/health-scoring';
import { createTestDatabase, type TestDatabase } from '@pulse/testing';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Pool, type PoolClient } from 'pg';
import { runFailureOf } from '../runs/run-failure';
import { CUSTOMER_KPI_COLUMNS, METRIC_SERIES_COLUMNS, PRODUCT_KPI_COLUMNS } from './kpi-output-columns';
import { writeBackKpis, type WriteBackInput } from './kpi-write-back';
import { CUSTOMER_HEADER, PRODUCT_HEADER, SERIES_HEADER, writeKpiFile } from './write-back.int-kit';

// The write-back on its own, with KPI files written by hand (as the metric catalog would write them),
// into a real tenant schema.


let database: TestDatabase;
let pool: Pool;
let client: PoolClient;
let dir: string;

beforeAll(async () => {
  database = await createTestDatabase({ prefix: 'metrics_write_back', migrationsDir: path.resolve(__dirname, '../../../../libs/tenancy/prisma/migrations') });
  pool = new Pool({ connectionString: database.url, max: 1 });
  client = await pool.connect();
  dir = await mkdtemp(path.join(os.tmpdir(), 'pulse-write-back-'));
  await client.query(`INSERT INTO customers (external_id, name, custom) VALUES
    ('c1', 'Ana', '{"seats": 25}'), ('c2', 'Bruno', '{"seats": "3"}'), ('c,3', 'Quoted "Co"', '{}'), ('c4', 'Dora', '{"seats": "many"}')`);
  await client.query(`INSERT INTO products (sku, name) VALUES ('SKU-A', 'A')`);
});

afterAll(async () => {
  client?.release();
  await pool?.end();
  await database?.drop();
  await rm(dir, { recursive: true, force: true });
});

async function files(name: string, customers: string[], products: string[] = [], series: string[] = []) {
  const write = (file: string, header: string, lines: string[]) => writeKpiFile(path.join(dir, `${name}-${file}.csv`), header, lines);
  return {
    customerKpis: await write('customers', CUSTOMER_HEADER, customers),
    productKpis: await write('products', PRODUCT_HEADER, products),
    metricSeries: await write('series', SERIES_HEADER, series),
  };
}

async function newRun(asOf: string): Promise<string> {
  const { rows } = await client.query<{ id: string }>(`INSERT INTO metric_runs (status, reason, as_of) VALUES ('running', 'manual', $1) RETURNING id`, [asOf]);
  return (rows[0] as { id: string }).id;
}

/** One write-back in its own transaction, as the run does it. */
async function writeBack(input: WriteBackInput) {
  await client.query('BEGIN');
  try {
    const result = await writeBackKpis(client, input);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

/** The customer list as the api selects it (customers LEFT JOIN customer_kpis). */
async function customerList() {
  const { rows } = await client.query(
    `SELECT c.external_id, k.orders_count, k.days_since_last_order, k.revenue_90d, k.aov, k.rfm_segment, k.active_30d, k.mrr,
            k.health_score, k.health_band, k.health_trend, to_char(k.as_of, 'YYYY-MM-DD') AS as_of
       FROM customers c LEFT JOIN customer_kpis k ON k.customer_id = c.id ORDER BY c.external_id`,
  );
  return rows;
}

describe('writeBackKpis', () => {
  let firstRun: string;

  it('writes customer KPIs with health, product KPIs and series; counts rows for unknown customers', async () => {
    firstRun = await newRun('2026-06-30');
    const outputs = await files(
      'first',
      [
        // days 10 -> 100, revenue 1100 -> 100 (clamped), orders 3 -> 60: 50 + 30 + 12 = 92, green.
        'c1,3,2026-04-15 12:00:00+00,2026-06-20 12:00:00+00,10,1100.0000,600.0000,1100.0000,1100.0000,366.6667,5,4,5,champions,0.0000,9,0,true',
        // days 171 -> 30, revenue 0 -> 0, orders 1 -> 30: 15 + 0 + 6 = 21, red.
        'c2,1,2026-01-10 12:00:00+00,2026-01-10 12:00:00+00,171,50.0000,0.0000,0.0000,50.0000,50.0000,1,1,1,"hibernating, lost",0.0000,,2,false',
        // never ordered: days missing -> 0, revenue 0, orders 0 -> 0: 0, red. NULL KPIs stay NULL, totals 0.
        '"c,3",0,,,,,,,,,,,,,,,,',
        'ghost,2,2026-06-01 12:00:00+00,2026-06-01 12:00:00+00,29,70.0000,0.0000,70.0000,70.0000,35.0000,3,3,3,,0.0000,,0,false',
      ],
      ['SKU-A,2026-01-10 12:00:00+00,2026-06-20 12:00:00+00,10,6.0000,550.0000,2,0.500000,36.50', 'SKU-Z,,,,0,0,0,,'],
      ['revenue,month,2026-06-01,770.000000', 'churn_rate,month,2026-05-01,'],
    );
    const result = await writeBack({ runId: firstRun, asOf: '2026-06-30', ...outputs, scorecard: { version: null, definition: DEFAULT_SCORECARD } });

    expect(result.rowCounts).toEqual({ customer_kpis: 3, product_kpis: 2, metric_series: 2, health_scores: 3, unknown_customers: 1, unscored_customers: 0 });
    expect(result.unknownCustomerSample).toEqual(['ghost']);
    expect(await customerList()).toEqual([
      { external_id: 'c,3', orders_count: 0, days_since_last_order: null, revenue_90d: '0.0000', aov: null, rfm_segment: null, active_30d: false, mrr: '0.0000', health_score: 0, health_band: 'red', health_trend: null, as_of: '2026-06-30' },
      { external_id: 'c1', orders_count: 3, days_since_last_order: 10, revenue_90d: '1100.0000', aov: '366.6667', rfm_segment: 'champions', active_30d: true, mrr: '0.0000', health_score: 92, health_band: 'green', health_trend: null, as_of: '2026-06-30' },
      { external_id: 'c2', orders_count: 1, days_since_last_order: 171, revenue_90d: '0.0000', aov: '50.0000', rfm_segment: 'hibernating, lost', active_30d: false, mrr: '0.0000', health_score: 21, health_band: 'red', health_trend: null, as_of: '2026-06-30' },
      { external_id: 'c4', orders_count: null, days_since_last_order: null, revenue_90d: null, aov: null, rfm_segment: null, active_30d: null, mrr: null, health_score: null, health_band: null, health_trend: null, as_of: null },
    ]);

    const { rows: products } = await client.query(
      `SELECT sku, product_id IS NOT NULL AS known_product, units, revenue, distinct_buyers, repeat_buyer_rate, median_reorder_interval_days, run_id FROM product_kpis ORDER BY sku`,
    );
    expect(products).toEqual([
      { sku: 'SKU-A', known_product: true, units: '6.0000', revenue: '550.0000', distinct_buyers: 2, repeat_buyer_rate: '0.500000', median_reorder_interval_days: '36.50', run_id: firstRun },
      { sku: 'SKU-Z', known_product: false, units: '0.0000', revenue: '0.0000', distinct_buyers: 0, repeat_buyer_rate: null, median_reorder_interval_days: null, run_id: firstRun },
    ]);
    const { rows: series } = await client.query(`SELECT metric, grain, to_char(period_start, 'YYYY-MM-DD') AS period_start, value FROM metric_series ORDER BY metric`);
    expect(series).toEqual([
      { metric: 'churn_rate', grain: 'month', period_start: '2026-05-01', value: null },
      { metric: 'revenue', grain: 'month', period_start: '2026-06-01', value: '770.000000' },
    ]);

    const { rows: history } = await client.query(
      `SELECT c.external_id, h.score, h.band, h.trend, h.scorecard_version, h.contributions FROM health_scores h JOIN customers c ON c.id = h.customer_id WHERE h.run_id = $1 ORDER BY c.external_id`,
      [firstRun],
    );
    expect(history.map((row) => [row.external_id, row.score, row.band, row.trend])).toEqual([
      ['c,3', 0, 'red', null],
      ['c1', 92, 'green', null],
      ['c2', 21, 'red', null],
    ]);
    expect(history[1]?.contributions).toEqual([
      { measure: 'daysSinceLastOrder', value: 10, weight: 0.5, score: 100, points: 50 },
      { measure: 'revenue90d', value: 1100, weight: 0.3, score: 100, points: 30 },
      { measure: 'orders', value: 3, weight: 0.2, score: 60, points: 12 },
    ]);
  });

  it('scores custom fields, keeps the history per run, and gives a trend only against scores of the same scorecard and an earlier day', async () => {
    const secondRun = await newRun('2026-07-31');
    const scorecard = scorecardDefinitionSchema.parse({
      measures: [
        { metric: 'daysSinceLastOrder', weight: 1, direction: 'lower_is_better', scoring: { type: 'linear', min: 0, max: 200 } },
        { metric: 'custom.seats', weight: 1, scoring: { type: 'thresholds', red: 1, yellow: 5, green: 20 } },
      ],
      bands: { yellow: 40, green: 70 },
    });
    const outputs = await files('second', [
      // c1: days 41 -> 79.5; seats 25 -> 100: 89.75 -> 90, green (was 92 with the default scorecard).
      'c1,4,2026-04-15 12:00:00+00,2026-06-20 12:00:00+00,41,1200.0000,0,0,0,300,5,4,5,champions,0,9,0,false',
      // c2: days 100 -> 50; seats "3" -> 30: 40, yellow (was 21: +19 only because the scorecard changed).
      'c2,2,2026-01-10 12:00:00+00,2026-04-22 12:00:00+00,100,80.0000,0,0,0,40,1,1,1,,0,,0,false',
      // c,3: no days, no seats: both excluded -> no score; the trend needs a score: NULL.
      '"c,3",0,,,,,,,,,,,,,,,,',
      // c4: first KPIs; days 200 -> 0, seats "many" is no number -> excluded: 0, red, no previous score.
      'c4,1,2026-01-12 12:00:00+00,2026-01-12 12:00:00+00,200,10,0,0,0,10,1,1,1,,0,,0,false',
    ]);
    const result = await writeBack({ runId: secondRun, asOf: '2026-07-31', ...outputs, scorecard: { version: 3, definition: scorecard } });
    expect(result.rowCounts).toMatchObject({ customer_kpis: 4, health_scores: 3, unknown_customers: 0, unscored_customers: 1, product_kpis: 0, metric_series: 0 });

    expect((await customerList()).map((row) => [row.external_id, row.health_score, row.health_band, row.health_trend, row.as_of])).toEqual([
      ['c,3', null, null, null, '2026-07-31'],
      ['c1', 90, 'green', null, '2026-07-31'],
      ['c2', 40, 'yellow', null, '2026-07-31'],
      ['c4', 0, 'red', null, '2026-07-31'],
    ]);
    const { rows: history } = await client.query(
      `SELECT c.external_id, h.score, h.trend, h.scorecard_version FROM health_scores h JOIN customers c ON c.id = h.customer_id ORDER BY c.external_id, h.computed_at, h.id`,
    );
    expect(history.map((row) => [row.external_id, row.score, row.trend, row.scorecard_version])).toEqual([
      ['c,3', 0, null, null],
      ['c1', 92, null, null],
      ['c1', 90, null, 3],
      ['c2', 21, null, null],
      ['c2', 40, null, 3],
      ['c4', 0, null, 3],
    ]);
    // Product KPIs and series of the first run were replaced by the (empty) sets of the second.
    expect((await client.query('SELECT count(*)::int AS n FROM product_kpis')).rows[0]).toEqual({ n: 0 });

    // The same scorecard on a later day: trends against the second run.
    const sameScorecardLater = await files('third', [
      // c1: as before, 90; was 90: stable.
      'c1,4,2026-04-15 12:00:00+00,2026-06-20 12:00:00+00,41,1200.0000,0,0,0,300,5,4,5,champions,0,9,0,false',
      // c2: days 20 -> 90; seats 30: 60, yellow; was 40: +20, improving.
      'c2,3,2026-01-10 12:00:00+00,2026-07-26 12:00:00+00,20,120.0000,40,40,120,40,4,3,3,,0,,0,false',
      '"c,3",0,,,,,,,,,,,,,,,,',
      // c4: 0 again; was 0: stable.
      'c4,1,2026-01-12 12:00:00+00,2026-01-12 12:00:00+00,200,10,0,0,0,10,1,1,1,,0,,0,false',
    ]);
    await writeBack({ runId: await newRun('2026-08-15'), asOf: '2026-08-15', ...sameScorecardLater, scorecard: { version: 3, definition: scorecard } });
    expect((await customerList()).map((row) => [row.external_id, row.health_score, row.health_trend])).toEqual([
      ['c,3', null, null],
      ['c1', 90, 'stable'],
      ['c2', 60, 'improving'],
      ['c4', 0, 'stable'],
    ]);
    // A run for a past day would compare it with a later one: no trend.
    await writeBack({ runId: await newRun('2026-07-15'), asOf: '2026-07-15', ...sameScorecardLater, scorecard: { version: 3, definition: scorecard } });
    expect((await customerList()).map((row) => [row.external_id, row.health_score, row.health_trend])).toEqual([
      ['c,3', null, null],
      ['c1', 90, null],
      ['c2', 60, null],
      ['c4', 0, null],
    ]);
  });

  it('leaves the previous results in place when the write-back fails half-way (after the customer rows went in)', async () => {
    const before = await client.query('SELECT customer_id, health_score, run_id FROM customer_kpis ORDER BY customer_id');
    const historyBefore = await client.query('SELECT count(*)::int AS n FROM health_scores');
    const failingRun = await newRun('2026-08-31');
    // A grain metric_series cannot hold: fails in its INSERT, the last statement, after the TRUNCATE and
    // the customer and health inserts.
    const outputs = await files('failing', ['c1,1,,,,,,,,,,,,,,,,'], [], ['revenue,quarter,2026-07-01,1']);
    await expect(writeBack({ runId: failingRun, asOf: '2026-08-31', ...outputs, scorecard: { version: null, definition: DEFAULT_SCORECARD } })).rejects.toThrow(
      /invalid input value for enum metric_grain: "quarter"/,
    );
    expect((await client.query('SELECT customer_id, health_score, run_id FROM customer_kpis ORDER BY customer_id')).rows).toEqual(before.rows);
    expect((await client.query('SELECT count(*)::int AS n FROM health_scores')).rows[0]).toEqual(historyBefore.rows[0]);
  });

  it('leaves customer_kpis with exactly the indexes and foreign key it had (they are rebuilt around the insert)', async () => {
    const schema = async () => ({
      indexes: (await client.query(`SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'customer_kpis' ORDER BY indexname`)).rows,
      constraints: (await client.query(`SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'customer_kpis'::regclass ORDER BY conname`)).rows,
    });
    // As the migrations made them: the primary key, twenty-two KPI indexes (eighteen by KPI, four partial
    // ones by band and KPI), the foreign key to customers.
    const before = await schema();
    expect(before.indexes).toHaveLength(23);
    expect(before.indexes.map((row) => row.indexdef)).toContain(
      'CREATE INDEX customer_kpis_band_revenue_90d_idx ON public.customer_kpis USING btree (health_band, revenue_90d, customer_id) WHERE (health_band IS NOT NULL)',
    );
    expect(before.constraints.map((row) => row.def)).toContain('FOREIGN KEY (customer_id) REFERENCES customers(id) ON UPDATE CASCADE ON DELETE CASCADE');
    const outputs = await files('indexes', ['c1,1,,,,,,,,,,,,,,,,']);
    await writeBack({ runId: await newRun('2026-08-31'), asOf: '2026-08-31', ...outputs, scorecard: { version: null, definition: DEFAULT_SCORECARD } });
    expect(await schema()).toEqual(before);
    // The rebuilt foreign key still cascades a customer's erasure.
    await client.query('BEGIN');
    await client.query(`DELETE FROM customers WHERE external_id = 'c1'`);
    expect((await client.query('SELECT count(*)::int AS n FROM customer_kpis')).rows[0]).toEqual({ n: 0 });
    await client.query('ROLLBACK');
  });

  it('upserts an incremental product file over the live product KPIs instead of replacing them', async () => {
    const full = await newRun('2026-09-30');
    await writeBack({
      runId: full,
      asOf: '2026-09-30',
      ...(await files('products-full', ['c1,1,,,,,,,,,,,,,,,,'], ['SKU-A,,,,1,10,1,,', 'SKU-B,,,,2,20,1,,'])),
      scorecard: { version: null, definition: DEFAULT_SCORECARD },
    });
    const touched = await newRun('2026-09-30');
    const result = await writeBack({
      runId: touched,
      asOf: '2026-09-30',
      ...(await files('products-touched', ['c1,2,,,,,,,,,,,,,,,,'], ['SKU-B,,,,5,50,2,,', 'SKU-C,,,,1,7,1,,'])),
      productKpisScope: 'touched',
      scorecard: { version: null, definition: DEFAULT_SCORECARD },
    });
    expect(result.rowCounts.product_kpis).toBe(2);
    const { rows } = await client.query(`SELECT sku, units, revenue, run_id FROM product_kpis ORDER BY sku`);
    expect(rows).toEqual([
      { sku: 'SKU-A', units: '1.0000', revenue: '10.0000', run_id: full },
      { sku: 'SKU-B', units: '5.0000', revenue: '50.0000', run_id: touched },
      { sku: 'SKU-C', units: '1.0000', revenue: '7.0000', run_id: touched },
    ]);
    // Customer KPIs are always replaced in full.
    expect((await client.query(`SELECT orders_count, run_id FROM customer_kpis`)).rows).toEqual([{ orders_count: 2, run_id: touched }]);
  });

  it('stores amounts past 10^14 (sums of valid inputs) exactly, and keyset pages over them', async () => {
    const run = await newRun('2026-10-31');
    const outputs = await files(
      'large-amounts',
      [
        // Two orders of the largest total ingestion accepts (99999999999999.9999) and two subscriptions of the largest MRR.
        'c1,2,2026-10-01 12:00:00+00,2026-10-02 12:00:00+00,29,199999999999999.9998,199999999999999.9998,199999999999999.9998,199999999999999.9998,99999999999999.9999,5,5,5,Champions,199999999999999.9998,,0,true',
        'c2,1,2026-10-01 12:00:00+00,2026-10-01 12:00:00+00,30,10000000000.0000,10000000000.0000,10000000000.0000,10000000000.0000,10000000000.0000,1,1,1,Hibernating,0.0000,,0,true',
      ],
      // The largest line: (10^14 - 10^-4)^2 = 10^28 - 2 * 10^10 + 10^-8, rounded to 4 places.
      ['SKU-A,,,,99999999999999.9999,9999999999999999980000000000.0000,1,,'],
      // 20000 orders of the largest total in one month: 2 * 10^18 - 2.
      ['revenue,month,2026-10-01,1999999999999999998.000000'],
    );
    await writeBack({ runId: run, asOf: '2026-10-31', ...outputs, scorecard: { version: null, definition: DEFAULT_SCORECARD } });

    const { rows: customers } = await client.query(
      `SELECT c.external_id, k.revenue_total, k.revenue_30d, k.revenue_90d, k.revenue_365d, k.aov, k.mrr
         FROM customer_kpis k JOIN customers c ON c.id = k.customer_id ORDER BY c.external_id`,
    );
    expect(customers).toEqual([
      {
        external_id: 'c1', revenue_total: '199999999999999.9998', revenue_30d: '199999999999999.9998', revenue_90d: '199999999999999.9998',
        revenue_365d: '199999999999999.9998', aov: '99999999999999.9999', mrr: '199999999999999.9998',
      },
      {
        external_id: 'c2', revenue_total: '10000000000.0000', revenue_30d: '10000000000.0000', revenue_90d: '10000000000.0000',
        revenue_365d: '10000000000.0000', aov: '10000000000.0000', mrr: '0.0000',
      },
    ]);
    expect((await client.query(`SELECT sku, units, revenue FROM product_kpis`)).rows).toEqual([
      { sku: 'SKU-A', units: '99999999999999.9999', revenue: '9999999999999999980000000000.0000' },
    ]);
    expect((await client.query(`SELECT value FROM metric_series`)).rows).toEqual([{ value: '1999999999999999998.000000' }]);
    // The api's keyset page "after c1, by revenue_90d descending" (its cursor value is a numeric parameter).
    const { rows: page } = await client.query(
      `SELECT c.external_id FROM customer_kpis k JOIN customers c ON c.id = k.customer_id
        WHERE (k.revenue_90d, k.customer_id) < ($1::numeric, (SELECT id FROM customers WHERE external_id = 'c1'))
        ORDER BY k.revenue_90d DESC, k.customer_id DESC`,
      ['199999999999999.9998'],
    );
    expect(page).toEqual([{ external_id: 'c2' }]);
  });

  it('stages every amount with the type of its live column (what stages also fits there)', async () => {
    const live = async (table: string) =>
      new Map(
        (
          await client.query<{ attname: string; type: string }>(
            `SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`,
            [table],
          )
        ).rows.map((row) => [row.attname, row.type]),
      );
    for (const [table, columns] of [
      ['customer_kpis', CUSTOMER_KPI_COLUMNS],
      ['product_kpis', PRODUCT_KPI_COLUMNS],
      ['metric_series', METRIC_SERIES_COLUMNS],
    ] as const) {
      const types = await live(table);
      for (const [column, type] of Object.entries(columns).filter(([, type]) => type.startsWith('numeric'))) {
        expect({ table, column, type: types.get(column) }).toEqual({ table, column, type });
      }
    }
  });

  it('refuses a KPI file with the wrong columns before touching anything, naming them', async () => {
    const run = await newRun('2026-08-31');
    const outputs = await files('bad-header', ['c1,1,,,,,,,,,,,,,,,,']);
    await writeFile(outputs.productKpis.location, 'sku,units,revenue,colour\nSKU-A,1,1,red\n');
    await expect(writeBack({ runId: run, asOf: '2026-08-31', ...outputs, scorecard: { version: null, definition: DEFAULT_SCORECARD } })).rejects.toThrow(
      /has the wrong columns: missing first_purchase_at, last_purchase_at, days_since_last_purchase, distinct_buyers, repeat_buyer_rate, median_reorder_interval_days; unexpected colour/,
    );
  });

  it('fails on a malformed KPI value naming the file, column and value', async () => {
    const run = await newRun('2026-08-31');
    const outputs = await files('bad-value', ['c1,many,,,,,,,,,,,,,,,,']);
    const failed = writeBack({ runId: run, asOf: '2026-08-31', ...outputs, scorecard: { version: null, definition: DEFAULT_SCORECARD } });
    await expect(failed).rejects.toThrow(`KPI file ${outputs.customerKpis.location}, row 1, column orders_count, value "many": invalid input syntax for type integer: "many"`);
    // What the failed run records for the tenant: the KPI table instead of the server's file.
    expect(runFailureOf(await failed.catch((error: unknown) => error))).toEqual({
      code: 'invalid_data',
      message: 'KPI table customer_kpis, row 1, column orders_count, value "many": invalid input syntax for type integer: "many"',
    });
  });

  it('fails on an amount its column cannot hold naming the column and value (PostgreSQL names neither)', async () => {
    // 10^34: one more integer digit than NUMERIC(38,4) holds.
    const tooLarge = '10000000000000000000000000000000000.0000';
    const customers = await files('too-large-customer', [`c1,1,,,,${tooLarge},0,0,0,,,,,,0,,0,false`]);
    await expect(writeBack({ runId: await newRun('2026-08-31'), asOf: '2026-08-31', ...customers, scorecard: { version: null, definition: DEFAULT_SCORECARD } })).rejects.toThrow(
      `KPI file ${customers.customerKpis.location}, row 1, column revenue_total, value "${tooLarge}": numeric field overflow (A field with precision 38, scale 4 must round to an absolute value less than 10^34.)`,
    );
    // The series value: NUMERIC(38,6) holds 32 integer digits; the second data row (the file's third line).
    const series = await files('too-large-series', ['c1,1,,,,,,,,,,,,,,,,'], [], ['orders,day,2026-08-01,1.000000', 'revenue,day,2026-08-01,100000000000000000000000000000000.000000']);
    const failed = writeBack({ runId: await newRun('2026-08-31'), asOf: '2026-08-31', ...series, scorecard: { version: null, definition: DEFAULT_SCORECARD } });
    await expect(failed).rejects.toThrow(`KPI file ${series.metricSeries.location}, row 2, column value, value "100000000000000000000000000000000.000000": numeric field overflow`);
    const failure = runFailureOf(await failed.catch((error: unknown) => error));
    expect(failure).toEqual({ code: 'invalid_data', message: expect.stringMatching(/^KPI table metric_series, row 2, column value, value "1000+\.0+": numeric field overflow \(/) });
    expect(failure.message).not.toContain(dir);
  });

  it('computes the trend in SQL exactly as the health-scoring lib does', async () => {
    const pairs: Array<[number | null, number | null]> = [
      [50, 45],
      [49, 45],
      [45, 49],
      [40, 45],
      [41, 45],
      [0, 100],
      [null, 3],
      [3, null],
      [null, null],
    ];
    for (const [current, previous] of pairs) {
      const { rows } = await client.query<{ trend: string | null }>(`SELECT ${healthTrendSql('$1::int', '$2::int')} AS trend`, [current, previous]);
      expect([current, previous, rows[0]?.trend]).toEqual([current, previous, healthTrend(current, previous)]);
    }
  });
});
