import type { MetricRunErrorCode } from '@pulse/contracts';
import { isDatabaseUnavailable } from '@pulse/errors';
import { InvalidKpiParamsError } from '@pulse/metric-catalog';
import { WarehouseError } from '@pulse/warehouse';
import { DatabaseError } from 'pg';
import { KpiValueError } from '../write-back/kpi-value-error';
import { InvalidScorecardError } from './active-scorecard';

/** What a failed run records and the api shows: a stable code and a message safe to show the tenant. */
export interface RunFailure {
  code: MetricRunErrorCode;
  message: string;
}

const MESSAGES = {
  warehouseUnavailable: 'The warehouse was busy or could not be reached; request a refresh again later.',
  warehouseLimit: "The computation went past a limit of the warehouse (bytes billed, memory or result size); Pulse operators have the details in the metrics service's log.",
  databaseUnavailable: 'The tenant database could not complete the write-back just now (out of resources, a timeout or a restart); request a refresh again later.',
  internal: "The run failed on an internal error; Pulse operators have the details in the metrics service's log under this run's id.",
} as const;

/**
 * Why a run failed, from what it threw (docs/metrics.md "Run errors"). The message repeats only what
 * names the tenant's own things (its settings, scorecard, KPI values, imports): raw errors can hold
 * server paths, SQL and database internals, so they go to the log (with the run and correlation ids),
 * never here. Anything not recognised is `internal`.
 */
export function runFailureOf(error: unknown): RunFailure {
  const failure = classify(error);
  // A scorecard of 50 bad measures names them all; the record stays bounded.
  return failure.message.length > MAX_MESSAGE_LENGTH ? { ...failure, message: `${failure.message.slice(0, MAX_MESSAGE_LENGTH - 1)}…` } : failure;
}

const MAX_MESSAGE_LENGTH = 2000;

function classify(error: unknown): RunFailure {
  if (error instanceof InvalidKpiParamsError) {
    return { code: 'invalid_settings', message: `The tenant's settings are not valid: ${error.issues.join('; ')}` };
  }
  if (error instanceof InvalidScorecardError) return { code: 'invalid_scorecard', message: error.message };
  if (error instanceof KpiValueError) {
    const { kpiTable, row, column, value, reason } = error.refused;
    // Class 22, data exception: the value itself (malformed, out of range). Anything else failed the COPY.
    if (sqlStateOf(error.cause)?.startsWith('22')) {
      return { code: 'invalid_data', message: `KPI table ${kpiTable}, row ${row}, column ${column}, value "${value}": ${reason}` };
    }
    return classify(error.cause);
  }
  if (error instanceof WarehouseError) return warehouseFailure(error);
  if (isDatabaseUnavailable(error) || isPassingWriteFailure(error)) return { code: 'database_unavailable', message: MESSAGES.databaseUnavailable };
  return { code: 'internal', message: MESSAGES.internal };
}

function warehouseFailure(error: WarehouseError): RunFailure {
  switch (error.code) {
    case 'warehouse_busy':
      return { code: 'warehouse_unavailable', message: MESSAGES.warehouseUnavailable };
    case 'warehouse_load_failed': {
      const which = error.load ? `Import ${error.load.importId} (${error.load.entity})` : 'A queued import';
      return {
        code: 'warehouse_load_failed',
        message: `${which} could not be loaded into the warehouse, so no later import is loaded either; Pulse operators have the details in the metrics service's log.`,
      };
    }
    default: {
      const cause = warehouseCauseOf(error.cause);
      if (cause === 'unavailable') return { code: 'warehouse_unavailable', message: MESSAGES.warehouseUnavailable };
      if (cause === 'limit') return { code: 'warehouse_limit_exceeded', message: MESSAGES.warehouseLimit };
      return { code: 'internal', message: MESSAGES.internal };
    }
  }
}

// BigQuery's error reasons (cloud.google.com/bigquery/docs/error-messages): Google asks to retry these...
const RETRYABLE_REASONS = new Set(['backendError', 'internalError', 'jobBackendError', 'jobInternalError', 'rateLimitExceeded', 'quotaExceeded']);
// ...and these are the job going past a limit: retrying the same computation fails the same way.
const LIMIT_REASONS = new Set(['bytesBilledLimitExceeded', 'billingTierLimitExceeded', 'resourcesExceeded', 'responseTooLarge']);
const RETRYABLE_HTTP = new Set([408, 429, 500, 502, 503, 504]);
const NETWORK_ERRORS = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ENETUNREACH', 'EHOSTUNREACH']);

/** What the warehouse's own error (BigQuery's ApiError, DuckDB's, a socket's) says about the failure. */
function warehouseCauseOf(cause: unknown): 'unavailable' | 'limit' | undefined {
  if (typeof cause !== 'object' || cause === null) return undefined;
  const { code, errors, message } = cause as { code?: unknown; errors?: unknown; message?: unknown };
  const reasons = Array.isArray(errors) ? errors.map((entry) => (entry as { reason?: unknown } | null)?.reason).filter((reason) => typeof reason === 'string') : [];
  if (reasons.some((reason) => LIMIT_REASONS.has(reason))) return 'limit';
  if (reasons.some((reason) => RETRYABLE_REASONS.has(reason))) return 'unavailable';
  if (typeof code === 'number' && RETRYABLE_HTTP.has(code)) return 'unavailable';
  if (typeof code === 'string' && NETWORK_ERRORS.has(code)) return 'unavailable';
  // DuckDB reaching PULSE_WAREHOUSE_DUCKDB_MEMORY_LIMIT (and nothing left to spill to).
  if (typeof message === 'string' && message.startsWith('Out of Memory Error')) return 'limit';
  return undefined;
}

function sqlStateOf(error: unknown): string | undefined {
  return error instanceof DatabaseError ? error.code : undefined;
}

/**
 * Besides the tenant database being unreachable or not answering in time (isDatabaseUnavailable, as the
 * services answer 503 for), what fails a write-back now and likely not a later refresh: a deadlock or a
 * serialization failure against a concurrent write, and the server out of disk, memory or connections
 * (class 53; an operator may have to act, and the message says to request the refresh again later).
 */
function isPassingWriteFailure(error: unknown): boolean {
  const code = sqlStateOf(error);
  return code !== undefined && (code.startsWith('53') || code === '40001' || code === '40P01');
}
