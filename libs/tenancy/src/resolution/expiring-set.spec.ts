import { ExpiringSet } from './expiring-set';

describe('ExpiringSet', () => {
  beforeEach(() => jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') }));
  afterEach(() => jest.useRealTimers());

  it('remembers a key for its TTL, then forgets it', () => {
    const set = new ExpiringSet(10_000, 10);
    set.add('a');
    jest.advanceTimersByTime(9_999);
    expect(set.has('a')).toBe(true);
    jest.advanceTimersByTime(1);
    expect([set.has('a'), set.size]).toEqual([false, 0]);
  });

  it('keeps at most maxEntries keys, forgetting the oldest first', () => {
    const set = new ExpiringSet(10_000, 3);
    for (const key of ['a', 'b', 'c', 'd', 'e']) set.add(key);
    expect([set.size, ...['a', 'b', 'c', 'd', 'e'].map((key) => set.has(key))]).toEqual([3, false, false, true, true, true]);
  });

  it('renews a key added again, which then counts as the newest', () => {
    const set = new ExpiringSet(10_000, 2);
    set.add('a');
    set.add('b');
    jest.advanceTimersByTime(5_000);
    set.add('a');
    set.add('c');
    jest.advanceTimersByTime(9_000);
    expect([set.has('a'), set.has('b'), set.has('c')]).toEqual([true, false, true]);
  });

  it('remembers nothing with a TTL of 0', () => {
    const set = new ExpiringSet(0, 10);
    set.add('a');
    expect([set.has('a'), set.size]).toEqual([false, 0]);
  });
});
