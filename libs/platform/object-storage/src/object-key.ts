import { ObjectStorageError } from './object-storage-error';

// Letters, digits and a few safe punctuation marks per segment: keys become file paths locally and
// object names on GCS, and must mean the same thing in both (no `..`, no empty segments).
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._=-]{0,199}$/;

/** Throws `invalid_key` unless `key` is a relative `/`-separated path of safe segments. */
export function assertValidKey(key: string): string {
  const segments = key.split('/');
  if (key.length > 1000 || segments.some((segment) => !SEGMENT.test(segment) || segment.includes('..'))) {
    throw new ObjectStorageError('invalid_key', `Invalid object key "${key}": use /-separated segments of letters, digits, '.', '_', '=', '-'.`);
  }
  return key;
}

/** Listing prefixes may end in `/` or in the middle of a segment; otherwise the same rules as keys. */
export function assertValidPrefix(prefix: string): string {
  if (prefix === '') return prefix;
  const trimmed = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  assertValidKey(trimmed);
  return prefix;
}

/** Objects are kept per tenant, so a tenant's data can be listed, exported and erased by prefix. */
export function tenantPrefix(tenantId: string): string {
  return `tenants/${assertValidKey(tenantId)}/`;
}

/** `tenants/<tenantId>/imports/<importId>/<name>`: the upload and the files derived from it. */
export function importObjectKey(tenantId: string, importId: string, name: string): string {
  return assertValidKey(`${tenantPrefix(tenantId)}imports/${importId}/${name}`);
}

/** `tenants/<tenantId>/sources/`: the files source syncs write (`<sourceId>/syncs/<syncId>/<batch>.<format>`). */
export function sourcesPrefix(tenantId: string): string {
  return `${tenantPrefix(tenantId)}sources/`;
}
