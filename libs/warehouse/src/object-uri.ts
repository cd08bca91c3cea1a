import { fileURLToPath } from 'node:url';
import { WarehouseError } from './warehouse-error';

/** Copies the object at a non-file URI (gs://...) into a local file; supplied by the caller's object storage. */
export type FetchObject = (objectUri: string, destinationPath: string) => Promise<void>;

/** The local path of a file:// URI or a plain absolute path; undefined for other schemes (gs://). */
export function localPathOf(uriOrPath: string): string | undefined {
  if (uriOrPath.startsWith('file://')) return fileURLToPath(uriOrPath);
  if (uriOrPath.startsWith('/')) return uriOrPath;
  return undefined;
}

/** Tenant and import ids become file names: only characters that are safe in any path. */
export function assertSafeName(what: string, value: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/.test(value)) {
    throw new WarehouseError(
      'warehouse_invalid_request',
      `${what} ${JSON.stringify(value)} is not usable: use 1-128 letters, digits, '-' or '_' (a UUID is)`,
    );
  }
}
