export { computeKpis, type ComputeKpisOptions, type KpiOutputs, type OutputFile, type KpiQueryRun } from './compute-kpis';
export {
  DEFAULT_CHURN_WINDOW_DAYS,
  DEFAULT_EXCLUDED_ORDER_STATUSES,
  InvalidKpiParamsError,
  canonicalTimezone,
  defaultKpiParams,
  kpiParamsSchema,
  localDateOf,
  parseKpiParamsOrThrow,
  type KpiParams,
} from './kpi-params';
export {
  METRIC_CATALOG,
  METRIC_SERIES_COLUMNS,
  compileCustomerKpis,
  compileKpiQueries,
  compileMetricSeries,
  compileProductKpis,
  createCompileContext,
  type CompiledQuery,
  type CompileOptions,
} from './metric-compiler';
export { CUSTOMER_KPI_COLUMNS } from './catalog/customer-metrics';
export { PRODUCT_KPI_COLUMNS } from './catalog/product-metrics';
export { SERIES_METRIC_NAMES, SERIES_GRAINS } from './catalog/series-metrics';
export { RFM_SEGMENT_RULES, rfmSegmentOf, type RfmSegmentRule } from './catalog/rfm-segments';
export { bigqueryDialect, duckdbDialect, sqlDialect, type SeriesGrain, type SqlDialect, type SqlType } from './sql-dialect';
export type { MetricDefinition, MetricGrain, MetricUnit, MetricSource, CompileContext } from './metric-definition';
