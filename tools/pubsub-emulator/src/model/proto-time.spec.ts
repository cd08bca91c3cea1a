import { durationToMs, msToDuration } from './proto-time';

describe('proto durations', () => {
  it('converts seconds and nanos to milliseconds', () => {
    expect(durationToMs({ seconds: 1, nanos: 500_000_000 })).toBe(1500);
    expect(durationToMs({ seconds: '600' })).toBe(600_000);
    expect(durationToMs({ nanos: 250_000_000 })).toBe(250);
  });

  it('treats an absent duration as unset', () => {
    expect(durationToMs(null)).toBeUndefined();
    expect(durationToMs(undefined)).toBeUndefined();
  });

  it('converts milliseconds back, keeping sub-second precision in nanos', () => {
    expect(msToDuration(1_795_686_646_170)).toEqual({ seconds: 1_795_686_646, nanos: 170_000_000 });
    expect(msToDuration(0)).toEqual({ seconds: 0, nanos: 0 });
  });
});
