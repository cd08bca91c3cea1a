import { NotFoundError } from '@pulse/errors';
import { METRIC_CATALOG } from '@pulse/metric-catalog';
import { SERIES_VALUE_SCALES } from './series-value-scale';

/** The series metrics the catalog writes and the API serves (internal helper series left out), in catalog order. */
export const SERIES_METRIC_NAMES = [...SERIES_VALUE_SCALES.keys()] as [string, ...string[]];

/** Series metrics whose values are money (unit `currency` in the catalog: revenue, mrr), in the tenant's currency. */
export const SERIES_MONEY_METRICS: ReadonlySet<string> = new Set(
  METRIC_CATALOG.filter((metric) => metric.grain === 'series' && !metric.internal && metric.unit === 'currency').map((metric) => metric.name),
);

/**
 * The name as a series metric of the catalog, or 404 metric.not_found naming the ones there are. Checked
 * before anything else about a request, so that a GET on a fixed path under /v1/metrics (`refresh`,
 * `runs`) or a typo is told it names no metric, not that its `grain` is missing.
 */
export function findSeriesMetricOrThrow(name: string): string {
  if (SERIES_VALUE_SCALES.has(name)) return name;
  throw new NotFoundError('metric.not_found', `No series metric with that name: the series metrics are ${SERIES_METRIC_NAMES.join(', ')}.`);
}
