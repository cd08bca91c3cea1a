import { compareCursorValues, shiftCursorBack } from './cursor-values';

describe('shiftCursorBack', () => {
  it('moves timestamps back keeping their exact shape (separator, fraction, zone)', () => {
    expect(shiftCursorBack('2026-03-01T10:00:20.400004', 'timestamp', 60)).toBe('2026-03-01T09:59:20.400004');
    expect(shiftCursorBack('2026-03-01 00:00:30', 'timestamp', 3600)).toBe('2026-02-28 23:00:30');
    expect(shiftCursorBack('2026-01-01T00:00:00.5Z', 'timestamptz', 1)).toBe('2025-12-31T23:59:59.5Z');
    expect(shiftCursorBack('2026-03-01T10:00:00.123456789+02:00', 'timestamptz', 90)).toBe('2026-03-01T09:58:30.123456789+02:00');
  });

  it('moves dates back by whole days, rounding the window up', () => {
    expect(shiftCursorBack('2026-03-01', 'date', 1)).toBe('2026-02-28');
    expect(shiftCursorBack('2026-03-01', 'date', 86_400 * 2)).toBe('2026-02-27');
  });

  it('subtracts from numeric cursors exactly, beyond 2^53 too', () => {
    expect(shiftCursorBack(1000, 'integer', 10)).toBe(990);
    expect(shiftCursorBack('9007199254740993', 'integer', 3)).toBe('9007199254740990');
    expect(shiftCursorBack('100.75', 'decimal', 10)).toBe('90');
    expect(shiftCursorBack('-1.5', 'decimal', 1)).toBe('-3');
  });

  it('never moves a decimal cursor beyond 2^53 less than the window (a double rounded 9007199254740995.5 - 1 up)', () => {
    // Before: '9007199254740996', above a row at ...995.7 that the window must re-read.
    expect(shiftCursorBack('9007199254740995.5', 'decimal', 1)).toBe('9007199254740994');
    expect(shiftCursorBack('123456789012345678901234567890.25', 'decimal', 60)).toBe('123456789012345678901234567830');
  });

  it('refuses cursors it cannot move back', () => {
    expect(() => shiftCursorBack('abc', 'text', 5)).toThrow('A lookback window needs a numeric, date or timestamp cursor');
  });
});

describe('compareCursorValues', () => {
  it('orders instants across offsets and by microseconds', () => {
    expect(compareCursorValues('2026-03-01T10:00:00+02:00', '2026-03-01T09:00:00Z', 'timestamptz')).toBeLessThan(0);
    expect(compareCursorValues('2026-03-01T10:00:00.000002', '2026-03-01T10:00:00.000001', 'timestamp')).toBeGreaterThan(0);
    expect(compareCursorValues('9007199254740993', '9007199254740992', 'integer')).toBe(1);
  });
});
