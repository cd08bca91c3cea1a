import { encryptionKey, logFormat, logLevel, nodeEnv, positiveInt, postgresUrl } from '@pulse/config';
import { z } from 'zod';

/** Environment of `npm run migrate:tenants` (the tenant-migration Job): the control plane and the key. */
export const migrateTenantsConfigSchema = z
  .object({
    NODE_ENV: nodeEnv,
    LOG_LEVEL: logLevel,
    LOG_FORMAT: logFormat,
    DATABASE_URL: postgresUrl(),
    PULSE_SECRETS_KEY: encryptionKey(),
    /** Tenant databases migrated at once: each takes one connection and some of the instance's CPU. */
    TENANT_MIGRATION_CONCURRENCY: positiveInt(4),
  })
  .transform((env) => ({
    controlPlane: { url: env.DATABASE_URL },
    secretsKey: env.PULSE_SECRETS_KEY,
    concurrency: env.TENANT_MIGRATION_CONCURRENCY,
  }));
