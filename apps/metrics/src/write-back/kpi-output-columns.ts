/**
 * The KPI files of a run (@pulse/metric-catalog's computeKpis; columns in docs/metrics.md) and the SQL type
 * each column is staged as: the type of the live column (tenant migrations), so whatever stages also
 * fits there. Staging tables are typed, so a malformed or too large value fails the COPY (the error
 * names its row, column and value) before any live table is touched.
 */
export const CUSTOMER_KPI_COLUMNS = {
  customer_external_id: 'text',
  orders_count: 'integer',
  first_order_at: 'timestamptz',
  last_order_at: 'timestamptz',
  days_since_last_order: 'integer',
  revenue_total: 'numeric(38,4)',
  revenue_30d: 'numeric(38,4)',
  revenue_90d: 'numeric(38,4)',
  revenue_365d: 'numeric(38,4)',
  aov: 'numeric(38,4)',
  rfm_recency: 'smallint',
  rfm_frequency: 'smallint',
  rfm_monetary: 'smallint',
  rfm_segment: 'text',
  mrr: 'numeric(38,4)',
  last_nps: 'smallint',
  open_tickets: 'integer',
  active_30d: 'boolean',
} as const;

export const PRODUCT_KPI_COLUMNS = {
  sku: 'text',
  first_purchase_at: 'timestamptz',
  last_purchase_at: 'timestamptz',
  days_since_last_purchase: 'integer',
  units: 'numeric(38,4)',
  revenue: 'numeric(38,4)',
  distinct_buyers: 'integer',
  repeat_buyer_rate: 'numeric(7,6)',
  median_reorder_interval_days: 'numeric(10,2)',
} as const;

export const METRIC_SERIES_COLUMNS = {
  metric: 'text',
  grain: 'text',
  period_start: 'date',
  value: 'numeric(38,6)',
} as const;

export type CustomerKpiColumn = keyof typeof CUSTOMER_KPI_COLUMNS;

/** Throws unless `header` holds exactly the expected columns (in any order); names what is wrong. */
export function assertKpiHeader(file: string, header: readonly string[], expected: Readonly<Record<string, string>>): void {
  const want = Object.keys(expected);
  const missing = want.filter((column) => !header.includes(column));
  // Own keys only: `in` would take a column named `constructor` or `toString` for an expected one.
  const unexpected = header.filter((column) => !Object.hasOwn(expected, column));
  const duplicated = header.filter((column, index) => header.indexOf(column) !== index);
  if (missing.length || unexpected.length || duplicated.length) {
    const parts = [
      missing.length ? `missing ${missing.join(', ')}` : '',
      unexpected.length ? `unexpected ${unexpected.join(', ')}` : '',
      duplicated.length ? `duplicated ${duplicated.join(', ')}` : '',
    ].filter(Boolean);
    throw new Error(`KPI file ${file} has the wrong columns: ${parts.join('; ')}`);
  }
}

export function stagingTableSql(name: string, columns: Readonly<Record<string, string>>, extra: string[] = []): string {
  const definitions = [...Object.entries(columns).map(([column, type]) => `${column} ${type}`), ...extra];
  // Temporary: private to the run's session, never WAL-logged, gone with the transaction.
  return `CREATE TEMP TABLE ${name} (${definitions.join(', ')}) ON COMMIT DROP`;
}
