import { isRefilled, replicaShare, rescaleBucket, takeToken, type BucketState } from './token-bucket';

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

describe('replicaShare', () => {
  it('divides the rate and the burst among the replicas, never below a burst of 1', () => {
    const plan = { perSecond: 20, burst: 40 };
    expect(replicaShare(plan, 1)).toEqual({ perSecond: 20, burst: 40 });
    expect(replicaShare(plan, 2)).toEqual({ perSecond: 10, burst: 20 });
    expect(replicaShare(plan, 3)).toEqual({ perSecond: 20 / 3, burst: 13 });
    expect(replicaShare(plan, 12)).toEqual({ perSecond: 20 / 12, burst: 3 });
    expect(replicaShare({ perSecond: 1, burst: 2 }, 5)).toEqual({ perSecond: 0.2, burst: 1 });
  });
});

describe('rescaleBucket', () => {
  const half = { perSecond: 10, burst: 20 };
  const whole = { perSecond: 20, burst: 40 };

  it('keeps how full the bucket is, in proportion, when the limit changes', () => {
    expect(rescaleBucket({ tokens: 5, updatedAtMs: 1_000 }, half, whole, 1_000)).toEqual({ tokens: 10, updatedAtMs: 1_000 });
    expect(rescaleBucket({ tokens: 10, updatedAtMs: 1_000 }, whole, half, 1_000)).toEqual({ tokens: 5, updatedAtMs: 1_000 });
    // An empty bucket stays empty, a full one full.
    expect(rescaleBucket({ tokens: 0, updatedAtMs: 1_000 }, half, whole, 1_000).tokens).toBe(0);
    expect(rescaleBucket({ tokens: 20, updatedAtMs: 1_000 }, half, whole, 1_000).tokens).toBe(40);
  });

  it('refills at the old rate up to the change, then scales', () => {
    // 0.5 s at 10/s refills 5 of 20 tokens: a quarter full, so 10 of 40.
    expect(rescaleBucket({ tokens: 0, updatedAtMs: 1_000 }, half, whole, 1_500)).toEqual({ tokens: 10, updatedAtMs: 1_500 });
    // Long idle: full under the old limit, full under the new one.
    expect(rescaleBucket({ tokens: 0, updatedAtMs: 0 }, half, whole, 60_000).tokens).toBe(40);
  });
});
