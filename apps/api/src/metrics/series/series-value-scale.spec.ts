import { METRIC_CATALOG, SERIES_METRIC_NAMES } from '@pulse/metric-catalog';
import { SERIES_VALUE_SCALES } from './series-value-scale';

describe('SERIES_VALUE_SCALES', () => {
  it('gives every series metric the catalog writes the decimals of its unit', () => {
    expect(Object.fromEntries(SERIES_VALUE_SCALES)).toEqual({
      revenue: 4,
      orders: 0,
      active_customers: 0,
      new_customers: 0,
      churned_customers: 0,
      churn_rate: 6,
      mrr: 4,
      nrr: 6,
      grr: 6,
      nps: 6,
    });
    expect([...SERIES_VALUE_SCALES.keys()].sort()).toEqual([...SERIES_METRIC_NAMES].sort());
  });

  it('renders money and ratios at the scale the customer and product KPIs of the same unit have', () => {
    for (const unit of ['currency', 'ratio'] as const) {
      const kpiScales = new Set(
        METRIC_CATALOG.filter((metric) => metric.grain !== 'series' && metric.unit === unit).map((metric) => (metric.format.kind === 'decimal' ? metric.format.scale : 0)),
      );
      const seriesScales = new Set(METRIC_CATALOG.filter((metric) => metric.grain === 'series' && !metric.internal && metric.unit === unit).map((metric) => SERIES_VALUE_SCALES.get(metric.name)));
      expect([...seriesScales]).toEqual([...kpiScales]);
    }
  });
});
