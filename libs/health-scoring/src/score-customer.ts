import type { ScorecardDefinition, ScorecardMeasure } from '@pulse/contracts';
import { healthBand, type HealthBand } from './health-band';
import { measureScore } from './measure-score';
import { measureSource, toScorableNumber, type MeasureSource } from './scorable-kpis';

/** One measure's part in a customer's score: what was read, how it scored, what it adds to the total. */
export interface HealthContribution {
  measure: string;
  /** The value read; null when the customer has none. */
  value: number | null;
  weight: number;
  /** The measure's score 0-100 (two decimals); null when the value is missing and the rule is `exclude`. */
  score: number | null;
  /** Share of the customer's score, in hundredths; the points of all measures add up to the score exactly. */
  points: number;
}

export interface CustomerHealth {
  /** 0-100, a whole number; null when no measure with a weight above 0 could be scored. */
  score: number | null;
  band: HealthBand | null;
  contributions: HealthContribution[];
}

/** Where a customer's values come from: KPI columns by name and custom fields by name. */
export interface CustomerValues {
  kpi(column: string): unknown;
  custom(field: string): unknown;
}

export interface CompiledScorecard {
  readonly definition: ScorecardDefinition;
  /** Custom fields the scorecard reads (`custom.<field>` measures): the caller must provide them. */
  readonly customFields: string[];
  /** Measures naming no known KPI: always missing, so their missing rule applies. Worth a warning. */
  readonly unknownMetrics: string[];
  score(values: CustomerValues): CustomerHealth;
}

interface CompiledMeasure {
  measure: ScorecardMeasure;
  source: MeasureSource;
}

/**
 * Prepares a scorecard for scoring many customers (the metric names are resolved once).
 *
 * A customer's score is the weighted average of its measures' scores over the measures that count:
 * - a measure with a value counts with its score;
 * - a measure without one counts with the fixed score of its `missing: { rule: 'score' }`, or, with
 *   `missing: { rule: 'exclude' }` (the default), does not count at all: the other measures' weights
 *   carry the score alone;
 * - if the measures that count have no weight at all (none counts, or only weight-0 ones do), the
 *   customer has no score: score and band are null (an unscored customer, not a red one).
 * The average is rounded to a whole number (half up), and the band is taken from that number.
 */
export function compileScorecard(definition: ScorecardDefinition): CompiledScorecard {
  const measures: CompiledMeasure[] = definition.measures.map((measure) => ({ measure, source: measureSource(measure.metric) }));
  const customFields = measures.flatMap(({ source }) => (source.kind === 'custom' ? [source.field] : []));
  const unknownMetrics = measures.flatMap(({ measure, source }) => (source.kind === 'unknown' ? [measure.metric] : []));
  return {
    definition,
    customFields,
    unknownMetrics,
    score: (values) => scoreWith(measures, definition, values),
  };
}

function readValue(source: MeasureSource, values: CustomerValues): number | null {
  if (source.kind === 'kpi') return toScorableNumber(values.kpi(source.column));
  if (source.kind === 'custom') return toScorableNumber(values.custom(source.field));
  return null;
}

function scoreWith(measures: CompiledMeasure[], definition: ScorecardDefinition, values: CustomerValues): CustomerHealth {
  const scored = measures.map(({ measure, source }) => {
    const value = readValue(source, values);
    const score = value !== null ? measureScore(measure, value) : measure.missing.rule === 'score' ? measure.missing.score : null;
    return { measure, value, score };
  });
  let weightSum = 0;
  let weighted = 0;
  for (const { measure, score } of scored) {
    if (score === null) continue;
    weightSum += measure.weight;
    weighted += measure.weight * score;
  }
  if (weightSum === 0) {
    return { score: null, band: null, contributions: scored.map(({ measure, value, score }) => contribution(measure, value, score, 0)) };
  }
  // Rounded to 9 places first so that float noise (64.49999999997 for an exact 64.5) cannot flip the rounding.
  const total = Math.round(Number((weighted / weightSum).toFixed(9)));
  const points = apportion(total, scored.map(({ measure, score }) => (score === null ? 0 : measure.weight * score)));
  return {
    score: total,
    band: healthBand(total, definition.bands),
    contributions: scored.map(({ measure, value, score }, index) => contribution(measure, value, score, points[index] ?? 0)),
  };
}

function contribution(measure: ScorecardMeasure, value: number | null, score: number | null, points: number): HealthContribution {
  return { measure: measure.metric, value, weight: measure.weight, score: score === null ? null : round2(score), points };
}

/**
 * Two decimals, half away from zero, as the exact decimal would round: the hundredths are taken to 12
 * significant digits first, so float noise (37.825 computed as 37.824999999999996) cannot flip a half.
 */
function round2(value: number): number {
  const hundredths = Number((Math.abs(value) * 100).toPrecision(12));
  return (Math.sign(value) * Math.round(hundredths)) / 100;
}

/**
 * Splits a whole-number total into hundredths in proportion to `shares` (largest remainder, ties to
 * the earlier measure), so the parts add up to the total exactly. The parts are each measure's
 * weight x score scaled by total / unrounded average: the rounding of the score is spread evenly.
 */
function apportion(total: number, shares: number[]): number[] {
  const shareSum = shares.reduce((sum, share) => sum + share, 0);
  if (shareSum === 0) return shares.map(() => 0);
  const hundredths = total * 100;
  const exact = shares.map((share) => (hundredths * share) / shareSum);
  const parts = exact.map((value) => Math.floor(value + 1e-9));
  let left = hundredths - parts.reduce((sum, part) => sum + part, 0);
  const order = exact.map((value, index) => ({ index, remainder: value - Math.floor(value + 1e-9) })).sort((a, b) => b.remainder - a.remainder || a.index - b.index);
  for (const { index } of order) {
    if (left <= 0) break;
    parts[index] = (parts[index] ?? 0) + 1;
    left -= 1;
  }
  return parts.map((part) => part / 100);
}
