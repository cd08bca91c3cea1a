import { assertValidPrefix } from './object-key';
import type { ObjectStorage } from './object-storage';
import { ObjectStorageError } from './object-storage-error';

const BATCH = 500;
const CONCURRENCY = 8;

/**
 * Deletes every object whose key starts with `prefix` (a folder: non-empty, ending in `/`, such as
 * tenantPrefix(id)), through the storage's own list and delete, and resolves to how many it deleted.
 * Idempotent: objects already gone are fine, so a run interrupted anywhere is finished by running it
 * again. Works in batches, each listed afresh after the previous one is deleted, so memory stays
 * bounded and no listing page is read across deletions (which could skip objects).
 */
export async function deleteObjectsUnder(storage: ObjectStorage, prefix: string): Promise<number> {
  if (!prefix.endsWith('/') || prefix === '/') {
    throw new ObjectStorageError('invalid_key', `Refusing to delete under "${prefix}": give a folder prefix ending in "/".`);
  }
  assertValidPrefix(prefix);
  let deleted = 0;
  for (;;) {
    const keys: string[] = [];
    for await (const info of storage.list(prefix)) {
      keys.push(info.key);
      if (keys.length >= BATCH) break;
    }
    if (keys.length === 0) return deleted;
    for (let i = 0; i < keys.length; i += CONCURRENCY) {
      await Promise.all(keys.slice(i, i + CONCURRENCY).map((key) => storage.delete(key)));
    }
    deleted += keys.length;
  }
}
