import { METRIC_CATALOG, type MetricDefinition, type MetricUnit } from '@pulse/metric-catalog';

/**
 * Decimals of a series value in the API by its metric's unit: counts are whole numbers, money has 4
 * decimals and ratios 6 (docs/metrics.md, "Common rules"), as on the customer and product KPIs. The
 * metrics service writes every series value with 6 decimals (metric_series.value), whatever its unit.
 */
const UNIT_SCALES: Partial<Record<MetricUnit, number>> = { count: 0, currency: 4, ratio: 6 };

/** A unit without a documented scale (nps, a score) keeps the decimals the catalog writes it with. */
function seriesValueScale(metric: MetricDefinition): number {
  return UNIT_SCALES[metric.unit] ?? (metric.format.kind === 'decimal' ? metric.format.scale : 0);
}

/** Series metric name -> decimals of its values in the API, for every series metric the catalog writes. */
export const SERIES_VALUE_SCALES: ReadonlyMap<string, number> = new Map(
  METRIC_CATALOG.filter((metric) => metric.grain === 'series' && !metric.internal).map((metric) => [metric.name, seriesValueScale(metric)]),
);

/**
 * SQL rendering `column` (a NUMERIC) as text with the decimals bound to `scaleParam` (an int parameter),
 * exactly: zeros are added or trimmed down to that scale, never a digit that is not zero
 * (`2.000000` -> `2`, `1001.000000` -> `1001.0000`, `0.1234565` stays whole), so the value is the stored
 * one whatever the column's own scale. Done in PostgreSQL on the NUMERIC itself: no float on the way.
 * A NULL scale (a metric the catalog does not know) leaves the value as stored.
 */
export function seriesValueSql(column: string, scaleParam: string): string {
  return `CASE WHEN ${scaleParam} IS NULL THEN ${column}::text ELSE round(${column}, GREATEST(${scaleParam}, scale(trim_scale(${column}))))::text END`;
}
