import { SecretBox } from '@pulse/crypto';
import { apiConfigSchema } from '../../config/api.config';
import { TenantRateLimiter } from './tenant-rate-limiter';

const baseEnv = {
  DATABASE_URL: 'postgresql://pulse@127.0.0.1:5432/pulse_control',
  PULSE_SECRETS_KEY: SecretBox.generateKey(),
  // Refills too slowly to matter within a test: each answer depends only on the requests before it.
  RATE_LIMIT_PLANS: JSON.stringify({ standard: { perSecond: 0.01, burst: 12 }, enterprise: { perSecond: 0.05, burst: 60 } }),
};

/** Requests allowed in a row for a tenant at `nowMs`, and the RateLimit-Limit they carried. */
function drain(limiter: TenantRateLimiter, tenantId: string, plan: string | undefined, nowMs: number) {
  let allowed = 0;
  let limit = 0;
  for (;;) {
    const decision = limiter.take(tenantId, plan, nowMs);
    limit = decision.limit;
    if (!decision.allowed) return { allowed, limit };
    allowed += 1;
  }
}

describe('TenantRateLimiter', () => {
  let limiter: TenantRateLimiter;

  beforeEach(() => {
    limiter = new TenantRateLimiter(apiConfigSchema.parse(baseEnv));
  });

  afterEach(() => {
    limiter.onModuleDestroy();
  });

  it('enforces the whole plan while it is the only replica', () => {
    expect(drain(limiter, 'a', undefined, 0)).toEqual({ allowed: 12, limit: 12 });
    expect(drain(limiter, 'b', 'enterprise', 0)).toEqual({ allowed: 60, limit: 60 });
  });

  it("enforces its share of the plan as replicas come and go, each tenant's bucket carried over in proportion", () => {
    limiter.setLiveReplicas(3);
    expect(drain(limiter, 'a', undefined, 0)).toEqual({ allowed: 4, limit: 4 });
    // Half of b's share spent when a fourth replica appears: half of the smaller share left.
    for (let i = 0; i < 10; i += 1) expect(limiter.take('b', 'enterprise', 0).allowed).toBe(true);
    limiter.setLiveReplicas(4);
    expect(drain(limiter, 'b', 'enterprise', 0)).toEqual({ allowed: 7, limit: 15 });

    // Back to two: a spent tenant stays spent (no fresh burst from the change), an unseen one gets the new share.
    limiter.setLiveReplicas(2);
    expect(drain(limiter, 'a', undefined, 0)).toEqual({ allowed: 0, limit: 6 });
    expect(drain(limiter, 'c', undefined, 0)).toEqual({ allowed: 6, limit: 6 });
  });

  it('never goes below one replica', () => {
    limiter.setLiveReplicas(0);
    expect(limiter.liveReplicas).toBe(1);
    expect(drain(limiter, 'a', undefined, 0)).toEqual({ allowed: 12, limit: 12 });
  });

  it('gives a plan it does not list, whatever its name, the standard limit', () => {
    for (const [tenant, plan] of [['a', 'enterprize'], ['b', 'constructor'], ['c', 'toString'], ['d', '__proto__']]) {
      expect(drain(limiter, tenant as string, plan, 0)).toEqual({ allowed: 12, limit: 12 });
    }
  });

  it("carries a bucket over when the tenant's plan changes", () => {
    for (let i = 0; i < 6; i += 1) limiter.take('a', undefined, 0);
    // Half of standard's 12 spent: half of enterprise's 60 left.
    expect(drain(limiter, 'a', 'enterprise', 0)).toEqual({ allowed: 30, limit: 60 });
  });
});

describe('the replica settings of the api config', () => {
  it('groups replicas by namespace and dedicated tenant', () => {
    expect(apiConfigSchema.parse(baseEnv).http.rateLimits.replicas).toEqual({ group: 'local/shared', heartbeatMs: 10_000, windowMs: 30_000 });
    expect(apiConfigSchema.parse({ ...baseEnv, POD_NAMESPACE: 'pulse-production', PULSE_DEDICATED_TENANT: 'acme' }).http.rateLimits.replicas.group).toBe(
      'pulse-production/acme',
    );
  });

  it('refuses a window a live replica could drop out of between two heartbeats', () => {
    const result = apiConfigSchema.safeParse({ ...baseEnv, RATE_LIMIT_HEARTBEAT_MS: '10000', RATE_LIMIT_REPLICA_WINDOW_MS: '15000' });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
      ['RATE_LIMIT_REPLICA_WINDOW_MS', 'must be at least twice RATE_LIMIT_HEARTBEAT_MS'],
    ]);
  });
});
