import { integerValue, isoFromMicros } from './iso-timestamp';

describe('isoFromMicros', () => {
  it('prints milliseconds, and microseconds only when present', () => {
    expect(isoFromMicros(0n)).toBe('1970-01-01T00:00:00.000Z');
    // 1709287200 s = 2024-03-01T10:00:00Z
    expect(isoFromMicros(1_709_287_200_000_000n)).toBe('2024-03-01T10:00:00.000Z');
    expect(isoFromMicros(1_709_287_200_123_000n)).toBe('2024-03-01T10:00:00.123Z');
    expect(isoFromMicros(1_709_287_200_123_456n)).toBe('2024-03-01T10:00:00.123456Z');
    expect(isoFromMicros(1_709_287_200_000_007n)).toBe('2024-03-01T10:00:00.000007Z');
  });

  it('handles instants before 1970', () => {
    expect(isoFromMicros(-1n)).toBe('1969-12-31T23:59:59.999999Z');
    expect(isoFromMicros(-1_000_000n)).toBe('1969-12-31T23:59:59.000Z');
  });
});

describe('integerValue', () => {
  it('is a number when exact, text beyond 2^53', () => {
    expect(integerValue(42n)).toBe(42);
    expect(integerValue(-9_007_199_254_740_991n)).toBe(-9_007_199_254_740_991);
    expect(integerValue(9_007_199_254_740_993n)).toBe('9007199254740993');
    expect(integerValue(7)).toBe(7);
  });
});
