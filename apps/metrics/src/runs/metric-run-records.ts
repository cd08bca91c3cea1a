import type { MetricRunErrorCode } from '@pulse/contracts';
import type { KpiParams } from '@pulse/metric-catalog';
import type { TenantDatabaseClient } from '@pulse/tenancy';

/** A tenant's runs claimed together: one computes, the others (same as-of) are covered by it. */
export interface ClaimedRuns {
  runId: string;
  coveredRunIds: string[];
  /** The as-of date requested (YYYY-MM-DD), or null for "today in the tenant's timezone". */
  requestedAsOf: string | null;
  reasons: string[];
  /** Queued runs for another as-of date remain: the tenant needs another run after this one. */
  more: boolean;
}

interface ClaimedRow {
  id: string;
  reason: string | null;
  as_of: string | null;
}

/**
 * Claims the tenant's oldest queued run that is due (`requested_at` reached: a retry is queued for a
 * later time) and every other queued run with the same as-of date (a NULL as-of, "today", matches only
 * NULL), due or not: all become `running`; the oldest is the run that computes, the others get
 * covered_by_run_id = its id. Runs for other dates stay queued for a later run: results are per as-of
 * date, so they cannot share one computation.
 */
export async function claimQueuedRuns(db: TenantDatabaseClient): Promise<ClaimedRuns | undefined> {
  const { rows } = await db.query<ClaimedRow>(
    `WITH oldest AS (
       SELECT as_of FROM metric_runs WHERE status = 'queued' AND requested_at <= now() ORDER BY requested_at, id LIMIT 1
     ), claimed AS (
       UPDATE metric_runs r SET status = 'running', started_at = now()
         FROM oldest o
        WHERE r.status = 'queued' AND r.as_of IS NOT DISTINCT FROM o.as_of
       RETURNING r.id, r.reason, to_char(r.as_of, 'YYYY-MM-DD') AS as_of, r.requested_at
     )
     SELECT id, reason, as_of FROM claimed ORDER BY requested_at, id`,
  );
  const [first, ...rest] = rows;
  if (!first) return undefined;
  const coveredRunIds = rest.map((row) => row.id);
  if (coveredRunIds.length > 0) {
    await db.query('UPDATE metric_runs SET covered_by_run_id = $1 WHERE id = ANY($2::uuid[])', [first.id, coveredRunIds]);
  }
  const remaining = await db.query<{ more: boolean }>(`SELECT EXISTS (SELECT 1 FROM metric_runs WHERE status = 'queued' AND requested_at <= now()) AS more`);
  return {
    runId: first.id,
    coveredRunIds,
    requestedAsOf: first.as_of,
    reasons: [...new Set(rows.map((row) => row.reason ?? 'unknown'))],
    more: remaining.rows[0]?.more ?? false,
  };
}

/** The failures a later attempt may well not meet: the database or warehouse was busy, down or timed out. */
const PASSING_FAILURES: readonly MetricRunErrorCode[] = ['database_unavailable', 'warehouse_unavailable'];
/** Retries after a passing failure: 1, 2, 4, 8 and 16 minutes after it (picked up by the next sweep once due). */
export const MAX_RUN_RETRIES = 5;
const FIRST_RETRY_DELAY_MINUTES = 1;

/**
 * After a run failed on a passing failure, queues it again (reason `retry`, the same as-of date) for a
 * later time, doubling the wait after each such failure in a row, up to MAX_RUN_RETRIES since the last
 * success: a run that an import asked for is otherwise lost until the next request (or the next day).
 * Returns when the retry is due, or null when none was queued.
 */
export async function queueRetryAfterFailure(db: TenantDatabaseClient, claimed: ClaimedRuns, code: MetricRunErrorCode): Promise<Date | null> {
  if (!PASSING_FAILURES.includes(code)) return null;
  const { rows } = await db.query<{ due: Date | null }>(
    `WITH failures AS (
       SELECT count(*)::int AS n FROM metric_runs
        WHERE status = 'failed' AND covered_by_run_id IS NULL AND error_code = ANY($3::text[])
          AND finished_at > COALESCE((SELECT max(finished_at) FROM metric_runs WHERE status = 'succeeded'), '-infinity'))
     INSERT INTO metric_runs (status, reason, as_of, requested_at)
     SELECT 'queued', 'retry', $1::date, now() + make_interval(mins => $4 * power(2, failures.n - 1)::int) FROM failures
      WHERE failures.n BETWEEN 1 AND $2
     RETURNING requested_at AS due`,
    [claimed.requestedAsOf, MAX_RUN_RETRIES, PASSING_FAILURES, FIRST_RETRY_DELAY_MINUTES],
  );
  return rows[0]?.due ?? null;
}

/** When the tenant's earliest run queued for later (a retry) is due; null when none waits. */
export async function nextQueuedRunDue(db: TenantDatabaseClient): Promise<Date | null> {
  const { rows } = await db.query<{ due: Date | null }>(`SELECT min(requested_at) AS due FROM metric_runs WHERE status = 'queued' AND requested_at > now()`);
  return rows[0]?.due ?? null;
}

/** Records the as-of date actually computed (a "today" run gets the tenant's date of the run). */
export async function setRunsAsOf(db: TenantDatabaseClient, claimed: ClaimedRuns, asOf: string): Promise<void> {
  await db.query('UPDATE metric_runs SET as_of = $2::date WHERE id = ANY($1::uuid[])', [[claimed.runId, ...claimed.coveredRunIds], asOf]);
}

