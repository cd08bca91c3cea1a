import {
  baseDomain,
  checkObjectStorageEnv,
  encryptionKey,
  messagingEnvShape,
  objectStorageEnvShape,
  positiveInt,
  postgresUrl,
  secretString,
  serviceEnvShape,
  toMessagingSettings,
  toObjectStorageSettings,
  toServiceSettings,
} from '@pulse/config';
import { z } from 'zod';

/** The tenant registry's environment, validated at boot, and the config tree built from it. */
export const tenantRegistryConfigSchema = z
  .object({
    ...serviceEnvShape(3001),
    /** The control-plane database (tenants, API keys, tenant database references). */
    DATABASE_URL: postgresUrl(),
    /**
     * A login on the shared instance allowed to create roles and databases (CREATEROLE, CREATEDB).
     * Defaults to DATABASE_URL's login; in production a dedicated provisioning role, no superuser (docs/tenancy.md).
     */
    TENANT_DATABASE_ADMIN_URL: postgresUrl().optional(),
    /** How services reach tenant databases, when it differs from the admin URL's host (e.g. a Cloud SQL proxy). */
    TENANT_DATABASE_HOST: z.string().min(1).optional(),
    TENANT_DATABASE_PORT: z.coerce.number().int().min(1).max(65535).optional(),
    /** CONNECTION LIMIT of each tenant role: one tenant cannot take the whole instance's connections. */
    TENANT_CONNECTION_LIMIT: positiveInt(20),
    /** Tenants are served on <slug>.<base domain>. */
    TENANT_BASE_DOMAIN: baseDomain('pulse.localhost'),
    /** Bearer token of the operator API. */
    PULSE_OPERATOR_TOKEN: secretString(32),
    /** AES-256-GCM key for tenant database passwords at rest. */
    PULSE_SECRETS_KEY: encryptionKey(),
    /**
     * Folder where offboarding exports are kept (the exports bucket, mounted, in production). Not the object
     * storage below: offboarding erases the tenant's prefix there, and the export must outlive it.
     */
    EXPORT_DIR: z.string().min(1).default('.pulse/exports'),
    /**
     * How long offboarding waits, the tenant suspended, for its imports, syncs and metrics runs in progress
     * to end before exporting (503 tenant.offboarding_waiting after that: call again).
     */
    OFFBOARDING_WAIT_MS: positiveInt(60_000),
    ...messagingEnvShape(),
    /** The object storage of the api and ingestion (uploads, staged files): offboarding erases the tenant's files there. */
    ...objectStorageEnvShape(),
  })
  .superRefine(checkObjectStorageEnv)
  .transform((env) => ({
    service: toServiceSettings('tenant-registry', env),
    messaging: toMessagingSettings(env),
    controlPlane: { url: env.DATABASE_URL },
    tenantDatabases: {
      adminUrl: env.TENANT_DATABASE_ADMIN_URL ?? env.DATABASE_URL,
      host: env.TENANT_DATABASE_HOST,
      port: env.TENANT_DATABASE_PORT,
      connectionLimit: env.TENANT_CONNECTION_LIMIT,
      baseDomain: env.TENANT_BASE_DOMAIN,
    },
    operatorToken: env.PULSE_OPERATOR_TOKEN,
    secretsKey: env.PULSE_SECRETS_KEY,
    exportDir: env.EXPORT_DIR,
    offboardingWaitMs: env.OFFBOARDING_WAIT_MS,
    storage: toObjectStorageSettings(env),
  }));

export type TenantRegistryConfig = z.output<typeof tenantRegistryConfigSchema>;

export const TENANT_REGISTRY_CONFIG = Symbol('TENANT_REGISTRY_CONFIG');
