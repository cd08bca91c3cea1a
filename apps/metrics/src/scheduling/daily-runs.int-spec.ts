import { localDateOf } from '@pulse/metric-catalog';
import { MetricsUnderTest, type SeededTenant } from '../metrics.int-kit';
import { MetricsScheduler } from './metrics-scheduler';

// The sweep's daily runs: KPIs that depend on the day (days since the last order, 30-day windows,
// health) must move on for a tenant that sends no new data. Real PostgreSQL and DuckDB, the service in process.

describe('daily runs (the sweep rolls KPIs of an earlier day forward)', () => {
  let kit: MetricsUnderTest;

  beforeAll(async () => {
    kit = await MetricsUnderTest.start({ METRICS_DAILY_RUNS: 'true' });
  });

  afterAll(async () => {
    await kit?.stop();
  });

  const scheduler = () => kit.app.get(MetricsScheduler);
  const today = (timezone: string) => localDateOf(new Date(), timezone);
  const dailyRuns = async (tenant: SeededTenant) => (await kit.runs(tenant)).filter((run) => run.reason === 'daily');

  /** A tenant whose last run computed the day it ran on, `daysAgo` days ago (as if nothing had happened since). */
  async function tenantLastComputed(prefix: string, timezone: string, daysAgo: number): Promise<SeededTenant> {
    const tenant = await kit.seedTenant(prefix, { settings: { timezone } });
    const runId = await kit.queueRunLikeTheApi(tenant, { reason: 'ingestion' });
    scheduler().request(tenant.tenantId);
    expect(await kit.waitForRun(tenant, runId)).toMatchObject({ status: 'succeeded', as_of: today(timezone) });
    await kit.tenantSql(
      tenant,
      `UPDATE metric_runs SET as_of = as_of - $2::int, requested_at = requested_at - make_interval(days => $2),
              started_at = started_at - make_interval(days => $2), finished_at = finished_at - make_interval(days => $2)
        WHERE id = $1`,
      [runId, daysAgo],
    );
    return tenant;
  }

  it("queues one run for a tenant whose KPIs are of an earlier day, which computes the tenant's today; the next sweep queues none", async () => {
    // UTC+14: its today is often not UTC's.
    const tenant = await tenantLastComputed('idle', 'Pacific/Kiritimati', 3);

    await scheduler().sweep();
    const [daily] = await dailyRuns(tenant);
    expect(daily).toBeDefined();
    expect(await kit.waitForRun(tenant, daily?.id as string)).toMatchObject({ status: 'succeeded', as_of: today('Pacific/Kiritimati') });

    await scheduler().sweep();
    expect(await dailyRuns(tenant)).toHaveLength(1);
    expect((await kit.runs(tenant)).filter((run) => run.status === 'queued')).toEqual([]);
  });

  it('leaves alone a tenant whose latest KPIs are a day it asked for (a backfill), and a tenant with no run yet', async () => {
    const backfilled = await kit.seedTenant('backfill');
    const runId = await kit.queueRunLikeTheApi(backfilled, { reason: 'manual', asOf: '2026-06-30' });
    scheduler().request(backfilled.tenantId);
    expect(await kit.waitForRun(backfilled, runId)).toMatchObject({ status: 'succeeded', as_of: '2026-06-30' });
    const fresh = await kit.seedTenant('fresh');

    await scheduler().sweep();
    expect((await kit.runs(backfilled)).map((run) => run.id)).toEqual([runId]);
    expect(await kit.runs(fresh)).toEqual([]);
  });

  it('queues a failed daily run again only an hour after the last one, not at every sweep', async () => {
    const tenant = await tenantLastComputed('failing', 'UTC', 1);
    await kit.tenantSql(tenant, `INSERT INTO metric_runs (status, reason, requested_at, finished_at, error) VALUES ('failed', 'daily', now() - interval '5 minutes', now(), 'warehouse unavailable')`);

    await scheduler().sweep();
    expect((await dailyRuns(tenant)).map((run) => run.status)).toEqual(['failed']);

    await kit.tenantSql(tenant, `UPDATE metric_runs SET requested_at = now() - interval '61 minutes' WHERE reason = 'daily'`);
    await scheduler().sweep();
    const retried = (await dailyRuns(tenant)).find((run) => run.status !== 'failed');
    expect(retried).toBeDefined();
    expect(await kit.waitForRun(tenant, retried?.id as string)).toMatchObject({ status: 'succeeded', as_of: today('UTC') });
  });
});
