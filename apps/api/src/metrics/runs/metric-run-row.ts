import { metricRunErrorCodeSchema } from '@pulse/contracts';
import type { MetricRunDto } from './metric-run.schemas';

export interface MetricRunRow {
  id: string;
  status: MetricRunDto['status'];
  reason: string | null;
  as_of: string | null;
  requested_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  error_code: string | null;
  error: string | null;
  covered_by_run_id: string | null;
  timings: Record<string, number>;
  row_counts: Record<string, number>;
}

export const METRIC_RUN_COLUMNS = `id, status, reason, to_char(as_of, 'YYYY-MM-DD') AS as_of, requested_at, started_at, finished_at, error_code, error, covered_by_run_id, timings, row_counts`;

/** What the api says of a failed run whose error it will not show (docs/metrics.md "Run errors"). */
const UNRECORDED_RUN_ERROR = "The run failed; its error was recorded without a code and is not shown. Pulse operators have the details in the metrics service's log under this run's id.";

export function toMetricRunDto(row: MetricRunRow): MetricRunDto {
  return {
    id: row.id,
    status: row.status,
    reason: row.reason,
    asOf: row.as_of,
    requestedAt: row.requested_at.toISOString(),
    startedAt: row.started_at?.toISOString() ?? null,
    finishedAt: row.finished_at?.toISOString() ?? null,
    ...runError(row),
    coveredByRunId: row.covered_by_run_id,
    timings: row.timings,
    rowCounts: row.row_counts,
  };
}

/**
 * The metrics service records a code and a message safe to show. A failed run without a code was
 * recorded raw (before error codes, or by the previous release during a rollout) and may hold server
 * paths and SQL: shown as `internal` without its text. A code this api does not know yet (a newer
 * metrics service) is shown as `internal`, with its message, which that service wrote to be shown.
 */
function runError(row: MetricRunRow): Pick<MetricRunDto, 'errorCode' | 'error'> {
  if (row.status !== 'failed') return { errorCode: null, error: null };
  if (row.error_code === null) return { errorCode: 'internal', error: UNRECORDED_RUN_ERROR };
  const known = metricRunErrorCodeSchema.safeParse(row.error_code);
  return { errorCode: known.success ? known.data : 'internal', error: row.error ?? UNRECORDED_RUN_ERROR };
}
