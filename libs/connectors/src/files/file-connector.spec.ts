import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { FileConnector, parseFileUrl } from './file-connector';
import type { FileStore, ListedFile } from './file-listing';

/** A bucket holding these object names; `list` returns those under the prefix, as GCS and S3 do. */
function bucketOf(names: string[], contents: Record<string, Buffer> = {}): FileStore {
  return {
    async *list(prefix: string): AsyncGenerator<ListedFile> {
      for (const name of names.filter((n) => n.startsWith(prefix))) {
        const body = contents[name] ?? Buffer.from('x');
        yield { uri: `gs://b/${name}`, version: '1', size: body.length, open: async () => Readable.from([body]) };
      }
    },
    close: async () => undefined,
  };
}

async function filesRead(url: string, names: string[]): Promise<string[]> {
  const connector = new FileConnector(parseFileUrl(url), bucketOf(names));
  const read: string[] = [];
  let state = null;
  for (;;) {
    const page = await connector.readPage(state, { syncStart: read.length === 0 });
    if (page.kind === 'file') read.push(page.file.uri);
    state = page.state;
    if (page.done) return read;
  }
}

describe('FileConnector: which objects a URL selects', () => {
  const names = ['exports/customers.csv', 'exports/customers.csv.bak', 'exports/customers.csv.tmp', 'exports/orders.csv', 'exports/old/customers.csv'];

  it('reads exactly the object a URL without glob names, not every object whose name starts with it', async () => {
    // Before: the .bak (applied after the real file, overwriting it) and the half-written .tmp were loaded too.
    expect(await filesRead('gs://b/exports/customers.csv', names)).toEqual(['gs://b/exports/customers.csv']);
    expect(await filesRead('gs://b/exports/missing.csv', names)).toEqual([]);
  });

  it('refuses a URL without a final / that names a folder, instead of reading nothing at every sync', async () => {
    // Such a URL read the folder before a URL without a glob came to name one object.
    await expect(filesRead('gs://b/exports', names)).rejects.toMatchObject({ code: 'invalid_source_config', message: 'gs://b/exports names no object but a folder: end the URL with / to read every file in it' });
  });

  it('reads every object in a folder (a final /) and what a glob matches', async () => {
    expect(await filesRead('gs://b/exports/', names)).toEqual(names.map((name) => `gs://b/${name}`).sort());
    expect(await filesRead('gs://b/exports/*.csv', names)).toEqual(['gs://b/exports/customers.csv', 'gs://b/exports/orders.csv']);
  });
});

describe('FileConnector: compressed files', () => {
  const text = async (stream: Readable) => {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
    return Buffer.concat(chunks).toString('utf8');
  };
  const NDJSON = '{"external_id":"c1","name":"Ana"}\n{"external_id":"c2","name":"Bia"}\n';

  it('hands a .gz file on decompressed, in the format of its name without .gz', async () => {
    const connector = new FileConnector(parseFileUrl('gs://b/events/*.ndjson.gz'), bucketOf(['events/day1.ndjson.gz'], { 'events/day1.ndjson.gz': gzipSync(NDJSON) }));
    const page = await connector.readPage(null, { syncStart: true });
    if (page.kind !== 'file') throw new Error(`expected a file page, got ${page.kind}`);
    expect(page.file).toMatchObject({ uri: 'gs://b/events/day1.ndjson.gz', format: 'ndjson', size: null });
    // Before: the gzip bytes were stored and parsed as if they were the NDJSON text.
    expect(await text(await page.file.open())).toBe(NDJSON);
  });

  it('hands on as it is a .gz file served decompressed already (Cloud Storage transcoding), and fails a truncated one naming it', async () => {
    const files = { 'plain.csv.gz': Buffer.from('id\n1\n'), 'cut.csv.gz': gzipSync('id\n1\n2\n').subarray(0, 15) };
    const connector = new FileConnector(parseFileUrl('gs://b/*.csv.gz'), bucketOf(Object.keys(files), files));
    const first = await connector.readPage(null, { syncStart: true });
    if (first.kind !== 'file') throw new Error(`expected a file page, got ${first.kind}`);
    expect(first.file.uri).toBe('gs://b/cut.csv.gz');
    await expect(text(await first.file.open())).rejects.toMatchObject({ code: 'source_request_failed', message: expect.stringContaining('gs://b/cut.csv.gz could not be decompressed') });
    const second = await connector.readPage(first.state, { syncStart: false });
    if (second.kind !== 'file') throw new Error(`expected a file page, got ${second.kind}`);
    expect(await text(await second.file.open())).toBe('id\n1\n');
  });
});
