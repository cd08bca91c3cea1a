import { mkdtemp, readdir, readlink, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { FakeGcsServer, waitFor } from '@pulse/testing';
import { deleteObjectsUnder } from './delete-prefix';
import { GcsStorage } from './gcs-storage';
import { LocalFolderStorage } from './local-folder-storage';
import type { ObjectStorage } from './object-storage';

const collect = async (storage: ObjectStorage, prefix: string) => {
  const keys: string[] = [];
  for await (const info of storage.list(prefix)) keys.push(info.key);
  return keys;
};

/** The behaviour every adapter must have, run against each. */
describe.each([
  ['local folder', 'local'],
  ['GCS (fake JSON API)', 'gcs'],
] as const)('ObjectStorage contract: %s', (_name, kind) => {
  let storage: ObjectStorage;
  let folder: string | undefined;
  let fake: FakeGcsServer | undefined;

  beforeAll(async () => {
    if (kind === 'local') {
      folder = await mkdtemp(path.join(tmpdir(), 'pulse-storage-'));
      storage = new LocalFolderStorage(folder);
    } else {
      fake = await FakeGcsServer.start('pulse-test-bucket');
      storage = new GcsStorage({ bucket: 'pulse-test-bucket', projectId: 'pulse-test', apiEndpoint: fake.endpoint });
    }
  });

  afterAll(async () => {
    await fake?.stop();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it('stores a stream and reads back the same bytes, with its size', async () => {
    const body = 'external_id,name\nc1,São Paulo\n';
    const info = await storage.put('tenants/t1/imports/i1/upload.csv', Readable.from([Buffer.from(body.slice(0, 10)), Buffer.from(body.slice(10))]), {
      contentType: 'text/csv',
    });
    expect(info.size).toBe(Buffer.byteLength(body));
    expect(await text(storage.read('tenants/t1/imports/i1/upload.csv'))).toBe(body);
    expect((await storage.stat('tenants/t1/imports/i1/upload.csv'))?.size).toBe(Buffer.byteLength(body));
  });

  it('names objects by URI and maps its own URIs back to keys only', async () => {
    const uri = storage.uriOf('tenants/t1/imports/i1/upload.csv');
    expect(uri).toMatch(kind === 'local' ? /^file:\/\/\/.*\/tenants\/t1\/imports\/i1\/upload\.csv$/ : /^gs:\/\/pulse-test-bucket\/tenants\/t1\/imports\/i1\/upload\.csv$/);
    expect(storage.keyOf(uri)).toBe('tenants/t1/imports/i1/upload.csv');
    const foreign = kind === 'local' ? 'file:///etc/passwd' : 'gs://another-bucket/tenants/t1/x';
    expect(() => storage.keyOf(foreign)).toThrow(expect.objectContaining({ code: 'object_storage.foreign_uri' }));
  });

  it('lists by prefix and deletes; a missing object reads as not_found', async () => {
    for (const key of ['tenants/t2/imports/a/upload.csv', 'tenants/t2/imports/b/upload.csv', 'tenants/t2/imports/b/staged.csv', 'tenants/t3/imports/c/upload.csv']) {
      await storage.put(key, Readable.from(['x']));
    }
    expect(await collect(storage, 'tenants/t2/')).toEqual(['tenants/t2/imports/a/upload.csv', 'tenants/t2/imports/b/staged.csv', 'tenants/t2/imports/b/upload.csv']);
    expect(await collect(storage, 'tenants/t2/imports/b/s')).toEqual(['tenants/t2/imports/b/staged.csv']);

    await storage.delete('tenants/t2/imports/b/staged.csv');
    await storage.delete('tenants/t2/imports/b/never-there.csv');
    expect(await storage.stat('tenants/t2/imports/b/staged.csv')).toBeUndefined();
    await expect(text(storage.read('tenants/t2/imports/b/staged.csv'))).rejects.toMatchObject({ code: 'object_storage.not_found' });
  });

  it('deletes everything under a folder prefix and nothing else, and again without error (a retried erasure)', async () => {
    const keys = ['tenants/t5/imports/a/upload.csv', 'tenants/t5/imports/a/staged.csv', 'tenants/t5/imports/b/upload.csv', 'tenants/t50/imports/c/upload.csv'];
    for (const key of keys) await storage.put(key, Readable.from(['x']));

    expect(await deleteObjectsUnder(storage, 'tenants/t5/')).toBe(3);
    expect(await collect(storage, 'tenants/t5/')).toEqual([]);
    expect(await collect(storage, 'tenants/t50/')).toEqual(['tenants/t50/imports/c/upload.csv']);
    if (folder) expect(await readdir(path.join(folder, 'tenants/t5/imports/a'))).toEqual([]);
    expect(await deleteObjectsUnder(storage, 'tenants/t5/')).toBe(0);
    await expect(deleteObjectsUnder(storage, 'tenants/t5')).rejects.toMatchObject({ code: 'object_storage.invalid_key' });
    await expect(deleteObjectsUnder(storage, '')).rejects.toMatchObject({ code: 'object_storage.invalid_key' });
  });

  it('keeps nothing under the key when the upload stream fails half-way', async () => {
    const failing = new Readable({
      read() {
        this.push('half of a file\n');
        this.destroy(new Error('client went away'));
      },
    });
    await expect(storage.put('tenants/t4/imports/x/upload.csv', failing)).rejects.toThrow();
    expect(await storage.stat('tenants/t4/imports/x/upload.csv')).toBeUndefined();
    if (folder) expect(await readdir(path.join(folder, 'tenants/t4/imports/x'))).toEqual([]);
  });
});

describe('GcsStorage requests (checked against the JSON API)', () => {
  let fake: FakeGcsServer;
  let storage: GcsStorage;

  beforeAll(async () => {
    fake = await FakeGcsServer.start('pulse-uploads');
    storage = new GcsStorage({ bucket: 'pulse-uploads', projectId: 'pulse-test', apiEndpoint: fake.endpoint });
  });

  afterAll(() => fake.stop());

  beforeEach(() => {
    fake.requests.length = 0;
  });

  it('uploads through a resumable session: one POST naming the object, one PUT with all the bytes', async () => {
    const body = Buffer.alloc(300_000, 'a');
    await storage.put('tenants/t1/imports/i1/upload.csv', Readable.from([body.subarray(0, 100_000), body.subarray(100_000)]), { contentType: 'text/csv' });
    const [session, bytes, metadata] = fake.requests;
    expect(session).toMatchObject({ method: 'POST', path: '/upload/storage/v1/b/pulse-uploads/o', query: expect.objectContaining({ uploadType: 'resumable', name: 'tenants/t1/imports/i1/upload.csv' }) });
    expect(bytes).toMatchObject({ method: 'PUT', path: '/upload/storage/v1/b/pulse-uploads/o', bodyBytes: 300_000 });
    expect(bytes?.query['upload_id']).toBe('1');
    expect(metadata).toMatchObject({ method: 'GET', path: `/storage/v1/b/pulse-uploads/o/${encodeURIComponent('tenants/t1/imports/i1/upload.csv')}` });
    expect(fake.requests).toHaveLength(3);
    expect(fake.objects.get('tenants/t1/imports/i1/upload.csv')?.contentType).toBe('text/csv');
  });

  it('deletes a prefix with listings by prefix and one DELETE per object, listing afresh until nothing is left', async () => {
    for (const name of ['a', 'b', 'c']) await storage.put(`tenants/t7/imports/i/${name}.csv`, Readable.from([name]));
    await storage.put('tenants/t70/keep.csv', Readable.from(['k']));
    fake.requests.length = 0;

    expect(await deleteObjectsUnder(storage, 'tenants/t7/')).toBe(3);
    const object = (name: string) => `/storage/v1/b/pulse-uploads/o/${encodeURIComponent(`tenants/t7/imports/i/${name}.csv`)}`;
    expect(fake.requests.map((r) => [r.method, r.path, r.query['prefix'], r.query['pageToken']])).toEqual([
      // Page size 2 in the fake: the whole listing (two pages), then the three DELETEs, then an empty listing.
      ['GET', '/storage/v1/b/pulse-uploads/o', 'tenants/t7/', undefined],
      ['GET', '/storage/v1/b/pulse-uploads/o', 'tenants/t7/', '2'],
      ['DELETE', object('a'), undefined, undefined],
      ['DELETE', object('b'), undefined, undefined],
      ['DELETE', object('c'), undefined, undefined],
      ['GET', '/storage/v1/b/pulse-uploads/o', 'tenants/t7/', undefined],
    ]);
    expect([...fake.objects.keys()].filter((key) => key.startsWith('tenants/t7'))).toEqual(['tenants/t70/keep.csv']);
  });

  it('downloads with alt=media and lists with prefix and page tokens', async () => {
    await storage.put('tenants/t9/a.csv', Readable.from(['1']));
    await storage.put('tenants/t9/b.csv', Readable.from(['2']));
    await storage.put('tenants/t9/c.csv', Readable.from(['3']));
    fake.requests.length = 0;

    expect(await text(storage.read('tenants/t9/b.csv'))).toBe('2');
    expect(fake.requests[0]).toMatchObject({ method: 'GET', path: `/storage/v1/b/pulse-uploads/o/${encodeURIComponent('tenants/t9/b.csv')}`, query: expect.objectContaining({ alt: 'media' }) });

    fake.requests.length = 0;
    expect(await collect(storage, 'tenants/t9/')).toEqual(['tenants/t9/a.csv', 'tenants/t9/b.csv', 'tenants/t9/c.csv']);
    // Page size 2 in the fake: two pages, the second asked for with the first's token.
    expect(fake.requests.map((r) => [r.method, r.path, r.query['prefix'], r.query['pageToken']])).toEqual([
      ['GET', '/storage/v1/b/pulse-uploads/o', 'tenants/t9/', undefined],
      ['GET', '/storage/v1/b/pulse-uploads/o', 'tenants/t9/', '2'],
    ]);
  });

  it('deletes with DELETE on the object', async () => {
    await storage.put('tenants/t8/x.csv', Readable.from(['x']));
    fake.requests.length = 0;
    await storage.delete('tenants/t8/x.csv');
    expect(fake.requests.map((r) => [r.method, r.path])).toEqual([['DELETE', `/storage/v1/b/pulse-uploads/o/${encodeURIComponent('tenants/t8/x.csv')}`]]);
    expect(fake.objects.has('tenants/t8/x.csv')).toBe(false);
  });

  it('reports an unreachable GCS as storage_unavailable (retryable)', async () => {
    const offline = new GcsStorage({ bucket: 'pulse-uploads', apiEndpoint: 'http://127.0.0.1:9', maxRetries: 0 });
    await expect(offline.stat('tenants/t1/x.csv')).rejects.toMatchObject({ code: 'object_storage.storage_unavailable', retryable: true });
  });
});

describe('LocalFolderStorage writes', () => {
  it('leaves no partial file behind an upload whose body fails before its file is even open (many in a row: it is a race)', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'pulse-storage-'));
    try {
      const storage = new LocalFolderStorage(folder);
      for (let upload = 0; upload < 500; upload += 1) {
        const failing = new Readable({
          read() {
            this.destroy(new Error('client went away'));
          },
        });
        await expect(storage.put(`t/${upload}/upload.csv`, failing)).rejects.toThrow('client went away');
      }
      const left = (await readdir(folder, { recursive: true })).filter((entry) => entry.endsWith('.csv') || entry.endsWith('.partial'));
      expect(left).toEqual([]);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});

describe('LocalFolderStorage reads', () => {
  /** Open file descriptors of this process that point at `file` (Linux's /proc). */
  const openDescriptorsOf = async (file: string) => {
    const targets = await Promise.all((await readdir('/proc/self/fd')).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
    return targets.filter((target) => target === file).length;
  };

  it('releases the file when the reader stops early (a failed import destroys its stream)', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'pulse-storage-'));
    try {
      const storage = new LocalFolderStorage(folder);
      await storage.put('t/big.csv', Readable.from([Buffer.alloc(4 * 1024 * 1024, 'a')]));
      const file = await realpath(path.join(folder, 't/big.csv'));

      const reader = storage.read('t/big.csv');
      await new Promise((resolve) => reader.once('data', resolve));
      expect(await openDescriptorsOf(file)).toBe(1);
      reader.destroy();

      // Closed asynchronously, soon; without the release it stays open until garbage collection.
      await waitFor(async () => (await openDescriptorsOf(file)) === 0, { description: 'the file to be closed', timeoutMs: 5_000 });
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
