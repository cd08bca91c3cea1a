import type { ObjectStorageSettings } from '@pulse/config';
import { GcsStorage } from './gcs-storage';
import { LocalFolderStorage } from './local-folder-storage';
import type { ObjectStorage } from './object-storage';

/** The configured storage: a local folder (default) or a GCS bucket. */
export function createObjectStorage(settings: ObjectStorageSettings): ObjectStorage {
  if (settings.kind === 'gcs') return new GcsStorage({ bucket: settings.bucket, projectId: settings.projectId, apiEndpoint: settings.apiEndpoint });
  return new LocalFolderStorage(settings.directory);
}
