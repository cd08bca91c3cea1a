import { Storage, type File } from '@google-cloud/storage';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertValidKey, assertValidPrefix } from './object-key';
import type { ObjectInfo, ObjectStorage, PutOptions } from './object-storage';
import { ObjectStorageError } from './object-storage-error';

export interface GcsStorageOptions {
  bucket: string;
  /** Google Cloud project; taken from the environment's credentials when absent. */
  projectId?: string;
  /** Another endpoint than Google's (tests: a local fake of the JSON API). Requests then carry no credentials. */
  apiEndpoint?: string;
  /** Retries of a failed request (the client's exponential backoff); the library's default when absent. */
  maxRetries?: number;
}

interface GcsMetadata {
  name?: string;
  size?: string | number;
  contentType?: string;
  updated?: string;
}

function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** A failure of GCS itself is an outage (retryable); a 404 means the object is not there. */
function translate(error: unknown, key: string): Error {
  if (error instanceof ObjectStorageError) return error;
  if (statusOf(error) === 404) return new ObjectStorageError('not_found', `No object "${key}".`, { cause: error });
  const reason = error instanceof Error ? error.message : String(error);
  return new ObjectStorageError('storage_unavailable', `Google Cloud Storage failed for "${key}": ${reason}`, { cause: error });
}

/**
 * Google Cloud Storage (production). Uploads are resumable sessions streamed in one request (the
 * client library's default), so memory stays flat whatever the size, and GCS publishes the object only
 * when the upload is complete. The client checks the MD5 GCS reports against what it sent.
 */
export class GcsStorage implements ObjectStorage {
  readonly kind = 'gcs';
  private readonly storage: Storage;

  constructor(private readonly options: GcsStorageOptions) {
    this.storage = new Storage({
      ...(options.projectId ? { projectId: options.projectId } : {}),
      ...(options.apiEndpoint ? { apiEndpoint: options.apiEndpoint } : {}),
      ...(options.maxRetries !== undefined ? { retryOptions: { maxRetries: options.maxRetries, autoRetry: options.maxRetries > 0 } } : {}),
    });
  }

  uriOf(key: string): string {
    return `gs://${this.options.bucket}/${assertValidKey(key)}`;
  }

  keyOf(uri: string): string {
    const prefix = `gs://${this.options.bucket}/`;
    if (!uri.startsWith(prefix)) throw new ObjectStorageError('foreign_uri', `"${uri}" is not in bucket gs://${this.options.bucket}.`);
    return assertValidKey(uri.slice(prefix.length));
  }

  async put(key: string, body: Readable, options: PutOptions = {}): Promise<ObjectInfo> {
    const file = this.file(key);
    try {
      await pipeline(
        body,
        file.createWriteStream({ resumable: true, validation: 'md5', ...(options.contentType ? { contentType: options.contentType } : {}) }),
      );
      const [metadata] = await file.getMetadata();
      return this.info(key, metadata as GcsMetadata);
    } catch (error) {
      // The caller's stream failing (client gone, size limit) is the caller's error, not an outage.
      if (body.errored) throw body.errored;
      throw translate(error, key);
    }
  }

  read(key: string): Readable {
    const out = new PassThrough();
    const source = this.file(key).createReadStream({ validation: false });
    source.on('error', (error) => out.destroy(translate(error, key)));
    source.pipe(out);
    // A reader that stops early (a failed import destroys its stream) must not leave the source open:
    // unpiped, it would hold its file or connection until garbage collection.
    out.once('close', () => source.destroy());
    return out;
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    try {
      const [metadata] = await this.file(key).getMetadata();
      return this.info(key, metadata as GcsMetadata);
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw translate(error, key);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.file(key).delete({ ignoreNotFound: true });
    } catch (error) {
      throw translate(error, key);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    assertValidPrefix(prefix);
    let pageToken: string | undefined;
    do {
      let files: File[];
      let next: { pageToken?: string } | null | undefined;
      try {
        [files, next] = await this.storage.bucket(this.options.bucket).getFiles({ prefix, autoPaginate: false, maxResults: 1000, pageToken });
      } catch (error) {
        throw translate(error, prefix);
      }
      for (const file of files) yield this.info(file.name, file.metadata as GcsMetadata);
      pageToken = next?.pageToken;
    } while (pageToken);
  }

  private file(key: string): File {
    return this.storage.bucket(this.options.bucket).file(assertValidKey(key));
  }

  private info(key: string, metadata: GcsMetadata): ObjectInfo {
    return {
      key,
      uri: this.uriOf(key),
      size: Number(metadata.size ?? 0),
      contentType: metadata.contentType,
      updatedAt: metadata.updated ? new Date(metadata.updated) : new Date(0),
    };
  }
}
