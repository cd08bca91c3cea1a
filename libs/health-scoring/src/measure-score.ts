import type { ScorecardMeasure } from '@pulse/contracts';

/** Scores of the threshold steps: at or past green, yellow, red; below red. */
export const THRESHOLD_SCORES = { green: 100, yellow: 60, red: 30, below: 0 } as const;

/**
 * One measure's score, 0-100, for a value (never null here: missing values are the caller's rule).
 *
 * - thresholds: at or past `green` 100, at or past `yellow` 60, at or past `red` 30, else 0. "Past" is
 *   >= for higher_is_better and <= for lower_is_better, so a value exactly on a threshold gets the
 *   better step (a customer 30 days from its last order with green at 30 is green).
 * - linear: `min` scores 0 and `max` 100, straight line in between, clamped outside; lower_is_better
 *   turns it around (`min` scores 100, `max` 0).
 */
export function measureScore(measure: Pick<ScorecardMeasure, 'direction' | 'scoring'>, value: number): number {
  const { scoring } = measure;
  const higherIsBetter = measure.direction === 'higher_is_better';
  if (scoring.type === 'linear') {
    const fraction = (value - scoring.min) / (scoring.max - scoring.min);
    const clamped = Math.min(1, Math.max(0, fraction));
    return (higherIsBetter ? clamped : 1 - clamped) * 100;
  }
  const atOrPast = (threshold: number) => (higherIsBetter ? value >= threshold : value <= threshold);
  if (atOrPast(scoring.green)) return THRESHOLD_SCORES.green;
  if (atOrPast(scoring.yellow)) return THRESHOLD_SCORES.yellow;
  if (atOrPast(scoring.red)) return THRESHOLD_SCORES.red;
  return THRESHOLD_SCORES.below;
}
