import type { Provider } from '@nestjs/common';
import { createObjectStorage, type ObjectStorage } from '@pulse/object-storage';
import { createWarehouse, type Warehouse } from '@pulse/warehouse';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { INGESTION_CONFIG, type IngestionConfig } from '../config/ingestion.config';

export const IMPORT_STORAGE = Symbol('IMPORT_STORAGE');
export const IMPORT_WAREHOUSE = Symbol('IMPORT_WAREHOUSE');

export const importStorageProvider: Provider = {
  provide: IMPORT_STORAGE,
  inject: [INGESTION_CONFIG],
  useFactory: (config: IngestionConfig): ObjectStorage => createObjectStorage(config.storage),
};

/** The tenant warehouse that loaded rows are appended to; a DuckDB warehouse reads gs:// staged files through our storage. */
export const importWarehouseProvider: Provider = {
  provide: IMPORT_WAREHOUSE,
  inject: [INGESTION_CONFIG, IMPORT_STORAGE],
  useFactory: (config: IngestionConfig, storage: ObjectStorage): Warehouse =>
    createWarehouse(config.warehouse, {
      fetchObject: (objectUri, destinationPath) => pipeline(storage.read(storage.keyOf(objectUri)), createWriteStream(destinationPath)),
    }),
};
