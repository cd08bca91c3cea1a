import { measureScore } from './measure-score';

const thresholds = (red: number, yellow: number, green: number) => ({ type: 'thresholds' as const, red, yellow, green });
const linear = (min: number, max: number) => ({ type: 'linear' as const, min, max });

describe('measureScore', () => {
  describe('thresholds, higher is better (orders: red 1, yellow 3, green 10)', () => {
    const measure = { direction: 'higher_is_better' as const, scoring: thresholds(1, 3, 10) };
    it.each([
      [25, 100],
      [10, 100], // exactly on green: the better step
      [9.99, 60],
      [3, 60],
      [2, 30],
      [1, 30],
      [0.5, 0],
      [-4, 0],
    ])('%p scores %p', (value, expected) => expect(measureScore(measure, value)).toBe(expected));
  });

  describe('thresholds, lower is better (days since last order: red 180, yellow 90, green 30)', () => {
    const measure = { direction: 'lower_is_better' as const, scoring: thresholds(180, 90, 30) };
    it.each([
      [0, 100],
      [30, 100],
      [31, 60],
      [90, 60],
      [91, 30],
      [180, 30],
      [181, 0],
    ])('%p scores %p', (value, expected) => expect(measureScore(measure, value)).toBe(expected));
  });

  describe('linear', () => {
    it('maps min..max onto 0..100 and clamps outside', () => {
      const measure = { direction: 'higher_is_better' as const, scoring: linear(0, 1000) };
      expect(measureScore(measure, 250)).toBe(25);
      expect(measureScore(measure, 0)).toBe(0);
      expect(measureScore(measure, 1000)).toBe(100);
      expect(measureScore(measure, -5)).toBe(0);
      expect(measureScore(measure, 1500)).toBe(100);
    });

    it('works over a negative range (NPS -100..100: 20 is 60% of the way)', () => {
      expect(measureScore({ direction: 'higher_is_better', scoring: linear(-100, 100) }, 20)).toBe(60);
    });

    it('turns around for lower_is_better: min scores 100, max 0', () => {
      const measure = { direction: 'lower_is_better' as const, scoring: linear(0, 200) };
      expect(measureScore(measure, 50)).toBe(75);
      expect(measureScore(measure, 0)).toBe(100);
      expect(measureScore(measure, 200)).toBe(0);
      expect(measureScore(measure, -10)).toBe(100);
      expect(measureScore(measure, 250)).toBe(0);
    });
  });
});
