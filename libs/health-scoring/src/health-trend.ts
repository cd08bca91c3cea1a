export type HealthTrend = 'improving' | 'stable' | 'declining';

/**
 * How far a score must move from the previous run's to count as a trend, in score points: a move of
 * 5 or more points up is `improving`, 5 or more down `declining`, anything smaller `stable`. Smaller
 * moves are mostly the noise of one more or one less order in a window.
 */
export const HEALTH_TREND_DELTA = 5;

/** Trend of a customer's score against the previous run's; null when either score is missing. */
export function healthTrend(current: number | null, previous: number | null, delta = HEALTH_TREND_DELTA): HealthTrend | null {
  if (current === null || previous === null) return null;
  if (current - previous >= delta) return 'improving';
  if (previous - current >= delta) return 'declining';
  return 'stable';
}

/**
 * The same rule as a SQL expression, for write-backs that compare with the previous score where it is
 * stored (PostgreSQL), without loading every previous score into memory. The arguments are SQL
 * expressions of integer scores; the result is text ('improving' | 'stable' | 'declining' | NULL).
 */
export function healthTrendSql(currentSql: string, previousSql: string, delta = HEALTH_TREND_DELTA): string {
  if (!Number.isFinite(delta) || delta <= 0) throw new RangeError(`trend delta must be a positive number, got ${delta}`);
  return (
    `CASE WHEN (${currentSql}) IS NULL OR (${previousSql}) IS NULL THEN NULL ` +
    `WHEN (${currentSql}) - (${previousSql}) >= ${delta} THEN 'improving' ` +
    `WHEN (${previousSql}) - (${currentSql}) >= ${delta} THEN 'declining' ` +
    `ELSE 'stable' END`
  );
}
