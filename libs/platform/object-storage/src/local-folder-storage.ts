import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { assertValidKey, assertValidPrefix } from './object-key';
import type { ObjectInfo, ObjectStorage, PutOptions } from './object-storage';
import { ObjectStorageError } from './object-storage-error';

// Uploads are written beside their final name and renamed when complete (atomic on one file system),
// so a crash never leaves a truncated object under a real key. Listing skips these.
const PARTIAL_SUFFIX = '.partial';

/** A folder on the local disk (`.pulse/storage` under the project by default): development and tests. */
export class LocalFolderStorage implements ObjectStorage {
  readonly kind = 'local';
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  uriOf(key: string): string {
    return pathToFileURL(this.pathOf(key)).href;
  }

  keyOf(uri: string): string {
    let file: string;
    try {
      file = fileURLToPath(uri);
    } catch {
      throw new ObjectStorageError('foreign_uri', `"${uri}" is not a file:// URI of this storage (${this.root}).`);
    }
    const relative = path.relative(this.root, file);
    if (relative.startsWith('..') || path.isAbsolute(relative)) {
      throw new ObjectStorageError('foreign_uri', `"${uri}" is outside this storage (${this.root}).`);
    }
    return assertValidKey(relative.split(path.sep).join('/'));
  }

  async put(key: string, body: Readable, _options: PutOptions = {}): Promise<ObjectInfo> {
    const file = this.pathOf(key);
    await mkdir(path.dirname(file), { recursive: true });
    const partial = `${file}.${randomBytes(6).toString('hex')}${PARTIAL_SUFFIX}`;
    const out = createWriteStream(partial, { flags: 'wx' });
    try {
      await pipeline(body, out);
      await rename(partial, file);
    } catch (error) {
      // A body that fails at once rejects the pipeline while the file may still be being opened: removed
      // before it exists, it would be created afterwards and left behind. Once closed, it is there or never will be.
      if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
      await rm(partial, { force: true });
      throw error;
    }
    return (await this.stat(key)) as ObjectInfo;
  }

  read(key: string): Readable {
    const file = this.pathOf(key);
    const out = new PassThrough();
    const source = createReadStream(file);
    source.on('error', (error: NodeJS.ErrnoException) =>
      out.destroy(error.code === 'ENOENT' ? new ObjectStorageError('not_found', `No object "${key}".`, { cause: error }) : error),
    );
    source.pipe(out);
    // A reader that stops early (a failed import destroys its stream) must not leave the source open:
    // unpiped, it would hold its file or connection until garbage collection.
    out.once('close', () => source.destroy());
    return out;
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    try {
      const info = await stat(this.pathOf(key));
      return info.isFile() ? { key, uri: this.uriOf(key), size: info.size, contentType: undefined, updatedAt: info.mtime } : undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    assertValidPrefix(prefix);
    // Walk from the deepest folder the prefix names completely, then filter by the full prefix.
    const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    for await (const key of this.walk(folder)) {
      if (!key.startsWith(prefix)) continue;
      const info = await this.stat(key);
      if (info) yield info;
    }
  }

  private async *walk(folderKey: string): AsyncIterable<string> {
    let entries;
    try {
      entries = await readdir(path.join(this.root, ...folderKey.split('/').filter(Boolean)), { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const key = folderKey ? `${folderKey}/${entry.name}` : entry.name;
      if (entry.isDirectory()) yield* this.walk(key);
      else if (entry.isFile() && !entry.name.endsWith(PARTIAL_SUFFIX)) yield key;
    }
  }

  private pathOf(key: string): string {
    return path.join(this.root, ...assertValidKey(key).split('/'));
  }
}
