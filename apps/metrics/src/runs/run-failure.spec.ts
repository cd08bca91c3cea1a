import { METRIC_RUN_ERROR_CODES } from '@pulse/contracts';
import { InvalidKpiParamsError, parseKpiParamsOrThrow } from '@pulse/metric-catalog';
import { WarehouseError } from '@pulse/warehouse';
import { DatabaseError } from 'pg';
import { KpiValueError } from '../write-back/kpi-value-error';
import { InvalidScorecardError } from './active-scorecard';
import { runFailureOf } from './run-failure';

/** A PostgreSQL error as pg raises it (SQLSTATE in `code`). */
function postgresError(code: string, message: string): DatabaseError {
  const error = new DatabaseError(message, message.length, 'error');
  error.code = code;
  return error;
}

/** A BigQuery job or API error as @google-cloud/common's ApiError carries it. */
function bigQueryError(fields: { code?: number; reason?: string }, message: string): Error {
  return Object.assign(new Error(message), { code: fields.code, errors: fields.reason ? [{ reason: fields.reason, message }] : [] });
}

function invalidSettings(): InvalidKpiParamsError {
  try {
    parseKpiParamsOrThrow({ asOf: '2026-06-30', timezone: 'Mars/Olympus', churnWindowDays: 0, excludedOrderStatuses: [] });
  } catch (error) {
    return error as InvalidKpiParamsError;
  }
  throw new Error('the params were valid');
}

const SERVER_PATH = '/var/lib/pulse/metrics/2f9c/8a1e/customer_kpis.csv';

