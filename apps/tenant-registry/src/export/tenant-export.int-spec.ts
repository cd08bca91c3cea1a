import { createTestDatabase, withClient, type TestDatabase } from '@pulse/testing';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { writeTenantExport } from './tenant-export';

/** Sessions of the export still open on the database (its connection must close whatever happened). */
async function exportSessions(database: TestDatabase): Promise<number> {
  return withClient(database.url, async (client) => {
    const { rows } = await client.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'tenant-registry-export'",
    );
    return rows[0]?.n ?? -1;
  });
}

async function waitForNoExportSession(database: TestDatabase): Promise<number> {
  for (let i = 0; i < 50 && (await exportSessions(database)) > 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
  return exportSessions(database);
}

describe('writeTenantExport when its output fails (real PostgreSQL)', () => {
  let database: TestDatabase;
  let folder: string;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    database = await createTestDatabase({ prefix: 'export_output' });
    // Several MB of NDJSON: far more than the streams between COPY and the output buffer.
    await withClient(database.url, (client) =>
      client.query("CREATE TABLE customers AS SELECT g AS id, repeat(md5(g::text), 4) AS name FROM generate_series(1, 100000) g"),
    );
    folder = await mkdtemp(path.join(os.tmpdir(), 'export-output-'));
    process.on('unhandledRejection', onUnhandled);
  });

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await database?.drop();
    await rm(folder, { recursive: true, force: true });
  });

  beforeEach(() => {
    unhandled.length = 0;
  });

  it('fails, and closes its session, when the download is cut short after the first bytes', async () => {
    const download = new PassThrough();
    download.once('data', () => download.destroy());
    // Before: the pipeline's rejection was unhandled (the process ended) and the COPY waited for ever.
    await expect(writeTenantExport(database.url, download, { slug: 'acme' })).rejects.toThrow();
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
    expect(await waitForNoExportSession(database)).toBe(0);
  });

  it('fails with the write error when the output cannot be written', async () => {
    let written = 0;
    const full = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        written += chunk.length;
        callback(written > 64 * 1024 ? Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }) : null);
      },
    });
    await expect(writeTenantExport(database.url, full, { slug: 'acme' })).rejects.toThrow('ENOSPC');
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
    expect(await waitForNoExportSession(database)).toBe(0);
  });

  it('fails when the export file cannot be opened, instead of an unhandled error event', async () => {
    const file = createWriteStream(path.join(folder, 'no-such-folder', 'acme.zip'));
    await expect(writeTenantExport(database.url, file, { slug: 'acme' })).rejects.toThrow('ENOENT');
    expect(unhandled).toEqual([]);
    expect(await waitForNoExportSession(database)).toBe(0);
  });

  it('still writes the whole export to a working output', async () => {
    const chunks: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk);
        callback();
      },
    });
    await expect(writeTenantExport(database.url, sink, { slug: 'acme' })).resolves.toEqual({ customers: 100000 });
    // A zip: local file header at the start, end of central directory record near the end.
    const zip = Buffer.concat(chunks);
    expect(zip.subarray(0, 4)).toEqual(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
    expect(zip.includes(Buffer.from([0x50, 0x4b, 0x05, 0x06]), zip.length - 200)).toBe(true);
  });
});
