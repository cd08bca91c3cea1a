import { z } from 'zod';
import { ConfigValidationError, loadConfig } from './load-config';
import { toWarehouseSettings, warehouseEnvShape } from './warehouse-settings';

const schema = z.object({ ...warehouseEnvShape() }).transform((env, ctx) => ({ warehouse: toWarehouseSettings(env, ctx) }));

function problemsOf(environment: Record<string, string>): { variable: string; message: string }[] {
  try {
    loadConfig('metrics', schema, environment);
  } catch (error) {
    if (error instanceof ConfigValidationError) return [...error.problems];
    throw error;
  }
  throw new Error('expected the environment to be rejected');
}

describe('warehouse settings', () => {
  it('defaults to DuckDB files under .pulse/warehouse with DuckDB choosing threads and memory', () => {
    expect(loadConfig('metrics', schema, {}).warehouse).toEqual({
      kind: 'duckdb',
      directory: '.pulse/warehouse',
      threads: undefined,
      memoryLimit: undefined,
    });
    expect(
      loadConfig('metrics', schema, {
        PULSE_WAREHOUSE_DIR: '/var/lib/pulse/warehouse',
        PULSE_WAREHOUSE_DUCKDB_THREADS: '2',
        PULSE_WAREHOUSE_DUCKDB_MEMORY_LIMIT: '2GB',
      }).warehouse,
    ).toEqual({ kind: 'duckdb', directory: '/var/lib/pulse/warehouse', threads: 2, memoryLimit: '2GB' });
  });

  it('ignores BigQuery variables when DuckDB is the warehouse', () => {
    expect(loadConfig('metrics', schema, { BIGQUERY_LOCATION: 'US' }).warehouse.kind).toBe('duckdb');
  });

  it('builds BigQuery settings, with the default bytes-billed guard of 100 GiB', () => {
    const settings = loadConfig('metrics', schema, {
      PULSE_WAREHOUSE: 'bigquery',
      BIGQUERY_PROJECT: 'pulse-prod-123',
      BIGQUERY_LOCATION: 'southamerica-east1',
      PULSE_WAREHOUSE_STAGING_BUCKET: 'gs://pulse-warehouse-staging/exports/',
      BIGQUERY_EMULATOR_HOST: '127.0.0.1:9050',
    }).warehouse;
    expect(settings).toEqual({
      kind: 'bigquery',
      directory: '.pulse/warehouse',
      projectId: 'pulse-prod-123',
      location: 'southamerica-east1',
      maxBytesBilled: String(100 * 1024 ** 3),
      stagingBucket: 'gs://pulse-warehouse-staging/exports',
      emulatorHost: 'http://127.0.0.1:9050',
    });
  });

  it('names every missing BigQuery variable when BigQuery is chosen', () => {
    expect(problemsOf({ PULSE_WAREHOUSE: 'bigquery', BIGQUERY_LOCATION: 'US' })).toEqual([
      { variable: 'BIGQUERY_PROJECT', message: 'is required' },
      { variable: 'PULSE_WAREHOUSE_STAGING_BUCKET', message: 'is required' },
    ]);
  });

  it('rejects malformed values with the variable named', () => {
    expect(
      problemsOf({
        PULSE_WAREHOUSE: 'snowflake',
        BIGQUERY_MAX_BYTES_BILLED: '10GB',
        PULSE_WAREHOUSE_STAGING_BUCKET: 'pulse-bucket',
        PULSE_WAREHOUSE_DUCKDB_THREADS: '0',
      }),
    ).toEqual([
      { variable: 'PULSE_WAREHOUSE', message: 'must be duckdb or bigquery' },
      { variable: 'PULSE_WAREHOUSE_DUCKDB_THREADS', message: 'must be greater than 0' },
      { variable: 'BIGQUERY_MAX_BYTES_BILLED', message: 'must be a whole number of bytes' },
      { variable: 'PULSE_WAREHOUSE_STAGING_BUCKET', message: 'must be gs://bucket[/prefix]' },
    ]);
  });
});
