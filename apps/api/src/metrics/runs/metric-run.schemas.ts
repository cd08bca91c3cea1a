import { METRIC_RUN_ERROR_CODES, metricRunErrorCodeSchema } from '@pulse/contracts';
import { z } from 'zod';
import { calendarDateSchema } from '../../request-input/request-input.schemas';
import { REFRESH_AS_OF_RANGE_TEXT } from './refresh-as-of';

export const metricRunSchema = z.object({
  id: z.uuid(),
  status: z.enum(['queued', 'running', 'succeeded', 'failed']),
  reason: z.string().nullable(),
  asOf: z.iso.date().nullable(),
  requestedAt: z.iso.datetime(),
  startedAt: z.iso.datetime().nullable(),
  finishedAt: z.iso.datetime().nullable(),
  errorCode: metricRunErrorCodeSchema
    .nullable()
    .describe(
      `Why a failed run failed (null unless status is failed); clients branch on it, and should treat a code they do not know as internal.\n\n${Object.entries(METRIC_RUN_ERROR_CODES)
        .map(([code, meaning]) => `- \`${code}\`: ${meaning}`)
        .join('\n')}`,
    ),
  error: z
    .string()
    .nullable()
    .describe("A failed run's error for humans: names the tenant's own setting, scorecard, KPI value or import where one is the cause; never server paths, SQL or database internals. Its wording may change: branch on errorCode."),
  /** Set when this request was coalesced into another run, which computed for it; this run ends with that run's status. */
  coveredByRunId: z.uuid().nullable(),
  /** Milliseconds per computed query/metric and write-back step (empty until the run finished). */
  timings: z.record(z.string(), z.number()),
  /** Rows written per table (empty until the run finished). */
  rowCounts: z.record(z.string(), z.number()),
});

export type MetricRunDto = z.infer<typeof metricRunSchema>;

/**
 * The 202 of a refresh: the run it just inserted, queued (an Idempotency-Key replay returns that first
 * answer, so it is queued too, whatever the run became since).
 */
export const queuedMetricRunSchema = metricRunSchema.extend({
  status: z.literal('queued'),
  startedAt: z.null(),
  finishedAt: z.null(),
  errorCode: z.null(),
  error: z.null(),
  coveredByRunId: z.null(),
});

export const refreshRequestSchema = z.strictObject({
  asOf: calendarDateSchema
    .optional()
    .describe(`Compute as of this day (YYYY-MM-DD in the tenant's timezone), ${REFRESH_AS_OF_RANGE_TEXT}; today there when absent.`),
});

export const metricRunParams = z.strictObject({ id: z.uuid() });
