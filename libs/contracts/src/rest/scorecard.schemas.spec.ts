import { DEFAULT_SCORECARD, scorecardDefinitionSchema } from './scorecard.schemas';

// The metrics service validates the stored scorecard with this schema before scoring with it, so what
// it refuses here never reaches the scorer (weights summing to infinity made every score NaN).
function issuesOf(input: unknown): Array<{ path: string; message: string }> {
  const parsed = scorecardDefinitionSchema.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
}

const measure = (overrides: Record<string, unknown>) => ({ metric: 'orders', weight: 1, scoring: { type: 'linear', min: 0, max: 10 }, ...overrides });

describe('scorecardDefinitionSchema bounds', () => {
  it('accepts the default scorecard and numbers at the edges of their ranges', () => {
    expect(issuesOf(DEFAULT_SCORECARD)).toEqual([]);
    expect(
      issuesOf({
        measures: [
          measure({ metric: 'revenueTotal', weight: 1000, scoring: { type: 'linear', min: -1e15, max: 1e15 } }),
          measure({ metric: 'orders', weight: 0, scoring: { type: 'thresholds', red: -1e15, yellow: 0, green: 1e15 }, missing: { rule: 'score', score: 100 } }),
        ],
        bands: { yellow: 0, green: 100 },
      }),
    ).toEqual([]);
  });

  it('scores custom fields by any name ingestion gives one (up to 255 characters, a digit first too), and nothing else', () => {
    const metrics = (...names: string[]) => issuesOf({ measures: names.map((metric) => measure({ metric })), bands: { yellow: 40, green: 70 } });
    expect(metrics('custom.nps_2024', `custom.${'f'.repeat(255)}`, 'custom.2024_revenue', 'custom.kod_klienta')).toEqual([]);
    const refused = { message: 'must be a KPI name or custom.<field>' };
    expect(metrics(`custom.${'f'.repeat(256)}`, 'custom._x', 'custom.', 'custom.a-b', '2024_revenue')).toEqual(
      [0, 1, 2, 3, 4].map((i) => ({ path: `measures.${i}.metric`, ...refused })),
    );
  });

  it('refuses weights above 1000, such as two of 1e308 that sum to infinity', () => {
    expect(issuesOf({ measures: [measure({ weight: 1e308 }), measure({ metric: 'revenue90d', weight: 1e308 })], bands: { yellow: 40, green: 70 } })).toEqual([
      { path: 'measures.0.weight', message: 'must be at most 1000' },
      { path: 'measures.1.weight', message: 'must be at most 1000' },
    ]);
    expect(issuesOf({ measures: [measure({ weight: 1000.5 })], bands: { yellow: 40, green: 70 } })).toEqual([{ path: 'measures.0.weight', message: 'must be at most 1000' }]);
  });

  it('refuses linear bounds and thresholds beyond ±10^15', () => {
    expect(
      issuesOf({
        measures: [
          measure({ scoring: { type: 'linear', min: -1e308, max: 1e308 } }),
          measure({ metric: 'revenue90d', scoring: { type: 'thresholds', red: 1, yellow: 2, green: 1e16 } }),
          measure({ metric: 'daysSinceLastOrder', direction: 'lower_is_better', scoring: { type: 'thresholds', red: 1e300, yellow: 90, green: -1e300 } }),
        ],
        bands: { yellow: 40, green: 70 },
      }).map((issue) => issue.path),
    ).toEqual(['measures.0.scoring.min', 'measures.0.scoring.max', 'measures.1.scoring.green', 'measures.2.scoring.red', 'measures.2.scoring.green']);
    expect(issuesOf({ measures: [measure({ scoring: { type: 'linear', min: 0, max: 1e16 } })], bands: { yellow: 40, green: 70 } })).toEqual([
      { path: 'measures.0.scoring.max', message: 'must be between -1e15 and 1e15' },
    ]);
  });

  it('keeps missing scores and bands within 0..100', () => {
    expect(
      issuesOf({ measures: [measure({ missing: { rule: 'score', score: -1 } })], bands: { yellow: -5, green: 1e308 } }).map((issue) => issue.path),
    ).toEqual(['measures.0.missing.score', 'bands.yellow', 'bands.green']);
  });
});
