import { healthBand } from './health-band';
import { HEALTH_TREND_DELTA, healthTrend, healthTrendSql } from './health-trend';

describe('healthBand (yellow 40, green 70)', () => {
  const bands = { yellow: 40, green: 70 };
  it.each([
    [0, 'red'],
    [39, 'red'],
    [40, 'yellow'], // on the bound: the better band
    [69, 'yellow'],
    [70, 'green'],
    [100, 'green'],
  ])('%p is %p', (score, band) => expect(healthBand(score, bands)).toBe(band));
});

describe('healthTrend', () => {
  it('uses a documented delta of 5 points', () => expect(HEALTH_TREND_DELTA).toBe(5));

  it.each([
    [50, 45, 'improving'], // exactly the delta
    [49, 45, 'stable'],
    [45, 45, 'stable'],
    [41, 45, 'stable'],
    [40, 45, 'declining'],
    [0, 100, 'declining'],
  ])('%p after %p is %p', (current, previous, trend) => expect(healthTrend(current, previous)).toBe(trend));

  it('is null without a previous score or without a current one', () => {
    expect(healthTrend(50, null)).toBeNull();
    expect(healthTrend(null, 50)).toBeNull();
  });

  it('takes another delta', () => {
    expect(healthTrend(52, 50, 2)).toBe('improving');
    expect(healthTrend(52, 50, 3)).toBe('stable');
  });

  it('writes the same rule as SQL and refuses a delta that is not a positive number', () => {
    expect(healthTrendSql('n', 'o', 5)).toBe(
      "CASE WHEN (n) IS NULL OR (o) IS NULL THEN NULL WHEN (n) - (o) >= 5 THEN 'improving' WHEN (o) - (n) >= 5 THEN 'declining' ELSE 'stable' END",
    );
    expect(() => healthTrendSql('n', 'o', 0)).toThrow(RangeError);
    expect(() => healthTrendSql('n', 'o', Number.NaN)).toThrow(RangeError);
  });
});
