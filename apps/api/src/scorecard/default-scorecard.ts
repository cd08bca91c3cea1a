import type { ScorecardDefinition } from './scorecard.schemas';

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
