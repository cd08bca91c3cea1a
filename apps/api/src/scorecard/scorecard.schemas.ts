import { scorecardBandsSchema, scorecardDefinitionSchema, scorecardMeasureSchema } from '@pulse/contracts';
import { measureSource, SCORABLE_KPIS } from '@pulse/health-scoring';
import { z } from 'zod';

// The definition itself (scorecardDefinitionSchema: measures, bands, validation) and DEFAULT_SCORECARD
// live in @pulse/contracts, shared with the metrics service that scores with them.

export const scorecardSchema = z.object({
  /** 0 for the built-in default (nothing stored yet); stored versions count from 1. */
  version: z.number().int().nonnegative(),
  isDefault: z.boolean(),
  measures: z.array(scorecardMeasureSchema),
  bands: scorecardBandsSchema,
  createdAt: z.iso.datetime().nullable(),
});

export type ScorecardDto = z.output<typeof scorecardSchema>;

export const scorecardUpdateSchema = z.object({
  scorecard: scorecardSchema,
  /** The metrics run that recomputes health with it; null when the definition did not change. */
  refreshRunId: z.uuid().nullable(),
});

export type ScorecardUpdateDto = z.output<typeof scorecardUpdateSchema>;

/**
 * PUT's body: a definition whose measures name what the metrics service can score, a customer KPI or a
 * `custom.<field>`. The shared definition schema accepts any name (the scorer treats an unknown one as
 * missing, so an older stored version still scores); a new version with a typo (`revenue9d`) is a 400.
 */
export const scorecardPutSchema = scorecardDefinitionSchema.superRefine((definition, ctx) => {
  definition.measures.forEach((measure, index) => {
    if (measureSource(measure.metric).kind !== 'unknown') return;
    ctx.addIssue({
      code: 'custom',
      path: ['measures', index, 'metric'],
      message: `"${measure.metric}" is not a KPI: use one of ${Object.keys(SCORABLE_KPIS).join(', ')}, or custom.<field>`,
    });
  });
});
