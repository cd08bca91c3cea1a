-- A failed metrics run records why as a stable code (the contracts' METRIC_RUN_ERROR_CODES) next to a
-- message safe to show the tenant: GET /v1/metrics/runs/{id} `errorCode` and `error` (docs/metrics.md
-- "Run errors"). The raw error, which can hold server paths, SQL and database internals, stays in the
-- metrics service's log. Additive: a new nullable column. Runs failed before it keep their raw `error`
-- with a NULL code, which the api shows as `internal` without the text, as it does for a metrics service
-- of the previous release still writing raw errors during the rollout.

-- AlterTable
ALTER TABLE "metric_runs" ADD COLUMN     "error_code" TEXT;
