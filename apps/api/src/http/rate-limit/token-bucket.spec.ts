import { isRefilled, takeToken, type BucketState } from './token-bucket';

const limit = { perSecond: 2, burst: 3 };

describe('takeToken', () => {
  it('lets a full bucket burst, then refuses with the wait for the next token', () => {
    let state: BucketState | undefined;
    const remaining: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const result = takeToken(state, limit, 1_000);
      state = result.state;
      expect(result.decision.allowed).toBe(true);
      remaining.push(result.decision.remaining);
    }
    expect(remaining).toEqual([2, 1, 0]);
    const refused = takeToken(state, limit, 1_000);
    expect(refused.decision).toEqual({ allowed: false, limit: 3, remaining: 0, resetSeconds: 2, retryAfterSeconds: 1 });
  });

  it('refills at the plan rate, never above the burst', () => {
    const empty: BucketState = { tokens: 0, updatedAtMs: 0 };
    expect(takeToken(empty, limit, 500).decision).toMatchObject({ allowed: true, remaining: 0 });
    expect(takeToken(empty, limit, 60_000).decision).toMatchObject({ allowed: true, remaining: 2, resetSeconds: 1 });
  });

  it('knows when an idle bucket is full again', () => {
    expect(isRefilled({ tokens: 1, updatedAtMs: 0 }, limit, 999)).toBe(false);
    expect(isRefilled({ tokens: 1, updatedAtMs: 0 }, limit, 1_000)).toBe(true);
  });
});
