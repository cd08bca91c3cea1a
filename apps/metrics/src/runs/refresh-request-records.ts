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
    const queued = await db.query(`SELECT 1 FROM metric_runs WHERE status = 'queued' AND as_of IS NULL LIMIT 1`);
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