describe('runFailureOf', () => {
  it("names a tenant's invalid settings (invalid_settings)", () => {
    const error = invalidSettings();
    expect(error).toBeInstanceOf(InvalidKpiParamsError);
    expect(runFailureOf(error)).toEqual({
      code: 'invalid_settings',
      message: "The tenant's settings are not valid: timezone: timezone is not an IANA timezone name; churnWindowDays: Too small: expected number to be >=1",
    });
  });

  it('names the stored scorecard version and its fields (invalid_scorecard)', () => {
    const error = new InvalidScorecardError(3, ['measures.0.weight: must be at most 1000']);
    expect(runFailureOf(error)).toEqual({ code: 'invalid_scorecard', message: 'Scorecard version 3 is not valid: measures.0.weight: must be at most 1000' });
  });

  describe('a KPI value the write-back cannot stage (invalid_data)', () => {
    const overflow = postgresError('22003', 'numeric field overflow');

    it("names the KPI table, row, column and value (the tenant's own data), not the file it was read from", () => {
      const error = new KpiValueError(
        { kpiTable: 'customer_kpis', location: SERVER_PATH, row: 2, column: 'revenue_total', value: '1e40', reason: 'numeric field overflow (A field with precision 38, scale 4 must round to an absolute value less than 10^34.)' },
        overflow,
      );
      // The log keeps the file.
      expect(error.message).toContain(SERVER_PATH);
      const failure = runFailureOf(error);
      expect(failure).toEqual({
        code: 'invalid_data',
        message: 'KPI table customer_kpis, row 2, column revenue_total, value "1e40": numeric field overflow (A field with precision 38, scale 4 must round to an absolute value less than 10^34.)',
      });
    });

    it('is the database being unavailable, not the data, when the COPY failed for lack of disk', () => {
      const diskFull = postgresError('53100', 'could not extend file "base/16384/2619": No space left on device');
      const error = new KpiValueError({ kpiTable: 'product_kpis', location: SERVER_PATH, row: 9, column: 'sku', value: 'A', reason: diskFull.message }, diskFull);
      const failure = runFailureOf(error);
      expect(failure.code).toBe('database_unavailable');
      expect(failure.message).not.toContain('base/16384');
    });
  });

  describe('warehouse errors', () => {
    it('a warehouse file held by another process is warehouse_unavailable, without the path', () => {
      const error = new WarehouseError('warehouse_busy', `The warehouse file /data/warehouse/2f9c.duckdb is open in another process: IO Error: Could not set lock on file "/data/warehouse/2f9c.duckdb"`);
      const failure = runFailureOf(error);
      expect(failure.code).toBe('warehouse_unavailable');
      expect(failure.message).not.toMatch(/\/data|duckdb|IO Error/);
    });

    it('an import the warehouse cannot load is warehouse_load_failed naming the import, without the inbox path or DuckDB text', () => {
      const duckdb = new Error('Conversion Error: CSV Error on Line: 2\nOriginal Line: o1,c1,abc\nFile: /data/warehouse/2f9c/inbox/00000000000000001-i.csv');
      const error = new WarehouseError(
        'warehouse_load_failed',
        `Loading orders for import 0d3c9a5e-1b7c-4a51-9e0f-3f5b8f1d2a11 (upsert, inbox entry /data/warehouse/2f9c/inbox/00000000000000001-i.json) failed; nothing of it was applied: ${duckdb.message}`,
        { cause: duckdb, load: { entity: 'orders', importId: '0d3c9a5e-1b7c-4a51-9e0f-3f5b8f1d2a11' } },
      );
      const failure = runFailureOf(error);
      expect(failure.code).toBe('warehouse_load_failed');
      expect(failure.message).toContain('Import 0d3c9a5e-1b7c-4a51-9e0f-3f5b8f1d2a11 (orders)');
      expect(failure.message).not.toMatch(/\/data|inbox|Conversion Error|abc/);
    });

    it('an unreadable inbox entry is warehouse_load_failed without naming an import', () => {
      const error = new WarehouseError('warehouse_load_failed', 'Inbox entry /data/warehouse/2f9c/inbox/x.json is not a load manifest: ...');
      expect(runFailureOf(error)).toEqual({ code: 'warehouse_load_failed', message: expect.stringMatching(/^A queued import could not be loaded into the warehouse/) });
    });

    it.each([
      ['a BigQuery backend error', bigQueryError({ reason: 'backendError' }, 'Error encountered during execution. Retrying may solve the problem.')],
      ['BigQuery rate limits', bigQueryError({ code: 403, reason: 'rateLimitExceeded' }, 'Exceeded rate limits: too many concurrent queries')],
      ['an HTTP 503', bigQueryError({ code: 503 }, 'Service Unavailable')],
      ['a reset connection', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ])('%s is warehouse_unavailable', (_case, cause) => {
      const failure = runFailureOf(new WarehouseError('warehouse_query_failed', `customer_kpis: ${cause.message}`, { cause }));
      expect(failure.code).toBe('warehouse_unavailable');
      expect(failure.message).not.toContain(cause.message);
    });

    it.each([
      ['the bytes-billed guard', bigQueryError({ reason: 'bytesBilledLimitExceeded' }, 'Query exceeded limit for bytes billed: 10000000000. 24000000000 or higher required.')],
      ['BigQuery resources', bigQueryError({ reason: 'resourcesExceeded' }, 'Resources exceeded during query execution')],
      ["DuckDB's memory limit", new Error('Out of Memory Error: failed to allocate data of size 256.0 MiB (1.9 GiB/2.0 GiB used)')],
    ])('%s is warehouse_limit_exceeded', (_case, cause) => {
      const failure = runFailureOf(new WarehouseError('warehouse_query_failed', `customer_kpis: ${cause.message}`, { cause }));
      expect(failure.code).toBe('warehouse_limit_exceeded');
      expect(failure.message).not.toContain(cause.message);
    });

    it('a failing statement is internal, without its SQL or the engine message', () => {
      const cause = new Error('Binder Error: Referenced column "revenue" not found in FROM clause!\nLINE 1: SELECT customer_external_id, SUM(revenue) FROM orders o ...');
      const failure = runFailureOf(new WarehouseError('warehouse_query_failed', `customer_kpis: ${cause.message}`, { cause }));
      expect(failure.code).toBe('internal');
      expect(failure.message).not.toMatch(/Binder|SELECT|orders/);
    });
  });

  describe('tenant database errors', () => {
    it.each([
      ['disk full', '53100'],
      ['a deadlock', '40P01'],
      ['a statement timeout', '57014'],
      ['a lock timeout', '55P03'],
      ['an administrator shutdown', '57P01'],
      ['a connection failure', '08006'],
    ])('%s is database_unavailable', (_case, code) => {
      const failure = runFailureOf(postgresError(code, 'relation "metrics_stage_customer_kpis" ... base/16384/2619'));
      expect(failure.code).toBe('database_unavailable');
      expect(failure.message).not.toMatch(/metrics_stage|base\//);
    });

    it.each([
      ['the connection dropped (no SQLSTATE: pg says so in its message)', new Error('Connection terminated unexpectedly')],
      ['the socket reset', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
      ['the client-side query timeout', new Error('Query read timeout')],
    ])('%s is database_unavailable', (_case, error) => {
      expect(runFailureOf(error)).toEqual({ code: 'database_unavailable', message: expect.stringContaining('request a refresh again later') });
    });

    it('any other PostgreSQL error is internal, without its text', () => {
      const failure = runFailureOf(postgresError('42703', 'column "health_scoer" of relation "health_scores" does not exist'));
      expect(failure.code).toBe('internal');
      expect(failure.message).not.toContain('health_scoer');
    });
  });

  it.each([
    ['a KPI file with the wrong columns', new Error(`KPI file ${SERVER_PATH} has the wrong columns: missing aov`)],
    ['a raised exception', postgresError('P0001', 'disk full (injected)')],
    ['a thrown string', 'boom at /srv/app/dist/main.js:1:2'],
    ['undefined', undefined],
  ])('anything else (%s) is internal, with a message that names nothing of the error', (_case, error) => {
    const failure = runFailureOf(error);
    expect(failure).toEqual({ code: 'internal', message: "The run failed on an internal error; Pulse operators have the details in the metrics service's log under this run's id." });
  });

  it('bounds the message (a scorecard can name many fields)', () => {
    const issues = Array.from({ length: 200 }, (_, index) => `measures.${index}.weight: must be at most 1000`);
    const failure = runFailureOf(new InvalidScorecardError(2, issues));
    expect(failure.code).toBe('invalid_scorecard');
    expect(failure.message).toHaveLength(2000);
    expect(failure.message).toMatch(/^Scorecard version 2 is not valid: measures\.0\.weight/);
  });

  it('gives only documented codes', () => {
    const samples = [invalidSettings(), new InvalidScorecardError(1, ['x']), new WarehouseError('warehouse_busy', 'busy'), postgresError('53200', 'out of memory'), new Error('x')];
    for (const sample of samples) expect(Object.keys(METRIC_RUN_ERROR_CODES)).toContain(runFailureOf(sample).code);
  });
});
