import { messagingEnvShape, postgresUrl, serviceEnvShape, toMessagingSettings, toServiceSettings } from '@pulse/config';
import { z } from 'zod';

/** The tenant registry's environment, validated at boot, and the config tree built from it. */
export const tenantRegistryConfigSchema = z
  .object({
    ...serviceEnvShape(3001),
    /** The control-plane database (tenants, API keys, tenant database references). */
    DATABASE_URL: postgresUrl(),
    ...messagingEnvShape(),
  })
  .transform((env) => ({
    service: toServiceSettings('tenant-registry', env),
    messaging: toMessagingSettings(env),
    controlPlane: { url: env.DATABASE_URL },
  }));

export type TenantRegistryConfig = z.output<typeof tenantRegistryConfigSchema>;

export const TENANT_REGISTRY_CONFIG = Symbol('TENANT_REGISTRY_CONFIG');
