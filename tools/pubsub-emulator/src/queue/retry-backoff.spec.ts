import { retryDelayMs } from './retry-backoff';

describe('retryDelayMs', () => {
  const backoff = { minimumMs: 1000, maximumMs: 5000 };

  it('waits the minimum after the first failure and doubles after each further one, up to the maximum', () => {
    expect([1, 2, 3, 4, 5].map((failures) => retryDelayMs(backoff, failures))).toEqual([1000, 2000, 4000, 5000, 5000]);
  });

  it('does not wait before any failure', () => {
    expect(retryDelayMs(backoff, 0)).toBe(0);
  });

  it('stays finite for very many failures', () => {
    expect(retryDelayMs(backoff, 10_000)).toBe(5000);
  });

  it('redelivers at once when the minimum is zero', () => {
    expect(retryDelayMs({ minimumMs: 0, maximumMs: 600_000 }, 3)).toBe(0);
  });
});
