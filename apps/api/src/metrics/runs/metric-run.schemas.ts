import { z } from 'zod';

export const metricRunSchema = z.object({
  id: z.uuid(),
  status: z.enum(['queued', 'running', 'succeeded', 'failed']),
  reason: z.string().nullable(),
  asOf: z.iso.date().nullable(),
  requestedAt: z.iso.datetime(),
  startedAt: z.iso.datetime().nullable(),
  finishedAt: z.iso.datetime().nullable(),
  error: z.string().nullable(),
});

export type MetricRunDto = z.infer<typeof metricRunSchema>;

export const refreshRequestSchema = z.strictObject({
  /** Compute as of this date (tenant timezone); today when absent. */
  asOf: z.iso.date().optional(),
});

export const metricRunParams = z.strictObject({ id: z.uuid() });
