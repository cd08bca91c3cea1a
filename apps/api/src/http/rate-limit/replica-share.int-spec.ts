import type { INestApplication } from '@nestjs/common';
import { waitFor } from '@pulse/testing';
import { ApiUnderTest, type SeededTenant } from '../../api.int-kit';

// Several api replicas on one control plane, as the autoscaler runs them: each enforces the plan divided by
// the live replicas of its group. Heartbeats every 100 ms here (10 s in production), so the waits below are
// for a count to be seen; what is asserted is what a client sees, RateLimit-Limit and 429s.
const PLAN_BURST = 10;

async function answer(baseUrl: string, tenant: SeededTenant) {
  const response = await fetch(`${baseUrl}/v1/scorecard`, { headers: { authorization: `Bearer ${tenant.apiKey}` } });
  await response.text();
  return { status: response.status, limit: response.headers.get('ratelimit-limit') };
}

/** Statuses of `count` requests in a row. */
async function statuses(baseUrl: string, tenant: SeededTenant, count: number): Promise<number[]> {
  const seen: number[] = [];
  for (let i = 0; i < count; i += 1) seen.push((await answer(baseUrl, tenant)).status);
  return seen;
}

const allowedThenLimited = (allowed: number) => [...Array<number>(allowed).fill(200), 429];

describe('rate limits shared among the live api replicas', () => {
  let api: ApiUnderTest;
  let second: { app: INestApplication; baseUrl: string } | undefined;
  /** Asked for RateLimit-Limit while waiting for a count, so the tenants under test keep their buckets. */
  let probe: SeededTenant;
  let tenant: SeededTenant;

  const limitSeen = async (baseUrl: string, expected: number) => (await answer(baseUrl, probe)).limit === String(expected);

  beforeAll(async () => {
    api = await ApiUnderTest.start({
      // A refill too slow to matter: every answer depends only on the requests before it.
      RATE_LIMIT_PLANS: JSON.stringify({ standard: { perSecond: 0.01, burst: PLAN_BURST } }),
      RATE_LIMIT_HEARTBEAT_MS: '100',
      // Fifty heartbeats: a replica stalled for a second by a loaded machine still counts, so a count does
      // not change in the middle of a burst of requests.
      RATE_LIMIT_REPLICA_WINDOW_MS: '5000',
    });
    probe = await api.seedTenant('replicas-probe');
    tenant = await api.seedTenant('replicas');
    second = await api.startReplica();
  }, 120_000);

  afterAll(async () => {
    await second?.app.close();
    await api?.stop();
  });

  it('lets each of two replicas allow half the plan, the whole plan in all', async () => {
    const replicas = [api.baseUrl, second?.baseUrl ?? ''];
    await waitFor(async () => (await limitSeen(replicas[0] ?? '', 5)) && (await limitSeen(replicas[1] ?? '', 5)), {
      description: 'both replicas to count two live replicas',
      timeoutMs: 15_000,
    });

    for (const baseUrl of replicas) {
      expect(await statuses(baseUrl, tenant, PLAN_BURST / 2 + 1)).toEqual(allowedThenLimited(PLAN_BURST / 2));
      expect((await answer(baseUrl, tenant)).limit).toBe(String(PLAN_BURST / 2));
    }
  });

  it("does not count a dedicated tenant's replicas with the shared ones, nor the reverse", async () => {
    const dedicatedTenant = await api.seedTenant('replicas-ded');
    const dedicated = await api.startReplica({ PULSE_DEDICATED_TENANT: dedicatedTenant.slug });
    try {
      // Its first heartbeat ran before it listened: alone in its group, it enforces the whole plan.
      expect(await statuses(dedicated.baseUrl, dedicatedTenant, PLAN_BURST + 1)).toEqual(allowedThenLimited(PLAN_BURST));
      expect((await answer(dedicated.baseUrl, dedicatedTenant)).limit).toBe(String(PLAN_BURST));
      expect(await limitSeen(api.baseUrl, PLAN_BURST / 2)).toBe(true);
    } finally {
      await dedicated.app.close();
    }
  }, 60_000);

  it('gives the whole plan back to the replica left when the other stops, a spent bucket staying spent', async () => {
    await second?.app.close();
    second = undefined;
    await waitFor(() => limitSeen(api.baseUrl, PLAN_BURST), { description: 'the replica left to count itself alone', timeoutMs: 15_000 });

    // The tenant had spent its half here: rescaled, it has spent its whole, and gets no fresh burst.
    expect(await answer(api.baseUrl, tenant)).toEqual({ status: 429, limit: String(PLAN_BURST) });
    const fresh = await api.seedTenant('replicas-fresh');
    expect(await statuses(api.baseUrl, fresh, PLAN_BURST + 1)).toEqual(allowedThenLimited(PLAN_BURST));
  }, 60_000);

  it('stops counting a replica that vanished without removing itself once the window has passed', async () => {
    // A pod killed outright leaves its row: seen just now, it counts until RATE_LIMIT_REPLICA_WINDOW_MS.
    await api.controlPlaneSql(`INSERT INTO api_replicas (instance_id, replica_group, last_seen_at) VALUES ('killed-pod', 'local/shared', now())`);
    await waitFor(() => limitSeen(api.baseUrl, PLAN_BURST / 2), { description: 'the killed pod to be counted', timeoutMs: 15_000 });
    await waitFor(() => limitSeen(api.baseUrl, PLAN_BURST), { description: 'the killed pod to stop counting', timeoutMs: 15_000 });
  }, 60_000);
});
