export type { ObjectStorage, ObjectInfo, PutOptions } from './object-storage';
export { ObjectStorageError, type ObjectStorageErrorCode } from './object-storage-error';
export { assertValidKey, importObjectKey, sourcesPrefix, tenantPrefix } from './object-key';
export { LocalFolderStorage } from './local-folder-storage';
export { GcsStorage, type GcsStorageOptions } from './gcs-storage';
export { createObjectStorage } from './create-object-storage';
export { deleteObjectsUnder } from './delete-prefix';
