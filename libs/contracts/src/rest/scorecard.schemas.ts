import { z } from 'zod';
import { CUSTOM_FIELD_NAME_PATTERN } from './custom-field-name';

// The health scorecard: shared by the api (GET/PUT /v1/scorecard) and the metrics service, which scores
// customers with it (@pulse/health-scoring). The scoring rules these comments state are implemented there.

// Every number is bounded, so that the scorer's sums and quotients stay finite: two weights of 1e308
// summed to infinity and made every score NaN, failing each recompute of the tenant.

const score = z.number().min(0).max(100);

/** Weights are relative: 1000 to 1 is more emphasis than any scorecard needs, and 50 x 1000 x 100 stays small. */
export const SCORECARD_MAX_WEIGHT = 1000;

/**
 * Thresholds and linear bounds are KPI values: 1e15 is above any single amount the KPIs are computed from
 * (DECIMAL(18,4), below 1e14) and below 2^53, so whole bounds are exact and `max - min` is finite and exact.
 */
export const SCORECARD_MAX_ABS_VALUE = 1e15;

const kpiValue = z.number().min(-SCORECARD_MAX_ABS_VALUE, 'must be between -1e15 and 1e15').max(SCORECARD_MAX_ABS_VALUE, 'must be between -1e15 and 1e15');

/** Thresholds: a value at or past `green` scores 100, at or past `yellow` 60, at or past `red` 30, else 0. */
export const thresholdScoringSchema = z.strictObject({
  type: z.literal('thresholds'),
  red: kpiValue,
  yellow: kpiValue,
  green: kpiValue,
});

/** Linear: `min` scores 0 and `max` 100, clamped in between (reversed for lower_is_better). */
export const linearScoringSchema = z.strictObject({ type: z.literal('linear'), min: kpiValue, max: kpiValue });

export const scorecardMeasureSchema = z
  .strictObject({
    /** A KPI of the metric catalog (`daysSinceLastOrder`, `revenue90d`, ...) or a `custom.<field>`. */
    metric: z.string().regex(new RegExp(`^(?:[A-Za-z][A-Za-z0-9_]{0,62}|custom\\.${CUSTOM_FIELD_NAME_PATTERN})$`), 'must be a KPI name or custom.<field>'),
    weight: z.number().min(0, 'must be >= 0').max(SCORECARD_MAX_WEIGHT, `must be at most ${SCORECARD_MAX_WEIGHT}`),
    direction: z.enum(['higher_is_better', 'lower_is_better']).default('higher_is_better'),
    scoring: z.discriminatedUnion('type', [thresholdScoringSchema, linearScoringSchema]),
    /** A customer without a value: leave the measure out of its score, or give it a fixed score. */
    missing: z.discriminatedUnion('rule', [z.strictObject({ rule: z.literal('exclude') }), z.strictObject({ rule: z.literal('score'), score })]).default({ rule: 'exclude' }),
  })
  .superRefine((measure, ctx) => {
    const { scoring, direction } = measure;
    if (scoring.type === 'linear') {
      if (!(scoring.min < scoring.max)) ctx.addIssue({ code: 'custom', path: ['scoring', 'max'], message: 'must be greater than min' });
      return;
    }
    // Ordered in the direction of "better": red < yellow < green, or the reverse for lower_is_better.
    const ascending = direction === 'higher_is_better';
    const ordered = (a: number, b: number) => (ascending ? a < b : a > b);
    const word = ascending ? 'greater' : 'less';
    if (!ordered(scoring.red, scoring.yellow)) ctx.addIssue({ code: 'custom', path: ['scoring', 'yellow'], message: `must be ${word} than red (${direction})` });
    if (!ordered(scoring.yellow, scoring.green)) ctx.addIssue({ code: 'custom', path: ['scoring', 'green'], message: `must be ${word} than yellow (${direction})` });
  });

/** A score below `yellow` is red, below `green` yellow, else green. */
export const scorecardBandsSchema = z
  .strictObject({ yellow: score, green: score })
  .refine((bands) => bands.yellow < bands.green, { path: ['green'], message: 'must be greater than yellow' });

/** The scorecard a tenant defines (PUT body; stored as the `definition` of a version). */
export const scorecardDefinitionSchema = z
  .strictObject({
    measures: z.array(scorecardMeasureSchema).min(1).max(50),
    bands: scorecardBandsSchema,
  })
  .superRefine((definition, ctx) => {
    const seen = new Set<string>();
    definition.measures.forEach((measure, index) => {
      if (seen.has(measure.metric)) ctx.addIssue({ code: 'custom', path: ['measures', index, 'metric'], message: `"${measure.metric}" appears twice` });
      seen.add(measure.metric);
    });
    if (definition.measures.every((measure) => measure.weight === 0)) {
      ctx.addIssue({ code: 'custom', path: ['measures'], message: 'at least one measure must have a weight above 0' });
    }
  });

export type ScorecardDefinition = z.output<typeof scorecardDefinitionSchema>;
export type ScorecardMeasure = z.output<typeof scorecardMeasureSchema>;
export type ScorecardBands = z.output<typeof scorecardBandsSchema>;

/**
 * The scorecard of a tenant that has not defined one (docs/api.md): recency weighs most, then
 * spend over 90 days, then order count; red below 40, green from 70.
 */
export const DEFAULT_SCORECARD: ScorecardDefinition = {
  measures: [
    { metric: 'daysSinceLastOrder', weight: 0.5, direction: 'lower_is_better', scoring: { type: 'thresholds', red: 180, yellow: 90, green: 30 }, missing: { rule: 'score', score: 0 } },
    { metric: 'revenue90d', weight: 0.3, direction: 'higher_is_better', scoring: { type: 'linear', min: 0, max: 1000 }, missing: { rule: 'score', score: 0 } },
    { metric: 'orders', weight: 0.2, direction: 'higher_is_better', scoring: { type: 'thresholds', red: 1, yellow: 3, green: 10 }, missing: { rule: 'exclude' } },
  ],
  bands: { yellow: 40, green: 70 },
};
