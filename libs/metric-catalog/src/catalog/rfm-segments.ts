/**
 * RFM segments (docs/metrics.md "RFM"): the classic 5x5 grid of recency score R against a frequency-
 * monetary score FM = round-half-up((F + M) / 2). Rows are checked in order; together they cover every
 * (R, FM) cell exactly once, which rfm-segments.spec.ts checks.
 */
export interface RfmSegmentRule {
  readonly segment: string;
  readonly recency: readonly [number, number];
  readonly frequencyMonetary: readonly [number, number];
}

export const RFM_SEGMENT_RULES: readonly RfmSegmentRule[] = [
  { segment: 'Champions', recency: [5, 5], frequencyMonetary: [4, 5] },
  { segment: 'Loyal', recency: [3, 4], frequencyMonetary: [4, 5] },
  { segment: 'Potential Loyalists', recency: [4, 5], frequencyMonetary: [2, 3] },
  { segment: 'New Customers', recency: [5, 5], frequencyMonetary: [1, 1] },
  { segment: 'Promising', recency: [4, 4], frequencyMonetary: [1, 1] },
  { segment: 'Need Attention', recency: [3, 3], frequencyMonetary: [3, 3] },
  { segment: 'About to Sleep', recency: [3, 3], frequencyMonetary: [1, 2] },
  { segment: "Can't Lose Them", recency: [1, 2], frequencyMonetary: [5, 5] },
  { segment: 'At Risk', recency: [1, 2], frequencyMonetary: [3, 4] },
  { segment: 'Hibernating', recency: [1, 2], frequencyMonetary: [1, 2] },
];

/** FM score from F and M (1-5 each): (F + M) / 2 rounded half up, i.e. (F + M + 1) div 2. */
export function frequencyMonetaryScore(frequency: number, monetary: number): number {
  return Math.floor((frequency + monetary + 1) / 2);
}

export function rfmSegmentOf(recency: number, frequency: number, monetary: number): string {
  const fm = frequencyMonetaryScore(frequency, monetary);
  const rule = RFM_SEGMENT_RULES.find(
    (candidate) =>
      recency >= candidate.recency[0] &&
      recency <= candidate.recency[1] &&
      fm >= candidate.frequencyMonetary[0] &&
      fm <= candidate.frequencyMonetary[1],
  );
  if (!rule) throw new Error(`No RFM segment for R=${recency} F=${frequency} M=${monetary}`);
  return rule.segment;
}
