import { z } from 'zod';
import { defineEvent } from './event-contract';

export const metricsRefreshRequestedV1 = defineEvent({
  topic: 'metrics.refresh-requested.v1',
  description: "Someone or something wants a tenant's KPIs recomputed (debounced per tenant by metrics).",
  payload: z.object({
    runId: z.string(),
    /** Compute as of this date (YYYY-MM-DD, tenant timezone); today when absent. */
    asOf: z.iso.date().optional(),
    reason: z.enum(['manual', 'scorecard_changed', 'schedule', 'ingestion']),
  }),
});

export const metricsComputedV1 = defineEvent({
  topic: 'metrics.computed.v1',
  description: "A metrics run finished and its results replaced the previous ones in the tenant's database.",
  payload: z.object({
    runId: z.string(),
    asOf: z.iso.date(),
    startedAt: z.iso.datetime(),
    finishedAt: z.iso.datetime(),
    metrics: z.array(z.object({ name: z.string(), rows: z.number().int().nonnegative(), durationMs: z.number().nonnegative() })),
  }),
});
