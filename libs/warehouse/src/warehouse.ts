import type { CanonicalEntity } from '@pulse/contracts';

export type WarehouseDialect = 'duckdb' | 'bigquery';

/** The tenant a warehouse call is for (taken from TenantContext). */
export interface WarehouseTenant {
  readonly tenantId: string;
  readonly slug: string;
}

/**
 * A staged canonical file (ingestion writes it): CSV, UTF-8, header row, comma, RFC 4180 quoting, empty unquoted
 * = NULL, quoted empty = empty string. Columns = `warehouseColumns(entity)` in that order (the entity's
 * canonical fields except `aliases`, then `custom` as JSON text), without `loaded_at`.
 */
export interface StagedLoad {
  readonly tenant: WarehouseTenant;
  readonly entity: CanonicalEntity;
  readonly importId: string;
  /** upsert: rows replace those with the same key; replace: the table ends up holding exactly this file. */
  readonly mode: 'upsert' | 'replace';
  /** file:///... locally, gs://bucket/object in production. */
  readonly objectUri: string;
}

export interface QueryOptions {
  /** Names the metric (or step) for logs and BigQuery job labels. */
  readonly label: string;
  /**
   * Stops the statement when aborted (DuckDB: the connection is interrupted; BigQuery: the job is
   * cancelled): the call then rejects with the signal's reason, and nothing of the statement is kept.
   */
  readonly signal?: AbortSignal;
}

export interface ApplyLoadsOptions {
  /** Stops between loads and interrupts the one under way (rolled back; it stays queued). */
  readonly signal?: AbortSignal;
}

export interface ExportOptions extends QueryOptions {
  /**
   * Where the CSV goes: a local path or file:// URI (DuckDB), a gs:// URI (BigQuery; the object name
   * may contain one `*`, replaced by the shard number — see docs/metrics.md "Warehouse").
   */
  readonly destination: string;
}

export interface ExportResult {
  readonly rows: number;
  /** The written file (DuckDB: a local path) or object pattern (BigQuery: gs://... with `*` if sharded). */
  readonly location: string;
}

/**
 * A row as returned by `query`, the same on every dialect: integers as numbers (a string outside
 * JavaScript's safe range), floating values as numbers, DECIMAL/NUMERIC as exact strings ('12.5000'),
 * DATE as 'YYYY-MM-DD', TIMESTAMP(TZ) as ISO-8601 UTC with Z ('2024-01-02T03:04:05.123Z'), JSON as
 * JSON text, booleans as booleans, NULL as null.
 */
export type WarehouseValue = string | number | boolean | null;
export type WarehouseRow = Record<string, WarehouseValue>;

export interface Warehouse {
  readonly dialect: WarehouseDialect;
  /** Queue a staged canonical file for the tenant's warehouse tables (ingestion calls it once the rows are committed in PostgreSQL). */
  appendStaged(load: StagedLoad): Promise<void>;
  /** Apply queued loads in order (DuckDB: the single writer does it before computing; BigQuery: no-op). */
  applyPendingLoads(tenant: WarehouseTenant, options?: ApplyLoadsOptions): Promise<{ applied: number }>;
  /** Run statements; `label` names the metric for logs/BigQuery job labels. */
  execute(tenant: WarehouseTenant, sql: string, options: QueryOptions): Promise<void>;
  query<T = WarehouseRow>(tenant: WarehouseTenant, sql: string, options: QueryOptions): Promise<T[]>;
  /** Write a query's result as CSV (header, UTF-8, empty unquoted = NULL) to a local file / GCS object. */
  exportQuery(tenant: WarehouseTenant, sql: string, options: ExportOptions): Promise<ExportResult>;
  /** Offboarding: delete everything the warehouse holds for the tenant (tables, queued loads). */
  dropTenant(tenant: WarehouseTenant): Promise<void>;
  close(): Promise<void>;
}
