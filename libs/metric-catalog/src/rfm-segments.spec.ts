import { frequencyMonetaryScore, RFM_SEGMENT_RULES, rfmSegmentOf } from './catalog/rfm-segments';

describe('RFM segment grid', () => {
  it('assigns every (R, FM) cell to exactly one segment', () => {
    for (let recency = 1; recency <= 5; recency += 1) {
      for (let fm = 1; fm <= 5; fm += 1) {
        const matches = RFM_SEGMENT_RULES.filter(
          (rule) => recency >= rule.recency[0] && recency <= rule.recency[1] && fm >= rule.frequencyMonetary[0] && fm <= rule.frequencyMonetary[1],
        );
        expect({ recency, fm, segments: matches.map((rule) => rule.segment) }).toEqual({ recency, fm, segments: [matches[0]?.segment] });
      }
    }
  });

  it('rounds (F + M) / 2 half up', () => {
    expect(frequencyMonetaryScore(1, 1)).toBe(1);
    expect(frequencyMonetaryScore(1, 2)).toBe(2); // 1.5 -> 2
    expect(frequencyMonetaryScore(4, 5)).toBe(5); // 4.5 -> 5
    expect(frequencyMonetaryScore(3, 4)).toBe(4);
  });

  it('names the documented corners', () => {
    expect(rfmSegmentOf(5, 5, 5)).toBe('Champions');
    expect(rfmSegmentOf(5, 1, 1)).toBe('New Customers');
    expect(rfmSegmentOf(1, 5, 5)).toBe("Can't Lose Them");
    expect(rfmSegmentOf(1, 1, 1)).toBe('Hibernating');
    expect(rfmSegmentOf(2, 3, 4)).toBe('At Risk'); // FM (3 + 4 + 1) div 2 = 4
    expect(rfmSegmentOf(3, 3, 3)).toBe('Need Attention');
  });
});
