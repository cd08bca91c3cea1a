import {
  booleanFlag,
  encryptionKey,
  messagingEnvShape,
  positiveInt,
  postgresUrl,
  serviceEnvShape,
  toMessagingSettings,
  toServiceSettings,
  toWarehouseSettings,
  warehouseEnvShape,
} from '@pulse/config';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';

const nonNegativeInt = (defaultValue: number) =>
  z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must be 0 or more').default(defaultValue);

/** The metrics service's environment, validated at boot, and the config tree built from it. */
export const metricsConfigSchema = z
  .object({
    ...serviceEnvShape(3003),
    /** The control plane (read: tenants, their settings and database locations). */
    DATABASE_URL: postgresUrl(),
    /** Decrypts tenant database passwords (the same key as the tenant registry's). */
    PULSE_SECRETS_KEY: encryptionKey(),
    /** Connections to tenant databases: a run holds one for its whole length (docs/metrics.md "Metrics runs"). */
    TENANT_POOL_PER_TENANT: positiveInt(3),
    TENANT_POOL_MAX_CONNECTIONS: positiveInt(10),
    /** Quiet time after a tenant's last request before its run starts (a burst of imports -> one run). */
    METRICS_DEBOUNCE_MS: nonNegativeInt(15_000),
    /** A tenant with requests arriving without pause still runs this long after the first one. */
    METRICS_MAX_WAIT_MS: positiveInt(120_000),
    /** Runs at once over all tenants (each tenant runs at most one at a time). */
    METRICS_CONCURRENCY: positiveInt(2),
    /** How often every tenant's queued runs are looked for (also at boot); 0 = only at boot. */
    METRICS_SWEEP_INTERVAL_MS: nonNegativeInt(300_000),
    /**
     * The sweep also queues a run for a tenant whose KPIs are of an earlier day than its own today, so
     * that day-dependent KPIs (days since the last order, 30-day windows, health) move on without new data.
     */
    METRICS_DAILY_RUNS: booleanFlag.default(true),
    /** Scratch folder for the KPI files of runs in progress (deleted after each run). */
    METRICS_WORK_DIR: z.string().min(1).default(path.join(tmpdir(), 'pulse-metrics')),
    ...warehouseEnvShape(),
    ...messagingEnvShape(),
  })
  .transform((env, ctx) => ({
    service: toServiceSettings('metrics', env),
    messaging: toMessagingSettings(env),
    database: { url: env.DATABASE_URL },
    tenancy: {
      secretsKey: env.PULSE_SECRETS_KEY,
      perTenantConnections: env.TENANT_POOL_PER_TENANT,
      maxConnections: env.TENANT_POOL_MAX_CONNECTIONS,
    },
    runs: {
      debounceMs: env.METRICS_DEBOUNCE_MS,
      maxWaitMs: env.METRICS_MAX_WAIT_MS,
      concurrency: env.METRICS_CONCURRENCY,
      sweepIntervalMs: env.METRICS_SWEEP_INTERVAL_MS,
      dailyRuns: env.METRICS_DAILY_RUNS,
      workDir: env.METRICS_WORK_DIR,
    },
    warehouse: toWarehouseSettings(env, ctx),
  }));

export type MetricsConfig = z.output<typeof metricsConfigSchema>;

export const METRICS_CONFIG = Symbol('METRICS_CONFIG');
