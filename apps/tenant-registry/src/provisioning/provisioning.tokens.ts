import { SecretBox } from '@pulse/crypto';
import type { Provider } from '@nestjs/common';
import { TENANT_REGISTRY_CONFIG, type TenantRegistryConfig } from '../config/tenant-registry.config';
import { DatabaseAdmin } from './database-admin';

export type ProvisioningStep = 'role' | 'database' | 'schema';

/**
 * Called after each provisioning step. Production passes none; tests use it to interrupt provisioning
 * between steps and prove that a rerun finishes the job.
 */
export interface ProvisioningHooks {
  afterStep(step: ProvisioningStep, slug: string): Promise<void>;
}

export const PROVISIONING_HOOKS = Symbol('PROVISIONING_HOOKS');

export const provisioningProviders: Provider[] = [
  {
    provide: DatabaseAdmin,
    inject: [TENANT_REGISTRY_CONFIG],
    useFactory: (config: TenantRegistryConfig) => new DatabaseAdmin(config.tenantDatabases.adminUrl.reveal()),
  },
  {
    provide: SecretBox,
    inject: [TENANT_REGISTRY_CONFIG],
    useFactory: (config: TenantRegistryConfig) => SecretBox.fromBase64(config.secretsKey.reveal()),
  },
];
