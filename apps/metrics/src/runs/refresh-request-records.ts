import { DomainError } from '@pulse/errors';
import type { TenantDatabaseClient } from '@pulse/tenancy';

/** The consumer name in processed_events. */
export const METRICS_CONSUMER = 'metrics';

export type RefreshRequest =
  | { kind: 'ingestion'; eventId: string }
  | { kind: 'refresh'; eventId: string; runId: string; asOf?: string; reason: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Makes a request durable in the tenant database, once per event (processed_events, as
 * @pulse/messaging's processOnce does, here on the tenant connection and in the caller's transaction):
 *
 * - metrics.refresh-requested.v1 names its run (the api created the queued metric_runs row in the same
 *   transaction as the event); a publisher without such a row gets one with the event's run id.
 * - ingestion.completed.v1 needs "a run as of today": any queued run without an as-of date covers it,
 *   otherwise one is queued (reason `ingestion`). So a burst of imports queues one run, not twenty.
 *
 * Returns false when the event had been recorded already (a redelivery).
 */
export async function recordRefreshRequest(db: TenantDatabaseClient, request: RefreshRequest): Promise<boolean> {
  const recorded = await db.query('INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [METRICS_CONSUMER, request.eventId]);
  if (recorded.rowCount === 0) return false;
  // Serialises concurrent requests of the tenant, so two imports finishing at once cannot both queue a run.
  await db.query(`SELECT pg_advisory_xact_lock(hashtext('pulse.metrics-queue'))`);
  if (request.kind === 'ingestion') {
    // Due now: a retry queued for later would hold the import's run back until its time. Now is the
    // clock's, not this transaction's start (now()): a request whose transaction began before another's
    // waits for the lock above, and must still see the run that one queued.
    const queued = await db.query(`SELECT 1 FROM metric_runs WHERE status = 'queued' AND as_of IS NULL AND requested_at <= clock_timestamp() LIMIT 1`);
    if (queued.rowCount === 0) await db.query(`INSERT INTO metric_runs (status, reason) VALUES ('queued', 'ingestion')`);
    return true;
  }
  if (!UUID.test(request.runId)) {
    throw new DomainError('invalid_input', 'metric_run.invalid_id', `metrics.refresh-requested.v1 names run "${request.runId}", which is not a UUID.`);
  }
  await db.query(
    `INSERT INTO metric_runs (id, status, reason, as_of) VALUES ($1, 'queued', $2, $3::date) ON CONFLICT (id) DO NOTHING`,
    [request.runId, request.reason, request.asOf ?? null],
  );
  return true;
}

/** A daily run that failed is queued again this long after the last one, not at every sweep. */
const DAILY_RUN_RETRY = '1 hour';

/**
 * Queues an undated run (reason `daily`) for a tenant whose KPIs are of an earlier day than `today` (its
 * local date in `timezone`), so that what depends on the day (days since the last order, 30-day windows,
 * health) moves on without new data. Only when the latest succeeded run computed the day it started on:
 * KPIs the tenant asked for as of an earlier day (a backfill) stay until it asks again or data comes in.
 * Not while a run is queued or running (an undated one covers today), and not again within
 * DAILY_RUN_RETRY of the last daily run (a failing one). In the caller's transaction; returns whether
 * it queued one.
 */
export async function queueDailyRunIfBehind(db: TenantDatabaseClient, today: string, timezone: string): Promise<boolean> {
  // The same lock as recordRefreshRequest: two replicas' sweeps, or a sweep and an import, queue one run.
  await db.query(`SELECT pg_advisory_xact_lock(hashtext('pulse.metrics-queue'))`);
  const queued = await db.query(
    `WITH latest AS (
       SELECT as_of, (started_at AT TIME ZONE $2)::date AS started_on FROM metric_runs
        WHERE status = 'succeeded' AND covered_by_run_id IS NULL
        ORDER BY finished_at DESC, id DESC LIMIT 1)
     INSERT INTO metric_runs (status, reason)
     SELECT 'queued', 'daily' FROM latest
      WHERE latest.as_of < $1::date AND latest.as_of = latest.started_on
        AND NOT EXISTS (SELECT 1 FROM metric_runs WHERE status IN ('queued', 'running'))
        AND NOT EXISTS (SELECT 1 FROM metric_runs WHERE reason = 'daily' AND requested_at > now() - $3::interval)`,
    [today, timezone, DAILY_RUN_RETRY],
  );
  return (queued.rowCount ?? 0) > 0;
}
