import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { API_CONFIG, type ApiConfig } from '../../config/api.config';
import { isRefilled, takeToken, type BucketDecision, type BucketLimit, type BucketState } from './token-bucket';

const SWEEP_INTERVAL_MS = 60_000;

/**
 * One token bucket per tenant, in this replica's memory. Each replica enforces the plan's limit divided
 * by API_REPLICAS, so the whole deployment allows about the plan's limit when the load balancer spreads
 * a tenant's requests evenly (a shared store would make it exact at the cost of a round trip per request).
 */
@Injectable()
export class TenantRateLimiter implements OnModuleDestroy {
  private readonly buckets = new Map<string, { state: BucketState; limit: BucketLimit }>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(@Inject(API_CONFIG) private readonly config: ApiConfig) {
    // Full buckets carry no information: forget them so idle tenants cost no memory.
    this.sweeper = setInterval(() => this.sweep(Date.now()), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  limitFor(plan: string | undefined): BucketLimit {
    const { plans, replicas } = this.config.http.rateLimits;
    const planLimit = (plan !== undefined ? plans[plan] : undefined) ?? plans['standard'];
    if (!planLimit) throw new Error('RATE_LIMIT_PLANS has no "standard" plan'); // validated at boot
    return { perSecond: planLimit.perSecond / replicas, burst: Math.max(1, Math.floor(planLimit.burst / replicas)) };
  }

  take(tenantId: string, plan: string | undefined, nowMs = Date.now()): BucketDecision {
    const limit = this.limitFor(plan);
    const { state, decision } = takeToken(this.buckets.get(tenantId)?.state, limit, nowMs);
    this.buckets.set(tenantId, { state, limit });
    return decision;
  }

  private sweep(nowMs: number): void {
    for (const [tenantId, bucket] of this.buckets) if (isRefilled(bucket.state, bucket.limit, nowMs)) this.buckets.delete(tenantId);
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }
}
