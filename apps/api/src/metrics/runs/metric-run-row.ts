import type { MetricRunDto } from './metric-run.schemas';

export interface MetricRunRow {
  id: string;
  status: MetricRunDto['status'];
  reason: string | null;
  as_of: string | null;
  requested_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  error: string | null;
  covered_by_run_id: string | null;
  timings: Record<string, number>;
  row_counts: Record<string, number>;
}

export const METRIC_RUN_COLUMNS = `id, status, reason, to_char(as_of, 'YYYY-MM-DD') AS as_of, requested_at, started_at, finished_at, error, covered_by_run_id, timings, row_counts`;

export function toMetricRunDto(row: MetricRunRow): MetricRunDto {
  return {
    id: row.id,
    status: row.status,
    reason: row.reason,
    asOf: row.as_of,
    requestedAt: row.requested_at.toISOString(),
    startedAt: row.started_at?.toISOString() ?? null,
    finishedAt: row.finished_at?.toISOString() ?? null,
    error: row.error,
    coveredByRunId: row.covered_by_run_id,
    timings: row.timings,
    rowCounts: row.row_counts,
  };
}
