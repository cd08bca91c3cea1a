import { scorecardBandsSchema, scorecardMeasureSchema } from '@pulse/contracts';
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
