import { DEFAULT_SCORECARD, scorecardDefinitionSchema, type ScorecardDefinition } from '@pulse/contracts';
import { compileScorecard, type CustomerValues } from './score-customer';

/** Values as the write-back sees them: KPI columns as CSV text ('' = NULL), custom fields as JSON values. */
function values(kpis: Record<string, string>, custom: Record<string, unknown> = {}): CustomerValues {
  return { kpi: (column) => kpis[column] ?? '', custom: (field) => custom[field] };
}

/** A scorecard as the API stores it (defaults filled in by the shared schema). */
function scorecard(input: unknown): ScorecardDefinition {
  return scorecardDefinitionSchema.parse(input);
}

const pointsSum = (contributions: Array<{ points: number }>) => Math.round(contributions.reduce((sum, c) => sum + c.points, 0) * 100) / 100;

describe('compileScorecard(...).score', () => {
  describe('the default scorecard', () => {
    const scorer = compileScorecard(DEFAULT_SCORECARD);

    it('weights the measure scores, rounds half up, bands the result and splits it into points', () => {
      // days 45 -> 60 (past yellow 90, not green 30); revenue 250 of 0..1000 -> 25; orders 4 -> 60 (past yellow 3).
      // (0.5 x 60 + 0.3 x 25 + 0.2 x 60) / 1.0 = 30 + 7.5 + 12 = 49.5 -> 50, yellow (40 <= 50 < 70).
      // Points: 50 in proportion 30 : 7.5 : 12 = 30.303 / 7.576 / 12.121 -> hundredths by largest remainder.
      const health = scorer.score(values({ days_since_last_order: '45', revenue_90d: '250.0000', orders_count: '4' }));
      expect(health).toEqual({
        score: 50,
        band: 'yellow',
        contributions: [
          { measure: 'daysSinceLastOrder', value: 45, weight: 0.5, score: 60, points: 30.3 },
          { measure: 'revenue90d', value: 250, weight: 0.3, score: 25, points: 7.58 },
          { measure: 'orders', value: 4, weight: 0.2, score: 60, points: 12.12 },
        ],
      });
    });

    it.each([
      // revenue90d on the default 0..1000 line: exact scores 37.825, 67.335, 83.155 (in binary floating point
      // 37.824999999999996, ...), two decimals half away from zero as every rounding of docs/metrics.md.
      ['378.2500', 37.83],
      ['673.3500', 67.34],
      ['831.5500', 83.16],
      ['125.0050', 12.5],
    ])("rounds a measure's score of revenue %s to %s, as the exact decimal would round", (revenue, expected) => {
      const health = scorer.score(values({ days_since_last_order: '45', revenue_90d: revenue, orders_count: '4' }));
      expect(health.contributions.find((c) => c.measure === 'revenue90d')?.score).toBe(expected);
    });

    it('scores a customer who never ordered 0 (red): recency and revenue count as 0, orders are left out', () => {
      const health = scorer.score(values({ orders_count: '' }));
      expect(health.score).toBe(0);
      expect(health.band).toBe('red');
      expect(health.contributions.map((c) => [c.measure, c.value, c.score, c.points])).toEqual([
        ['daysSinceLastOrder', null, 0, 0],
        ['revenue90d', null, 0, 0],
        ['orders', null, null, 0],
      ]);
    });

    it('gives a perfect customer 100, green', () => {
      const health = scorer.score(values({ days_since_last_order: '2', revenue_90d: '5000', orders_count: '12' }));
      expect(health).toMatchObject({ score: 100, band: 'green' });
      expect(health.contributions.map((c) => c.points)).toEqual([50, 30, 20]);
    });
  });

  it('leaves the score and band null when every measure is missing and excluded', () => {
    const scorer = compileScorecard(
      scorecard({
        measures: [
          { metric: 'lastNps', weight: 1, scoring: { type: 'linear', min: -100, max: 100 } },
          { metric: 'openTickets', weight: 2, direction: 'lower_is_better', scoring: { type: 'thresholds', red: 5, yellow: 2, green: 0 } },
        ],
        bands: { yellow: 40, green: 70 },
      }),
    );
    expect(scorer.score(values({}))).toEqual({
      score: null,
      band: null,
      contributions: [
        { measure: 'lastNps', value: null, weight: 1, score: null, points: 0 },
        { measure: 'openTickets', value: null, weight: 2, score: null, points: 0 },
      ],
    });
  });

  it('scores on the remaining weights when a measure is excluded', () => {
    const scorer = compileScorecard(
      scorecard({
        measures: [
          { metric: 'lastNps', weight: 1, scoring: { type: 'linear', min: -100, max: 100 } },
          { metric: 'openTickets', weight: 3, direction: 'lower_is_better', scoring: { type: 'thresholds', red: 5, yellow: 2, green: 0 } },
        ],
        bands: { yellow: 40, green: 70 },
      }),
    );
    // NPS missing and excluded; 1 open ticket is at or below yellow (2), not green (0): 60, the whole score.
    const health = scorer.score(values({ open_tickets: '1' }));
    expect(health).toMatchObject({ score: 60, band: 'yellow' });
    expect(health.contributions.map((c) => c.points)).toEqual([0, 60]);
  });

  describe('zero weights', () => {
    const definition = scorecard({
      measures: [
        { metric: 'mrr', weight: 0, scoring: { type: 'linear', min: 0, max: 100 } },
        { metric: 'orders', weight: 2, scoring: { type: 'thresholds', red: 1, yellow: 3, green: 10 } },
      ],
      bands: { yellow: 40, green: 70 },
    });
    const scorer = compileScorecard(definition);

    it('shows a weight-0 measure with its score but no points, and does not let it move the score', () => {
      const health = scorer.score(values({ mrr: '50', orders_count: '1' }));
      expect(health).toEqual({
        score: 30,
        band: 'red',
        contributions: [
          { measure: 'mrr', value: 50, weight: 0, score: 50, points: 0 },
          { measure: 'orders', value: 1, weight: 2, score: 30, points: 30 },
        ],
      });
    });

    it('has no score when only weight-0 measures have values', () => {
      expect(scorer.score(values({ mrr: '50' }))).toMatchObject({ score: null, band: null });
    });
  });

  describe('ties at band thresholds (yellow 40, green 70) go to the better band', () => {
    const scorer = compileScorecard(scorecard({ measures: [{ metric: 'mrr', weight: 1, scoring: { type: 'linear', min: 0, max: 100 } }], bands: { yellow: 40, green: 70 } }));
    it.each([
      ['39', 39, 'red'],
      ['40', 40, 'yellow'],
      ['69.4', 69, 'yellow'],
      ['69.5', 70, 'green'], // rounds half up to 70, which is green
      ['70', 70, 'green'],
    ])('mrr %p scores %p, %p', (mrr, score, band) => expect(scorer.score(values({ mrr }))).toMatchObject({ score, band }));
  });

  it('clamps linear measures and spreads the rounding over the points', () => {
    const scorer = compileScorecard(
      scorecard({
        measures: [
          { metric: 'revenue30d', weight: 2, scoring: { type: 'linear', min: 0, max: 3 } },
          { metric: 'aovMissing', weight: 1, scoring: { type: 'linear', min: 0, max: 1 }, missing: { rule: 'score', score: 100 } },
          { metric: 'revenue365d', weight: 1, direction: 'lower_is_better', scoring: { type: 'linear', min: 10, max: 20 } },
        ],
        bands: { yellow: 40, green: 70 },
      }),
    );
    // revenue30d 1 of 0..3 -> 33.33; unknown metric -> missing -> 100; revenue365d 25 past max of a
    // lower-is-better line -> 0. (2 x 33.333 + 1 x 100 + 1 x 0) / 4 = 41.667 -> 42, yellow.
    // Points: 42 in proportion 66.667 : 100 : 0 = 16.8 / 25.2 / 0.
    const health = scorer.score(values({ revenue_30d: '1', revenue_365d: '25' }));
    expect(health).toEqual({
      score: 42,
      band: 'yellow',
      contributions: [
        { measure: 'revenue30d', value: 1, weight: 2, score: 33.33, points: 16.8 },
        { measure: 'aovMissing', value: null, weight: 1, score: 100, points: 25.2 },
        { measure: 'revenue365d', value: 25, weight: 1, score: 0, points: 0 },
      ],
    });
  });

  it('reads custom.<field> measures from custom fields; non-numeric values are missing', () => {
    const scorer = compileScorecard(
      scorecard({
        measures: [
          { metric: 'custom.seats', weight: 1, scoring: { type: 'thresholds', red: 1, yellow: 5, green: 20 }, missing: { rule: 'score', score: 10 } },
          { metric: 'active30d', weight: 1, scoring: { type: 'thresholds', red: 0, yellow: 0.5, green: 1 } },
        ],
        bands: { yellow: 40, green: 70 },
      }),
    );
    expect(scorer.customFields).toEqual(['seats']);
    // seats "25" (text in the JSON) -> 100; active true -> 1 -> 100.
    expect(scorer.score(values({ active_30d: 'true' }, { seats: '25' })).score).toBe(100);
    // seats 7 -> 60; inactive -> 0 is at red (0) -> 30: (60 + 30) / 2 = 45.
    expect(scorer.score(values({ active_30d: 'false' }, { seats: 7 })).score).toBe(45);
    // "many" is no number: the fixed missing score 10; (10 + 30) / 2 = 20.
    const health = scorer.score(values({ active_30d: 'false' }, { seats: 'many' }));
    expect(health.score).toBe(20);
    expect(health.contributions[0]).toEqual({ measure: 'custom.seats', value: null, weight: 1, score: 10, points: 5 });
  });

  it('reports measures that name no known KPI (they are always missing)', () => {
    const scorer = compileScorecard(scorecard({ measures: [{ metric: 'revenue_90d', weight: 1, scoring: { type: 'linear', min: 0, max: 1 } }], bands: { yellow: 40, green: 70 } }));
    expect(scorer.unknownMetrics).toEqual(['revenue_90d']);
    expect(scorer.score(values({ revenue_90d: '1' })).score).toBeNull();
  });

  it('always splits the score into points that add up to it exactly', () => {
    const scorer = compileScorecard(
      scorecard({
        measures: [
          { metric: 'orders', weight: 0.7, scoring: { type: 'linear', min: 0, max: 7 } },
          { metric: 'mrr', weight: 0.2, scoring: { type: 'linear', min: 0, max: 3 } },
          { metric: 'lastNps', weight: 0.1, scoring: { type: 'linear', min: -100, max: 100 } },
        ],
        bands: { yellow: 40, green: 70 },
      }),
    );
    for (let orders = 0; orders <= 7; orders += 1) {
      for (let mrr = 0; mrr <= 3; mrr += 1) {
        for (const nps of [-100, -33, 0, 17, 100]) {
          const health = scorer.score(values({ orders_count: String(orders), mrr: String(mrr), last_nps: String(nps) }));
          expect(pointsSum(health.contributions)).toBe(health.score);
        }
      }
    }
  });
});
