import type { Readable } from 'node:stream';

/** What is known about a stored object without reading it. */
export interface ObjectInfo {
  key: string;
  /** Where the object is, as other services name it: `file:///...` locally, `gs://bucket/key` on GCS. */
  uri: string;
  size: number;
  contentType: string | undefined;
  updatedAt: Date;
}

export interface PutOptions {
  contentType?: string;
}

/**
 * Object storage behind one interface: a local folder by default, Google Cloud Storage in production.
 * Keys are `/`-separated relative paths (see objectKey); every object is written whole or not at all,
 * so a reader never sees half an upload under its final key.
 */
export interface ObjectStorage {
  readonly kind: 'local' | 'gcs';
  /** The URI of a key in this storage (what events carry). */
  uriOf(key: string): string;
  /** The key of a URI of this storage; throws ObjectStorageError `foreign_uri` for any other URI. */
  keyOf(uri: string): string;
  /** Streams `body` to `key` (replacing what is there) and resolves once it is durably stored. */
  put(key: string, body: Readable, options?: PutOptions): Promise<ObjectInfo>;
  /** A read stream of the object; it errors with ObjectStorageError `not_found` if there is none. */
  read(key: string): Readable;
  stat(key: string): Promise<ObjectInfo | undefined>;
  /** Deleting a missing object is not an error. */
  delete(key: string): Promise<void>;
  /** Every object whose key starts with `prefix` (GCS: in key order; a local folder: folder by folder, names sorted). */
  list(prefix: string): AsyncIterable<ObjectInfo>;
}
