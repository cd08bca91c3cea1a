import { z } from 'zod';

// Why a metrics run failed: written by the metrics service (metric_runs.error_code in the tenant
// database) and shown by the api (GET /v1/metrics/runs/{id} `errorCode`). The run's `error` is a
// message safe to show the tenant; the full error, with its stack, is only in the metrics service's log.

/** Each code and what it means for the client (OpenAPI description, docs/api.md). */
export const METRIC_RUN_ERROR_CODES = {
  invalid_settings: "A tenant setting the KPIs are computed with (timezone, churnWindowDays, excludedOrderStatuses) is not valid; the message names it.",
  invalid_scorecard: 'The active scorecard stored for the tenant is not valid; the message names its version and fields. Save a valid one (PUT /v1/scorecard).',
  invalid_data: "A KPI computed from the tenant's data does not fit its column; the message names the KPI table, row, column and value.",
  warehouse_load_failed: 'An import could not be loaded into the warehouse, and later imports wait behind it; the message names the import when known.',
  warehouse_unavailable: 'The warehouse was busy or could not be reached; a later refresh may succeed.',
  warehouse_limit_exceeded: "The computation went past one of the warehouse's configured limits (bytes billed, memory, result size).",
  database_unavailable: "The tenant's database was temporarily unable to do the write-back (out of resources, lock or statement timeout, shutting down); a later refresh may succeed.",
  internal: "An error of Pulse itself; the details are in the metrics service's log under the run's id.",
} as const;

export type MetricRunErrorCode = keyof typeof METRIC_RUN_ERROR_CODES;

export const metricRunErrorCodeSchema = z.enum(Object.keys(METRIC_RUN_ERROR_CODES) as [MetricRunErrorCode, ...MetricRunErrorCode[]]);
