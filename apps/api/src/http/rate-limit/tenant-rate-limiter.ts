import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { API_CONFIG, type ApiConfig } from '../../config/api.config';
import { isRefilled, replicaShare, rescaleBucket, takeToken, type BucketDecision, type BucketLimit, type BucketState } from './token-bucket';

const SWEEP_INTERVAL_MS = 60_000;

interface TenantBucket {
  state: BucketState;
  /** The limit `state` was last computed under. */
  limit: BucketLimit;
  plan: string | undefined;
}

/**
 * One token bucket per tenant, in this replica's memory. Each replica enforces its share of the plan: the
 * plan divided by the live replicas of its group (ReplicaHeartbeat counts them in the control plane and
 * calls setLiveReplicas), so the whole deployment allows about the plan's limit when the load balancer
 * spreads a tenant's requests evenly, however many pods the autoscaler runs (a shared store would make it
 * exact at the cost of a round trip per request).
 */
@Injectable()
export class TenantRateLimiter implements OnModuleDestroy {
  private readonly buckets = new Map<string, TenantBucket>();
  /** Each plan's share at the current replica count: computed on a change, not on every request. */
  private readonly shares = new Map<string | undefined, BucketLimit>();
  private replicas = 1;
  private readonly sweeper: NodeJS.Timeout;

  constructor(@Inject(API_CONFIG) private readonly config: ApiConfig) {
    // Full buckets carry no information: forget them so idle tenants cost no memory.
    this.sweeper = setInterval(() => this.sweep(Date.now()), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  /** How many replicas this one shares each tenant's limit with, itself included. */
  get liveReplicas(): number {
    return this.replicas;
  }

  /**
   * A new count of live replicas. Each tenant's bucket moves to its new share at its next request (take
   * rescales a bucket whose limit is not the current one), as full in proportion as it was, so a count
   * that changes under load neither refills nor empties anyone's bucket.
   */
  setLiveReplicas(count: number): void {
    const replicas = Math.max(1, Math.floor(count));
    if (replicas === this.replicas) return;
    this.replicas = replicas;
    this.shares.clear();
  }

  limitFor(plan: string | undefined): BucketLimit {
    const cached = this.shares.get(plan);
    if (cached) return cached;
    const { plans } = this.config.http.rateLimits;
    // Own keys only: a plan named `constructor` or `toString` would find Object.prototype's (a NaN limit,
    // every request 429). A plan RATE_LIMIT_PLANS does not list gets standard's limit.
    const planLimit = (plan !== undefined && Object.hasOwn(plans, plan) ? plans[plan] : undefined) ?? plans['standard'];
    if (!planLimit) throw new Error('RATE_LIMIT_PLANS has no "standard" plan'); // validated at boot
    const share = replicaShare(planLimit, this.replicas);
    this.shares.set(plan, share);
    return share;
  }

  take(tenantId: string, plan: string | undefined, nowMs = Date.now()): BucketDecision {
    const limit = this.limitFor(plan);
    const bucket = this.buckets.get(tenantId);
    // The replica count or the tenant's plan changed since its last request: the bucket carries over.
    const current = bucket && !sameLimit(bucket.limit, limit) ? rescaleBucket(bucket.state, bucket.limit, limit, nowMs) : bucket?.state;
    const { state, decision } = takeToken(current, limit, nowMs);
    this.buckets.set(tenantId, { state, limit, plan });
    return decision;
  }

  private sweep(nowMs: number): void {
    for (const [tenantId, bucket] of this.buckets) if (isRefilled(bucket.state, bucket.limit, nowMs)) this.buckets.delete(tenantId);
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }
}

function sameLimit(a: BucketLimit, b: BucketLimit): boolean {
  return a.perSecond === b.perSecond && a.burst === b.burst;
}
