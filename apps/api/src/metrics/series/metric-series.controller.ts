import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiRoute, ZodValidationPipe } from '@pulse/service-runtime';
import { TenantDatabasePool, type TenantContext } from '@pulse/tenancy';
import { CurrentTenant, TenantCurrency } from '../../auth/current-tenant.decorator';
import { metricSeriesParams, metricSeriesQuery, metricSeriesSchema, type MetricSeriesDto } from './metric-series.schemas';
import { findSeriesMetricOrThrow, SERIES_MONEY_METRICS } from './series-metrics';
import { SERIES_VALUE_SCALES, seriesValueSql } from './series-value-scale';

const parseSeriesQuery = new ZodValidationPipe(metricSeriesQuery, 'query');

@Controller('v1/metrics')
export class MetricSeriesController {
  constructor(private readonly tenants: TenantDatabasePool) {}

  @Get(':name')
  @ApiRoute({
    summary: 'A metric as a time series, one point per period, oldest first',
    description:
      'Periods are cut in the tenant timezone; `from`/`to` bound the period start (inclusive). A metric of the catalog with no computed ' +
      'rows (not computed yet) answers 200 with no points; any other name is a 404 `metric.not_found` (checked before the query). ' +
      'Values are exact decimal strings at the scale of the metric\'s unit: counts whole (`"2"`), money with 4 decimals (`"1001.0000"`), ' +
      'ratios with 6 (`"0.333333"`); `currency` names the currency of a money metric\'s values (the tenant\'s), null for others.',
    tags: ['metrics'],
    params: metricSeriesParams,
    query: metricSeriesQuery,
    responses: {
      200: { description: 'The series', schema: metricSeriesSchema },
      400: { description: 'validation_failed (grain, from/to)' },
      404: { description: 'metric.not_found: the name is no series metric of the catalog (the detail lists them)' },
    },
  })
  async series(
    @CurrentTenant() tenant: TenantContext,
    @TenantCurrency() currency: string,
    @Param('name') rawName: string,
    @Query() rawQuery: unknown,
  ): Promise<MetricSeriesDto> {
    // The name first: `GET /v1/metrics/refresh` is told there is no such metric, not that grain is missing.
    const name = findSeriesMetricOrThrow(rawName);
    const query = parseSeriesQuery.transform(rawQuery);
    // The primary key (metric, grain, period_start) serves this range scan in order.
    const { rows } = await this.tenants.withTenantClient(tenant, (db) =>
      db.query<{ period_start: string; value: string | null }>(
        `SELECT to_char(period_start, 'YYYY-MM-DD') AS period_start, ${seriesValueSql('value', '$5::int')} AS value FROM metric_series
         WHERE metric = $1 AND grain = $2::metric_grain AND ($3::date IS NULL OR period_start >= $3::date) AND ($4::date IS NULL OR period_start <= $4::date)
         ORDER BY period_start`,
        [name, query.grain, query.from ?? null, query.to ?? null, SERIES_VALUE_SCALES.get(name)],
      ),
    );
    return {
      metric: name,
      grain: query.grain,
      from: query.from ?? null,
      to: query.to ?? null,
      currency: SERIES_MONEY_METRICS.has(name) ? currency : null,
      points: rows.map((row) => ({ periodStart: row.period_start, value: row.value })),
    };
  }
}
