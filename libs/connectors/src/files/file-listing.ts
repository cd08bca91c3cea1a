import type { Readable } from 'node:stream';

/** One object/file as listed by a storage API. */
export interface ListedFile {
  uri: string;
  /** GCS generation or S3/HTTP ETag. */
  version: string;
  size: number | null;
  open(): Promise<Readable>;
}

export interface FileStore {
  /** Every file under `prefix` (an object-name prefix; glob filtering happens afterwards). */
  list(prefix: string): AsyncGenerator<ListedFile>;
  close(): Promise<void>;
}
