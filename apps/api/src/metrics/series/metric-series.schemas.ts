import { currencyCodeSchema, decimalStringSchema } from '@pulse/contracts';
import { z } from 'zod';
import { calendarDateSchema } from '../../request-input/request-input.schemas';
import { SERIES_METRIC_NAMES, SERIES_MONEY_METRICS } from './series-metrics';
import { SERIES_VALUE_SCALES } from './series-value-scale';

/** For the document: the handler looks the name up itself (findSeriesMetricOrThrow), a 404 for any other. */
export const metricSeriesParams = z.strictObject({
  name: z.enum(SERIES_METRIC_NAMES).describe('A series metric of the metric catalog (docs/metrics.md, "Tenant series"); any other name is a 404 metric.not_found'),
});

export const metricSeriesQuery = z
  .strictObject({
    grain: z.enum(['day', 'week', 'month']),
    from: calendarDateSchema.optional().describe('First period start to include (YYYY-MM-DD, inclusive)'),
    to: calendarDateSchema.optional().describe('Last period start to include (YYYY-MM-DD, inclusive)'),
  })
  .refine((query) => !query.from || !query.to || query.from <= query.to, { message: 'from must not be after to', path: ['from'] });

/** "orders, active_customers: whole numbers; revenue, mrr: 4 decimals; ..." from the catalog, for the schema's description. */
const SERIES_SCALES_TEXT = [...new Set(SERIES_VALUE_SCALES.values())]
  .sort((a, b) => a - b)
  .map((scale) => {
    const names = [...SERIES_VALUE_SCALES].filter(([, s]) => s === scale).map(([name]) => name);
    return `${names.join(', ')}: ${scale === 0 ? 'whole numbers' : `${scale} decimals`}`;
  })
  .join('; ');

export const metricSeriesSchema = z.object({
  metric: z.string(),
  grain: z.enum(['day', 'week', 'month']),
  from: z.iso.date().nullable(),
  to: z.iso.date().nullable(),
  currency: currencyCodeSchema
    .nullable()
    .describe(
      `ISO 4217 code of the values of a money metric (${[...SERIES_MONEY_METRICS].join(', ')}): the tenant's currency setting, as on customers and products. Null for the other metrics.`,
    ),
  points: z.array(
    z.object({
      periodStart: z.iso.date(),
      value: decimalStringSchema
        .nullable()
        .describe(
          `Exact decimal string with the decimals of the metric's unit (${SERIES_SCALES_TEXT}): only zeros are added or dropped, never a digit. ` +
            'Null where a ratio has no base (e.g. churn rate of a period without customers).',
        ),
    }),
  ),
});
export type MetricSeriesDto = z.infer<typeof metricSeriesSchema>;
