import { Parser } from 'node-sql-parser';
import { compileKpiQueries } from './metric-compiler';
import type { KpiParams } from './kpi-params';
import { bigqueryDialect, duckdbDialect } from './sql-dialect';

/*
 * Every statement the catalog generates for BigQuery parses with node-sql-parser's BigQuery grammar. No
 * valid construct we emit needed an exception (see docs/metrics.md "BigQuery"). The DuckDB statements are
 * the control: they use DuckDB-only syntax (`//`, VALUES with column aliases, date_diff('day', ...)),
 * and the same parser rejects them, so a passing parse means something.
 */
const parser = new Parser();
// The grammar (5.4.0) lacks BIGNUMERIC (BigQuery's 76-digit decimal, which money sums use): it is parsed
// spelled NUMERIC, the type it widens.
const parseBigQuery = (sql: string) => parser.astify(sql.replace(/\bBIGNUMERIC\b/g, 'NUMERIC'), { database: 'BigQuery' });

const VARIANTS: KpiParams[] = [
  { asOf: '2024-03-31', timezone: 'America/Sao_Paulo', churnWindowDays: 90, excludedOrderStatuses: ['canceled', 'cancelled', 'refunded'] },
  { asOf: '2024-02-29', timezone: 'UTC', churnWindowDays: 1, excludedOrderStatuses: [] },
  { asOf: '2025-12-31', timezone: 'Asia/Kolkata', churnWindowDays: 365, excludedOrderStatuses: ["o'neil"] },
];

describe('generated BigQuery SQL', () => {
  it.each(VARIANTS)('parses for %j', (params) => {
    const queries = compileKpiQueries(bigqueryDialect, params);
    expect(queries.map((query) => query.label)).toEqual(['customer_kpis', 'product_kpis', 'metric_series']);
    for (const query of queries) expect(() => parseBigQuery(query.sql)).not.toThrow();
  });

  it('uses BigQuery spellings, not DuckDB ones', () => {
    const sql = compileKpiQueries(bigqueryDialect, VARIANTS[0]).map((query) => query.sql).join('\n');
    expect(sql).toContain("DATE(ordered_at, 'America/Sao_Paulo')");
    expect(sql).toContain('ISOWEEK');
    expect(sql).toContain('GENERATE_DATE_ARRAY');
    expect(sql).toContain('PERCENTILE_CONT(interval_days, 0.5) OVER (PARTITION BY sku)');
    expect(sql).not.toMatch(/\/\/|date_diff\('day'|timezone\(|quantile_cont/);
  });

  it('sums and multiplies money as BIGNUMERIC and rounds outputs from BIGNUMERIC', () => {
    // NUMERIC holds 29 integer digits: one line of 99999999999999.9999 * 99999999999999.9999 is 10^28, so
    // ten such lines (or 10^15 orders of the largest total) would overflow a NUMERIC sum.
    const [customers, products, series] = compileKpiQueries(bigqueryDialect, VARIANTS[0]).map((query) => query.sql);
    expect(products).toContain('SUM(CAST(CAST(quantity AS BIGNUMERIC) * unit_price AS BIGNUMERIC)) AS revenue');
    expect(products).toContain('SUM(CAST(quantity AS BIGNUMERIC)) AS units');
    expect(customers).toContain('SUM(CAST(total AS BIGNUMERIC)) AS revenue_total');
    expect(customers).toContain('SUM(CAST(mrr AS BIGNUMERIC)) AS mrr');
    expect(customers).toContain('ROUND(CAST(revenue_total AS BIGNUMERIC), 4)');
    expect(series).toContain('SUM(CAST(total AS BIGNUMERIC)) AS total FROM dated_orders');
    expect(series).toContain('SUM(CAST(delta AS BIGNUMERIC)) AS delta FROM subscription_changes');
    expect(series).toContain('SUM(CAST(delta AS BIGNUMERIC)) AS mrr_change');
    // No sum of a money column, and no output rounding, left in NUMERIC (SUM(delta) elsewhere: customer counts
    // and running sums of the widened MRR changes).
    for (const sql of [customers, products, series]) {
      expect(sql).not.toMatch(/SUM\((total|mrr|quantity)\)|SUM\(CASE WHEN start_level|THEN (total|level_before|level_after) ELSE 0 END\)/);
      expect(sql).not.toContain('AS NUMERIC)');
    }
  });

  it('divides exactly (BIGNUMERIC, rounded to the output places), never in floating point', () => {
    const [customers, products, series] = compileKpiQueries(bigqueryDialect, VARIANTS[0]).map((query) => query.sql);
    expect(customers).toContain('ROUND(SAFE_DIVIDE(CAST(revenue_total AS BIGNUMERIC), CAST(orders_count AS BIGNUMERIC)), 4) AS aov');
    expect(products).toContain('ROUND(SAFE_DIVIDE(CAST(repeat_buyers AS BIGNUMERIC), CAST(distinct_buyers AS BIGNUMERIC)), 6) AS repeat_buyer_rate');
    expect(series).toContain('ROUND(SAFE_DIVIDE(CAST(churned_customers AS BIGNUMERIC), CAST(customers_at_start AS BIGNUMERIC)), 6) AS churn_rate');
    for (const sql of [customers, products, series]) expect(sql).not.toContain('FLOAT64');
  });

  it('parses the dialect pieces the catalog does not use yet (JSON access)', () => {
    const sql = `SELECT ${bigqueryDialect.jsonText('custom', '$.plan')} AS plan, ${bigqueryDialect.timestamp('2024-03-31T12:00:00.123456Z')} AS t FROM customers`;
    expect(sql).toContain("JSON_VALUE(custom, '$.plan')");
    expect(() => parseBigQuery(sql)).not.toThrow();
  });

  it('rejects the DuckDB statements (the parser discriminates)', () => {
    for (const query of compileKpiQueries(duckdbDialect, VARIANTS[0])) expect(() => parseBigQuery(query.sql)).toThrow();
  });
});
