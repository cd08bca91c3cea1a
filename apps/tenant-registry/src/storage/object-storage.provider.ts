import type { Provider } from '@nestjs/common';
import { createObjectStorage, type ObjectStorage } from '@pulse/object-storage';
import { TENANT_REGISTRY_CONFIG, type TenantRegistryConfig } from '../config/tenant-registry.config';

export const OBJECT_STORAGE = Symbol('OBJECT_STORAGE');

/**
 * The object storage the api and ingestion keep tenants' files in (uploads, staged files, source sync
 * batches; a local folder by default, GCS in production). The registry only erases from it at offboarding.
 */
export const objectStorageProvider: Provider = {
  provide: OBJECT_STORAGE,
  inject: [TENANT_REGISTRY_CONFIG],
  useFactory: (config: TenantRegistryConfig): ObjectStorage => createObjectStorage(config.storage),
};
