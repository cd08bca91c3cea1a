import {
  encryptionKey,
  messagingEnvShape,
  positiveInt,
  postgresUrl,
  serviceEnvShape,
  toMessagingSettings,
  toServiceSettings,
} from '@pulse/config';
import { tenantSlugSchema } from '@pulse/contracts';
import { z } from 'zod';

/** The api service's environment, validated at boot, and the config tree built from it. */
export const apiConfigSchema = z
  .object({
    ...serviceEnvShape(3000),
    /** The control plane (read: tenant resolution, tenant database locations). */
    DATABASE_URL: postgresUrl(),
    /** Decrypts tenant database passwords (the same key as the tenant registry's). */
    PULSE_SECRETS_KEY: encryptionKey(),
    TENANT_BASE_DOMAIN: z.string().min(3).default('pulse.localhost'),
    /** Set on a dedicated api workload: it serves this tenant only and refuses every other. */
    PULSE_DEDICATED_TENANT: tenantSlugSchema.optional(),
    /** Connections to tenant databases, per tenant and in all (docs/tenancy.md, connection budget). */
    TENANT_POOL_PER_TENANT: positiveInt(5),
    TENANT_POOL_MAX_CONNECTIONS: positiveInt(12),
    /** How long a resolved API key or host is reused; tenant.* events drop it earlier. */
    TENANT_CACHE_TTL_MS: positiveInt(30_000),
    ...messagingEnvShape(),
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
      cacheTtlMs: env.TENANT_CACHE_TTL_MS,
    },
  }));

export type ApiConfig = z.output<typeof apiConfigSchema>;

export const API_CONFIG = Symbol('API_CONFIG');
