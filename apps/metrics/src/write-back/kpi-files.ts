import { Storage } from '@google-cloud/storage';
import { createReadStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';

/**
 * The parts of one KPI file, in order. A local path or file:// URI is one part; a gs:// URI is one
 * object, or, with a `*` in its name (a sharded BigQuery export), every object matching it in name
 * order. Each part is a whole CSV with its own header line.
 */
export async function kpiFileParts(location: string, storage: () => Storage = () => new Storage()): Promise<Array<() => Readable>> {
  if (location.startsWith('gs://')) {
    const [, bucketName = '', objectName = ''] = /^gs:\/\/([^/]+)\/(.+)$/.exec(location) ?? [];
    if (!bucketName || !objectName) throw new Error(`Not a gs://bucket/object location: ${location}`);
    const bucket = storage().bucket(bucketName);
    if (!objectName.includes('*')) return [() => bucket.file(objectName).createReadStream()];
    const [prefix = '', suffix = ''] = objectName.split('*');
    const [files] = await bucket.getFiles({ prefix });
    const names = files.map((file) => file.name).filter((name) => name.endsWith(suffix)).sort();
    if (names.length === 0) throw new Error(`No objects match ${location}`);
    return names.map((name) => () => bucket.file(name).createReadStream());
  }
  const localPath = location.startsWith('file://') ? fileURLToPath(location) : location;
  return [() => createReadStream(localPath)];
}
