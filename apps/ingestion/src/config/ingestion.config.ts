import {
  checkObjectStorageEnv,
  encryptionKey,
  messagingEnvShape,
  objectStorageEnvShape,
  positiveInt,
  postgresUrl,
  serviceEnvShape,
  toMessagingSettings,
  toObjectStorageSettings,
  toServiceSettings,
  toWarehouseSettings,
  warehouseEnvShape,
} from '@pulse/config';
import { sourceAllowListField } from '@pulse/connectors';
import { DEFAULT_BATCH_SIZE } from '@pulse/parsing';
import { z } from 'zod';

/** The ingestion service's environment, validated at boot, and the config tree built from it. */
export const ingestionConfigSchema = z
  .object({
    ...serviceEnvShape(3002),
    /** The control plane (read: where each tenant's database is, the tenant's timezone). */
    DATABASE_URL: postgresUrl(),
    /** Decrypts tenant database passwords (the same key as the tenant registry's). */
    PULSE_SECRETS_KEY: encryptionKey(),
    TENANT_POOL_PER_TENANT: positiveInt(3),
    TENANT_POOL_MAX_CONNECTIONS: positiveInt(8),
    ...messagingEnvShape(),
    ...objectStorageEnvShape(),
    ...warehouseEnvShape(),
    /** Imports loaded at once by one replica (each holds one tenant connection and one core while parsing). */
    INGESTION_CONCURRENCY: positiveInt(2),
    /**
     * Rows per parser batch; by default the parser's own (1 000). Small on purpose: the rows of the batch
     * being built survive V8's young generation collections and get copied; at 1 000 they stay short-lived
     * and staging runs about twice as fast as at 10 000 (docs/benchmarks.md, "Ingestion"; libs/parsing/README.md).
     */
    INGESTION_BATCH_ROWS: positiveInt(DEFAULT_BATCH_SIZE),
    /** Rows staged per transaction: progress is checkpointed this often, and a crash redoes at most this many. */
    INGESTION_CHECKPOINT_ROWS: positiveInt(100_000),
    /**
     * From this many loadable rows on, an import into an empty table inserts without its secondary
     * indexes and foreign keys and rebuilds them after (docs/ingestion.md, "Bulk loads").
     */
    INGESTION_BULK_LOAD_MIN_ROWS: positiveInt(50_000),
    /**
     * Private networks source syncs may reach (CIDRs, addresses, host names, comma-separated); by default
     * none: loopback, RFC 1918, link-local (the metadata server) and the like are refused.
     */
    SOURCE_ALLOWED_PRIVATE_NETWORKS: sourceAllowListField(),
  })
  .superRefine(checkObjectStorageEnv)
  .transform((env, ctx) => ({
    service: toServiceSettings('ingestion', env),
    messaging: toMessagingSettings(env),
    database: { url: env.DATABASE_URL },
    tenancy: {
      secretsKey: env.PULSE_SECRETS_KEY,
      perTenantConnections: env.TENANT_POOL_PER_TENANT,
      maxConnections: env.TENANT_POOL_MAX_CONNECTIONS,
    },
    storage: toObjectStorageSettings(env),
    warehouse: toWarehouseSettings(env, ctx),
    loading: {
      concurrency: env.INGESTION_CONCURRENCY,
      batchRows: env.INGESTION_BATCH_ROWS,
      checkpointRows: env.INGESTION_CHECKPOINT_ROWS,
      bulkLoadMinRows: env.INGESTION_BULK_LOAD_MIN_ROWS,
    },
    sources: { allowedPrivateNetworks: env.SOURCE_ALLOWED_PRIVATE_NETWORKS },
  }));

export type IngestionConfig = z.output<typeof ingestionConfigSchema>;

export const INGESTION_CONFIG = Symbol('INGESTION_CONFIG');
