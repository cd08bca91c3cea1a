import { z } from 'zod';

/** Where KPIs are computed: embedded DuckDB files (default) or BigQuery (production). */
export type WarehouseSettings =
  | {
      kind: 'duckdb';
      /** Folder of the tenants' DuckDB files and load inboxes. */
      directory: string;
      /** DuckDB threads per tenant database; undefined = DuckDB's default (all cores). */
      threads: number | undefined;
      /** DuckDB memory limit per tenant database, e.g. '2GB'; undefined = DuckDB's default (80% of RAM). */
      memoryLimit: string | undefined;
    }
  | {
      kind: 'bigquery';
      /** Local scratch folder (downloaded exports). */
      directory: string;
      projectId: string;
      /** Location of the tenant datasets and jobs, e.g. 'US', 'southamerica-east1'. */
      location: string;
      /** A query job that would bill more than this fails instead of running (guard against runaway costs). */
      maxBytesBilled: string;
      /** gs://bucket[/prefix] for export files. */
      stagingBucket: string;
      /** http(s)://host:port of a BigQuery REST fake (tests); undefined = Google's endpoint. */
      emulatorHost: string | undefined;
    };

const BIGQUERY_REQUIRED = ['BIGQUERY_PROJECT', 'BIGQUERY_LOCATION', 'PULSE_WAREHOUSE_STAGING_BUCKET'] as const;

export function warehouseEnvShape() {
  return {
    PULSE_WAREHOUSE: z.enum(['duckdb', 'bigquery'], { error: 'must be duckdb or bigquery' }).default('duckdb'),
    PULSE_WAREHOUSE_DIR: z.string().min(1).default('.pulse/warehouse'),
    PULSE_WAREHOUSE_DUCKDB_THREADS: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').positive('must be greater than 0').optional(),
    PULSE_WAREHOUSE_DUCKDB_MEMORY_LIMIT: z
      .string()
      .regex(/^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, "must be a size such as '2GB'")
      .optional(),
    BIGQUERY_PROJECT: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'must be a Google Cloud project id').optional(),
    BIGQUERY_LOCATION: z.string().min(2).optional(),
    BIGQUERY_MAX_BYTES_BILLED: z
      .string()
      .regex(/^[1-9]\d*$/, 'must be a whole number of bytes')
      // 100 GiB: generous for a 1M-customer tenant's refresh, yet stops a query scanning a whole history by mistake.
      .default('107374182400'),
    BIGQUERY_EMULATOR_HOST: z
      .string()
      .regex(/^(https?:\/\/)?[^:/\s]+:\d+\/?$/, 'must be host:port or http://host:port')
      .optional(),
    PULSE_WAREHOUSE_STAGING_BUCKET: z.string().regex(/^gs:\/\/[a-z0-9][a-z0-9._-]{1,220}(\/.*)?$/, 'must be gs://bucket[/prefix]').optional(),
  };
}

type WarehouseEnv = z.output<z.ZodObject<ReturnType<typeof warehouseEnvShape>>>;

/**
 * Builds the warehouse settings. Call it from the service schema's `.transform((env, ctx) => ...)`:
 * with PULSE_WAREHOUSE=bigquery each missing BigQuery variable is reported on `ctx` by name, so boot
 * fails with e.g. "BIGQUERY_PROJECT: is required".
 */
export function toWarehouseSettings(env: WarehouseEnv, ctx: z.RefinementCtx): WarehouseSettings {
  if (env.PULSE_WAREHOUSE === 'duckdb') {
    return {
      kind: 'duckdb',
      directory: env.PULSE_WAREHOUSE_DIR,
      threads: env.PULSE_WAREHOUSE_DUCKDB_THREADS,
      memoryLimit: env.PULSE_WAREHOUSE_DUCKDB_MEMORY_LIMIT,
    };
  }
  for (const variable of BIGQUERY_REQUIRED) {
    if (env[variable] === undefined) {
      ctx.addIssue({ code: 'custom', path: [variable], message: 'is required when PULSE_WAREHOUSE=bigquery' });
    }
  }
  const emulatorHost = env.BIGQUERY_EMULATOR_HOST;
  return {
    kind: 'bigquery',
    directory: env.PULSE_WAREHOUSE_DIR,
    projectId: env.BIGQUERY_PROJECT ?? '',
    location: env.BIGQUERY_LOCATION ?? '',
    maxBytesBilled: env.BIGQUERY_MAX_BYTES_BILLED,
    stagingBucket: (env.PULSE_WAREHOUSE_STAGING_BUCKET ?? '').replace(/\/+$/, ''),
    emulatorHost: emulatorHost === undefined || /^https?:\/\//.test(emulatorHost) ? emulatorHost : `http://${emulatorHost}`,
  };
}
