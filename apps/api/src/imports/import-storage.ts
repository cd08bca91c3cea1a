import type { Provider } from '@nestjs/common';
import { createObjectStorage, type ObjectStorage } from '@pulse/object-storage';
import { API_CONFIG, type ApiConfig } from '../config/api.config';

export type ImportStorage = ObjectStorage;

export const IMPORT_STORAGE = Symbol('IMPORT_STORAGE');

/** Where uploads go: the configured object storage (a local folder by default, GCS in production). */
export const importStorageProvider: Provider = {
  provide: IMPORT_STORAGE,
  inject: [API_CONFIG],
  useFactory: (config: ApiConfig): ObjectStorage => createObjectStorage(config.imports.storage),
};
