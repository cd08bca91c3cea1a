import { CUSTOMER_KPI_COLUMNS } from './catalog/customer-metrics';
import { PRODUCT_KPI_COLUMNS } from './catalog/product-metrics';
import { SERIES_METRIC_NAMES } from './catalog/series-metrics';
import { compileKpiQueries, METRIC_CATALOG } from './metric-compiler';
import { duckdbDialect } from './sql-dialect';

const params = { asOf: '2024-03-31', timezone: 'UTC', churnWindowDays: 90, excludedOrderStatuses: ['canceled'] };

describe('metric catalog', () => {
  it('declares each metric once per grain, documented, with its inputs', () => {
    const keys = METRIC_CATALOG.map((metric) => `${metric.grain}.${metric.name}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const metric of METRIC_CATALOG) {
      expect(metric.description.length).toBeGreaterThan(10);
      expect(metric.inputs.length).toBeGreaterThan(0);
      for (const input of metric.inputs) expect(input).toMatch(/^[a-z_]+\.[a-z_]+$/);
    }
  });

  it('has exactly one visible metric per customer_kpis and product_kpis column, and the ten series metrics', () => {
    const visible = (grain: string) => METRIC_CATALOG.filter((metric) => metric.grain === grain && !metric.internal).map((metric) => metric.name);
    expect(visible('customer').sort()).toEqual(CUSTOMER_KPI_COLUMNS.filter((column) => column !== 'customer_external_id').sort());
    expect(visible('product').sort()).toEqual(PRODUCT_KPI_COLUMNS.filter((column) => column !== 'sku').sort());
    expect(SERIES_METRIC_NAMES).toEqual(['revenue', 'orders', 'active_customers', 'new_customers', 'churned_customers', 'churn_rate', 'mrr', 'nrr', 'grr', 'nps']);
  });

  it('computes every metric in exactly one of the three queries, each metric after its dependencies', () => {
    const queries = compileKpiQueries(duckdbDialect, params);
    const computed = queries.flatMap((query) => query.metrics.map((metric) => `${query.label}:${metric}`));
    expect(computed).toHaveLength(METRIC_CATALOG.length);
    for (const query of queries) {
      for (const metric of METRIC_CATALOG.filter((candidate) => query.metrics.includes(candidate.name))) {
        // Each metric is defined as `<expression> AS <name>` once in its query.
        expect(query.sql.match(new RegExp(`AS ${metric.name}\\b(?!_)`, 'g'))?.length ?? 0).toBeGreaterThanOrEqual(1);
      }
    }
  });

  it('leaves out later data: every table read is bounded by the end of the as-of day', () => {
    const [customers] = compileKpiQueries(duckdbDialect, params);
    // The as-of day 2024-03-31 ends at midnight UTC of 04-01.
    expect(customers.sql).toContain("timezone('UTC', CAST(CAST(DATE '2024-03-31' + CAST(1 AS INTEGER) AS DATE) AS TIMESTAMP))");
    expect(customers.sql).toMatch(/ordered_at < least\(timezone/);
  });
});
