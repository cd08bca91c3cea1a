export { DATAGEN_ENTITIES, customerExternalId, productSku, orderExternalId, type DatagenEntity } from './tenant-model';
export { DEFAULT_AS_OF, type TenantOptions } from './tenant-options';
export type { DatagenFormat, DatagenLocale } from './cell-format';
export type { DatagenEncoding, DatagenHeaders } from './entity-stream';
export {
  createEntityStream,
  datagenImportSettings,
  generateTenantFiles,
  tenantRowCounts,
  type DatagenImportMapping,
  type GeneratedFile,
  type GenerateTenantFilesOptions,
} from './tenant-files';
