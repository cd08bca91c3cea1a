import {
  baseDomain,
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
} from '@pulse/config';
import { sourceAllowListField } from '@pulse/connectors';
import { tenantSlugSchema } from '@pulse/contracts';
import { z } from 'zod';

const planLimit = z.strictObject({ perSecond: z.number().positive(), burst: z.number().int().positive() });

/** Standard 20 req/s with bursts of 40, enterprise 100/200 (DESIGN "Public REST API"). */
const DEFAULT_RATE_LIMIT_PLANS = { standard: { perSecond: 20, burst: 40 }, enterprise: { perSecond: 100, burst: 200 } };

const rateLimitPlans = z
  .string()
  .optional()
  .transform((value, ctx) => {
    if (value === undefined) return DEFAULT_RATE_LIMIT_PLANS;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON: {"<plan>": {"perSecond": n, "burst": n}}' });
      return z.NEVER;
    }
  })
  .pipe(z.record(z.string(), planLimit).refine((plans) => 'standard' in plans, 'must define the "standard" plan (the fallback)'));

/** The api service's environment, validated at boot, and the config tree built from it. */
export const apiConfigSchema = z
  .object({
    ...serviceEnvShape(3000),
    /** The control plane (read: tenant resolution, tenant database locations). */
    DATABASE_URL: postgresUrl(),
    /** Decrypts tenant database passwords (the same key as the tenant registry's). */
    PULSE_SECRETS_KEY: encryptionKey(),
    TENANT_BASE_DOMAIN: baseDomain('pulse.localhost'),
    /** Set on a dedicated api workload: it serves this tenant only and refuses every other. */
    PULSE_DEDICATED_TENANT: tenantSlugSchema.optional(),
    /** Connections to tenant databases, per tenant and in all (docs/tenancy.md, connection budget). */
    TENANT_POOL_PER_TENANT: positiveInt(5),
    TENANT_POOL_MAX_CONNECTIONS: positiveInt(12),
    /**
     * How long opening a tenant database connection may take before the request is answered 503
     * database_unavailable. A healthy connection (TCP, TLS, SCRAM: a few round trips) takes well under a
     * second even across regions; 3 s leaves headroom for a loaded server while a client, which usually
     * gives up after 5-30 s, hears of an outage soon enough to retry (the pool's 10 s default, kept by
     * ingestion and metrics, suits background work, not a request).
     */
    TENANT_POOL_CONNECT_TIMEOUT_MS: positiveInt(3_000),
    /**
     * How long one statement of a request may run on a tenant database (its statement_timeout; a
     * database that does not answer at all is given up on 2 s later and the connection discarded), then
     * the request is 503 database_unavailable. The api's statements read a page or one row by index and
     * take milliseconds; 15 s is far beyond any healthy one, and keeps a frozen database from holding
     * requests and connections forever.
     */
    TENANT_POOL_QUERY_TIMEOUT_MS: positiveInt(15_000),
    /** How long a resolved API key or host is reused; tenant.* events drop it earlier. */
    TENANT_CACHE_TTL_MS: positiveInt(30_000),
    /**
     * Requests per second and burst per tenant plan (JSON); a plan not listed gets `standard`'s. The
     * buckets live in each replica's memory, so each replica enforces the plan divided by the live api
     * replicas of its group, counted in the control plane (http/rate-limit/replica-heartbeat.ts).
     */
    RATE_LIMIT_PLANS: rateLimitPlans,
    /** How often a replica records itself in the control plane and counts the live replicas again. */
    RATE_LIMIT_HEARTBEAT_MS: positiveInt(10_000),
    /** A replica not seen for this long stops counting (one that died without removing its row). */
    RATE_LIMIT_REPLICA_WINDOW_MS: positiveInt(30_000),
    /**
     * The pod's namespace (the lane; the downward API sets it): with PULSE_DEDICATED_TENANT it names the
     * replicas that share a tenant's traffic, the only ones a replica divides the plan by.
     */
    POD_NAMESPACE: z.string().min(1).default('local'),
    /** How long a completed Idempotency-Key is replayed before the key may be used afresh. */
    IDEMPOTENCY_KEY_TTL_HOURS: positiveInt(24),
    /** Responses larger than this are gzip/brotli-compressed when the client accepts it. */
    COMPRESSION_THRESHOLD_BYTES: positiveInt(1024),
    ...messagingEnvShape(),
    /** Uploaded import files (docs/ingestion.md): a local folder by default, a GCS bucket in production. */
    ...objectStorageEnvShape(),
    /** The largest import upload accepted; larger bodies are cut off with 413. */
    IMPORT_MAX_BYTES: positiveInt(10 * 1024 ** 3),
    /**
     * Imports a tenant may have queued or running at once; an upload past it is 429 (before its bytes are
     * stored), so one tenant cannot fill the shared storage and ingestion queue.
     */
    IMPORT_MAX_PENDING_PER_TENANT: positiveInt(20),
    /**
     * Private networks a source's connection test may reach (CIDRs, addresses, host names, comma-separated);
     * by default none: loopback, RFC 1918, link-local (the metadata server) and the like are refused.
     */
    SOURCE_ALLOWED_PRIVATE_NETWORKS: sourceAllowListField(),
  })
  .superRefine(checkObjectStorageEnv)
  .superRefine((env, ctx) => {
    // A live replica must never drop out between two of its own heartbeats (a slow beat included).
    if (env.RATE_LIMIT_REPLICA_WINDOW_MS < 2 * env.RATE_LIMIT_HEARTBEAT_MS) {
      ctx.addIssue({ code: 'custom', path: ['RATE_LIMIT_REPLICA_WINDOW_MS'], message: 'must be at least twice RATE_LIMIT_HEARTBEAT_MS' });
    }
    // Rows unseen for an hour are deleted as long gone (replica-heartbeat.ts).
    if (env.RATE_LIMIT_REPLICA_WINDOW_MS > 600_000) {
      ctx.addIssue({ code: 'custom', path: ['RATE_LIMIT_REPLICA_WINDOW_MS'], message: 'must be at most 600000 (10 minutes)' });
    }
  })
  .transform((env) => ({
    service: toServiceSettings('api', env),
    messaging: toMessagingSettings(env),
    database: { url: env.DATABASE_URL },
    tenancy: {
      secretsKey: env.PULSE_SECRETS_KEY,
      baseDomain: env.TENANT_BASE_DOMAIN,
      dedicatedTenant: env.PULSE_DEDICATED_TENANT,
      perTenantConnections: env.TENANT_POOL_PER_TENANT,
      maxConnections: env.TENANT_POOL_MAX_CONNECTIONS,
      connectTimeoutMs: env.TENANT_POOL_CONNECT_TIMEOUT_MS,
      queryTimeoutMs: env.TENANT_POOL_QUERY_TIMEOUT_MS,
      cacheTtlMs: env.TENANT_CACHE_TTL_MS,
    },
    http: {
      rateLimits: {
        plans: env.RATE_LIMIT_PLANS,
        replicas: {
          group: `${env.POD_NAMESPACE}/${env.PULSE_DEDICATED_TENANT ?? 'shared'}`,
          heartbeatMs: env.RATE_LIMIT_HEARTBEAT_MS,
          windowMs: env.RATE_LIMIT_REPLICA_WINDOW_MS,
        },
      },
      idempotencyKeyTtlHours: env.IDEMPOTENCY_KEY_TTL_HOURS,
      compressionThresholdBytes: env.COMPRESSION_THRESHOLD_BYTES,
    },
    imports: { storage: toObjectStorageSettings(env), maxUploadBytes: env.IMPORT_MAX_BYTES, maxPendingPerTenant: env.IMPORT_MAX_PENDING_PER_TENANT },
    sources: { allowedPrivateNetworks: env.SOURCE_ALLOWED_PRIVATE_NETWORKS },
  }));

export type ApiConfig = z.output<typeof apiConfigSchema>;

export const API_CONFIG = Symbol('API_CONFIG');