export interface RunOutcome {
  status: 'succeeded' | 'failed';
  /** A failed run's code and a message safe to show the tenant (runFailureOf), never the raw error. */
  error?: { code: MetricRunErrorCode; message: string };
  timings: Record<string, number>;
  rowCounts: Record<string, number>;
  /** What a succeeded run computed with (KPI params) and the warehouse's data watermark then. */
  computedWith?: { params: KpiParams; dataWatermark: string | null };
}

/** Ends the computing run and the runs it covers alike (covered runs carry no timings of their own). */
export async function finishRuns(db: TenantDatabaseClient, claimed: ClaimedRuns, outcome: RunOutcome): Promise<{ finishedAt: Date }> {
  const { rows } = await db.query<{ finished_at: Date }>(
    `UPDATE metric_runs
        SET status = $3::metric_run_status, finished_at = now(), error = $4, error_code = $9,
            timings = CASE WHEN id = $1 THEN $5::jsonb ELSE '{}'::jsonb END,
            row_counts = CASE WHEN id = $1 THEN $6::jsonb ELSE '{}'::jsonb END,
            params = CASE WHEN id = $1 THEN $7::jsonb END,
            data_watermark = CASE WHEN id = $1 THEN $8 END
      WHERE id = $1 OR id = ANY($2::uuid[])
      RETURNING finished_at`,
    [
      claimed.runId,
      claimed.coveredRunIds,
      outcome.status,
      outcome.error?.message ?? null,
      JSON.stringify(outcome.timings),
      JSON.stringify(outcome.rowCounts),
      outcome.computedWith ? JSON.stringify(canonicalParams(outcome.computedWith.params)) : null,
      outcome.computedWith?.dataWatermark ?? null,
      outcome.error?.code ?? null,
    ],
  );
  return { finishedAt: rows[0]?.finished_at ?? new Date() };
}

/**
 * Runs shutdown interrupted go back to the queue (same ids, so a client polling one sees it run again),
 * with the as-of date they were requested for: a "today" run is again one for the day it runs on, not
 * for the day it was interrupted on (setRunsAsOf had fixed it).
 */
export async function requeueRuns(db: TenantDatabaseClient, claimed: ClaimedRuns): Promise<void> {
  await db.query(
    `UPDATE metric_runs SET status = 'queued', started_at = NULL, covered_by_run_id = NULL, as_of = $2::date WHERE id = ANY($1::uuid[]) AND status = 'running'`,
    [[claimed.runId, ...claimed.coveredRunIds], claimed.requestedAsOf],
  );
}

/**
 * Runs left `running` by a process that died mid-run go back to the queue (same ids, so a client
 * polling one sees it run again). Call only while holding the tenant's run lock: then no live process
 * is running any of them.
 */
export async function requeueInterruptedRuns(db: TenantDatabaseClient): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE metric_runs SET status = 'queued', started_at = NULL, covered_by_run_id = NULL WHERE status = 'running'`,
  );
  return rowCount ?? 0;
}

/** Session-level lock: one metrics run per tenant database at a time, across every replica. */
const RUN_LOCK = `hashtext('pulse.metrics-run')`;

export async function tryLockTenantRuns(db: TenantDatabaseClient): Promise<boolean> {
  const { rows } = await db.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(${RUN_LOCK}) AS locked`);
  return rows[0]?.locked === true;
}

export async function unlockTenantRuns(db: TenantDatabaseClient): Promise<void> {
  await db.query(`SELECT pg_advisory_unlock(${RUN_LOCK})`);
}

/** Params in one spelling (statuses sorted), so equal params compare equal as JSON. */
function canonicalParams(params: KpiParams): KpiParams {
  return {
    asOf: params.asOf,
    timezone: params.timezone,
    churnWindowDays: params.churnWindowDays,
    excludedOrderStatuses: [...params.excludedOrderStatuses].sort(),
  };
}

/**
 * The data watermark to compute product KPIs incrementally from: that of the run whose results are
 * live (the latest succeeded computing run), when it used the same params. Product KPIs depend only on
 * a SKU's own lines, so with the same params only SKUs touched since can have changed
 * (docs/metrics.md "Incremental runs"). Undefined: compute every SKU. Also when an import that may have
 * removed rows a SKU's KPIs came from (a replace of customers, orders, order lines or products, whose
 * removals cascade, or a source's full read that deleted rows) reached the warehouse since that run
 * started (`checkpoint.handedOverAt`, set by ingestion; its finish before that field existed): the
 * watermark sees rows loaded, never rows gone, so the SKUs that lost lines would keep their old KPIs.
 */
export async function productsTouchedSince(db: TenantDatabaseClient, params: KpiParams): Promise<string | undefined> {
  const { rows } = await db.query<{ data_watermark: string | null; same: boolean; rows_removed: boolean }>(
    `SELECT r.data_watermark, r.params = $1::jsonb AS same,
            EXISTS (SELECT 1 FROM imports i
                     WHERE COALESCE((i.checkpoint ->> 'handedOverAt')::timestamptz, i.finished_at) >= r.started_at
                       AND i.status IN ('succeeded', 'partially_succeeded')
                       AND i.entity IN ('customers', 'orders', 'order_items', 'products')
                       AND (i.mode = 'replace' OR i.rows_deleted > 0)) AS rows_removed
       FROM metric_runs r
      WHERE r.status = 'succeeded' AND r.covered_by_run_id IS NULL ORDER BY r.finished_at DESC, r.id LIMIT 1`,
    [JSON.stringify(canonicalParams(params))],
  );
  const live = rows[0];
  return live?.same && live.data_watermark && !live.rows_removed ? live.data_watermark : undefined;
}
