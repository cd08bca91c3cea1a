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
  error: z.string().nullable(),
  /** Set when this request was coalesced into another run, which computed for it; this run ends with that run's status. */
  coveredByRunId: z.uuid().nullable(),
  /** Milliseconds per computed query/metric and write-back step (empty until the run finished). */
  timings: z.record(z.string(), z.number()),
  /** Rows written per table (empty until the run finished). */
  rowCounts: z.record(z.string(), z.number()),
});

export type MetricRunDto = z.infer<typeof metricRunSchema>;

export const refreshRequestSchema = z.strictObject({
  asOf: calendarDateSchema
    .optional()
    .describe(`Compute as of this day (YYYY-MM-DD in the tenant's timezone), ${REFRESH_AS_OF_RANGE_TEXT}; today there when absent.`),
});

export const metricRunParams = z.strictObject({ id: z.uuid() });
