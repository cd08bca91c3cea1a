import { BigQuery } from '@google-cloud/bigquery';
import type { WarehouseSettings } from '@pulse/config';
import { OAuth2Client } from 'google-auth-library';
import { BigQueryWarehouse } from './bigquery/bigquery-warehouse';
import { DuckDbWarehouse, type DuckDbWarehouseOptions } from './duckdb/duckdb-warehouse';
import type { FetchObject } from './object-uri';
import type { Warehouse } from './warehouse';

export interface WarehouseDependencies {
  /** Downloads a gs:// staged object to a local file (DuckDB with staged files in GCS). */
  fetchObject?: FetchObject;
  /** A ready BigQuery client (tests); by default one is built from the settings with Application Default Credentials. */
  bigQueryClient?: BigQuery;
}

export function createDuckDbWarehouse(options: DuckDbWarehouseOptions): DuckDbWarehouse {
  return new DuckDbWarehouse(options);
}

/** A BigQuery client for the settings: Google's endpoint with ADC, or the fake at emulatorHost with a dummy token. */
export function createBigQueryClient(settings: { projectId: string; location: string; emulatorHost: string | undefined }): BigQuery {
  if (settings.emulatorHost === undefined) return new BigQuery({ projectId: settings.projectId, location: settings.location });
  return new BigQuery({
    projectId: settings.projectId,
    location: settings.location,
    apiEndpoint: settings.emulatorHost,
    // A fake has no OAuth: a fixed token keeps the client from looking for credentials.
    authClient: new OAuth2Client({ credentials: { access_token: 'pulse-bigquery-emulator' } }),
  });
}

/** The configured warehouse (PULSE_WAREHOUSE): DuckDB files by default, BigQuery in production. */
export function createWarehouse(settings: WarehouseSettings, dependencies: WarehouseDependencies = {}): Warehouse {
  if (settings.kind === 'duckdb') {
    return createDuckDbWarehouse({
      directory: settings.directory,
      threads: settings.threads,
      memoryLimit: settings.memoryLimit,
      fetchObject: dependencies.fetchObject,
    });
  }
  return new BigQueryWarehouse({
    client: dependencies.bigQueryClient ?? createBigQueryClient(settings),
    projectId: settings.projectId,
    location: settings.location,
    maxBytesBilled: settings.maxBytesBilled,
  });
}
