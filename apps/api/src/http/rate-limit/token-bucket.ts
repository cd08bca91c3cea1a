/** A plan's limit: a steady rate and how many requests may arrive at once on a full bucket. */
export interface BucketLimit {
  perSecond: number;
  burst: number;
}

/** What one request did to its bucket: let through or not, and the numbers for the RateLimit-* headers. */
export interface BucketDecision {
  allowed: boolean;
  limit: number;
  /** Whole requests left right now. */
  remaining: number;
  /** Seconds until the bucket is full again (RateLimit-Reset). */
  resetSeconds: number;
  /** Seconds until one request is allowed again; 0 when allowed (Retry-After). */
  retryAfterSeconds: number;
}

export interface BucketState {
  tokens: number;
  updatedAtMs: number;
}

/**
 * Token bucket: `burst` tokens at most, refilled continuously at `perSecond`; each request takes one.
 * Pure (the caller keeps the state and passes the clock) so it is tested without timers.
 */
export function takeToken(state: BucketState | undefined, limit: BucketLimit, nowMs: number): { state: BucketState; decision: BucketDecision } {
  const elapsedSeconds = state ? Math.max(0, nowMs - state.updatedAtMs) / 1000 : 0;
  const available = state ? Math.min(limit.burst, state.tokens + elapsedSeconds * limit.perSecond) : limit.burst;
  const allowed = available >= 1;
  const tokens = allowed ? available - 1 : available;
  return {
    state: { tokens, updatedAtMs: nowMs },
    decision: {
      allowed,
      limit: limit.burst,
      remaining: Math.floor(tokens),
      resetSeconds: Math.ceil((limit.burst - tokens) / limit.perSecond),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - tokens) / limit.perSecond)),
    },
  };
}

/** Whether a bucket left alone since its last update is full again (and so can be forgotten). */
export function isRefilled(state: BucketState, limit: BucketLimit, nowMs: number): boolean {
  return state.tokens + ((nowMs - state.updatedAtMs) / 1000) * limit.perSecond >= limit.burst;
}

/**
 * The same bucket under another limit (the number of live replicas or the tenant's plan changed): refilled
 * at the old rate up to now, then scaled to be as full, in proportion, as it was. A tenant that had spent
 * its burst has spent it under the new limit too, and a full bucket stays full.
 */
export function rescaleBucket(state: BucketState, from: BucketLimit, to: BucketLimit, nowMs: number): BucketState {
  const elapsedSeconds = Math.max(0, nowMs - state.updatedAtMs) / 1000;
  const available = Math.min(from.burst, state.tokens + elapsedSeconds * from.perSecond);
  return { tokens: (available / from.burst) * to.burst, updatedAtMs: nowMs };
}

/**
 * One replica's share of a plan when `replicas` replicas share a tenant's traffic: the rate divided, the
 * burst divided and rounded down (at least 1, so a tenant is never locked out by the rounding).
 */
export function replicaShare(plan: BucketLimit, replicas: number): BucketLimit {
  return { perSecond: plan.perSecond / replicas, burst: Math.max(1, Math.floor(plan.burst / replicas)) };
}
