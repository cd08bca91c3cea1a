import path from 'node:path';
import type { Warehouse, WarehouseTenant } from '@pulse/warehouse';
import { parseKpiParamsOrThrow, type KpiParams } from './kpi-params';
import { compileKpiQueries, type CompiledQuery } from './metric-compiler';
import { sqlDialect, type SqlDialect } from './sql-dialect';

/** A written output file (CSV: header, UTF-8, empty unquoted = NULL). */
export interface OutputFile {
  /** Local path (DuckDB) or gs:// object pattern (BigQuery). */
  location: string;
  rows: number;
  columns: string[];
}

/** How one statement of the run went: which metrics it computed, how long it took. */
export interface KpiQueryRun {
  label: CompiledQuery['label'];
  metrics: string[];
  ms: number;
  rows: number;
}

export interface KpiOutputs {
  customerKpis: OutputFile;
  productKpis: OutputFile;
  metricSeries: OutputFile;
  /**
   * Milliseconds per query label (customer_kpis, product_kpis, metric_series) and per metric as
   * `<label>.<metric>` (a metric gets the time of the query that computed it: a grain's metrics are
   * computed together).
   */
  timings: Record<string, number>;
  /** Per query: the metrics it contains, its time and row count (docs/metrics.md, "How the catalog works"). */
  queries: KpiQueryRun[];
  /**
   * The latest loaded_at of orders, order_items and products when the run started (ISO UTC; null for an
   * empty tenant): pass it as `productsTouchedSince` to the next run with the same params.
   */
  dataWatermark: string | null;
  /** 'all': productKpis holds every SKU (replace the table); 'touched': only SKUs that may have changed (upsert). */
  productKpisScope: 'all' | 'touched';
}

export interface ComputeKpisOptions {
  /**
   * Incremental product KPIs (docs/metrics.md "Incremental runs"): the `dataWatermark` of an earlier run
   * with exactly the same params (asOf included). productKpis then holds only the SKUs touched by rows
   * loaded after it, and the caller upserts them over that run's rows. Customer KPIs and the series are
   * always computed in full.
   */
  productsTouchedSince?: string;
  /** Stops the statement under way when aborted (Warehouse QueryOptions.signal); computeKpis then rejects with its reason. */
  signal?: AbortSignal;
}

const FILE_NAMES: Record<CompiledQuery['label'], string> = {
  customer_kpis: 'customer_kpis',
  product_kpis: 'product_kpis',
  metric_series: 'metric_series',
};

/**
 * Where a query's CSV goes: `<outputDir>/<table>.csv` locally; on GCS a sharded pattern
 * (`<table>-*.csv`), since BigQuery splits exports above 1 GB into several objects.
 */
function destinationOf(outputDir: string, label: CompiledQuery['label']): string {
  if (outputDir.startsWith('gs://')) return `${outputDir.replace(/\/+$/, '')}/${FILE_NAMES[label]}-*.csv`;
  return path.join(outputDir, `${FILE_NAMES[label]}.csv`);
}

/**
 * Computes every KPI of the catalog for a tenant as of `params.asOf` in the warehouse and writes the three
 * output files (their columns: docs/metrics.md, "Customer KPIs", "Product (SKU) KPIs" and "Tenant series")
 * into `outputDir`. Three set-based statements, one per output table, each composed from the catalog's
 * metric expressions. Params are validated first: a bad tenant setting throws InvalidKpiParamsError before
 * any SQL runs.
 */
export async function computeKpis(
  warehouse: Warehouse,
  tenant: WarehouseTenant,
  params: KpiParams,
  outputDir: string,
  options: ComputeKpisOptions = {},
): Promise<KpiOutputs> {
  const validated = parseKpiParamsOrThrow(params);
  const dialect = sqlDialect(warehouse.dialect);
  const queries = compileKpiQueries(dialect, validated, { productsTouchedSince: options.productsTouchedSince });
  // Taken before computing: rows loaded meanwhile (BigQuery) are then seen as touched by the next run.
  const [{ watermark }] = await warehouse.query<{ watermark: string | null }>(tenant, dataWatermarkSql(dialect), {
    label: 'data_watermark',
    signal: options.signal,
  });
  const files = {} as Record<CompiledQuery['label'], OutputFile>;
  const timings: Record<string, number> = {};
  const runs: KpiQueryRun[] = [];
  for (const query of queries) {
    const started = performance.now();
    const result = await warehouse.exportQuery(tenant, query.sql, {
      label: query.label,
      destination: destinationOf(outputDir, query.label),
      signal: options.signal,
    });
    const ms = Math.round(performance.now() - started);
    files[query.label] = { location: result.location, rows: result.rows, columns: [...query.columns] };
    timings[query.label] = ms;
    for (const metric of query.metrics) timings[`${query.label}.${metric}`] = ms;
    runs.push({ label: query.label, metrics: [...query.metrics], ms, rows: result.rows });
  }
  return {
    customerKpis: files.customer_kpis,
    productKpis: files.product_kpis,
    metricSeries: files.metric_series,
    timings,
    queries: runs,
    dataWatermark: watermark,
    productKpisScope: options.productsTouchedSince === undefined ? 'all' : 'touched',
  };
}

function dataWatermarkSql(dialect: SqlDialect): string {
  const latest = ['orders', 'order_items', 'products'].map((table) => `SELECT MAX(loaded_at) AS loaded_at FROM ${table}`);
  return `SELECT ${dialect.isoTimestamp('MAX(loaded_at)')} AS watermark FROM (${latest.join(' UNION ALL ')}) AS latest`;
}
