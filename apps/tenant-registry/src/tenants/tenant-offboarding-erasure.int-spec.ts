import { importObjectKey, tenantPrefix, type ObjectStorage } from '@pulse/object-storage';
import { FakeGcsServer } from '@pulse/testing';
import { randomUUID } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { startRegistry, uniqueSlug, type RegistryUnderTest } from '../tenant-registry.int-kit';

// Offboarding erases the tenant's files in object storage (uploads, staged files, source sync batches:
// everything under tenants/<id>/), on the local folder and on GCS, and leaves other tenants' files and
// the export alone.

/** Every file under a folder, as /-separated paths relative to it. */
async function filesUnder(root: string, folder = ''): Promise<string[]> {
  const entries = await readdir(path.join(root, folder), { withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const entry of entries) {
    const relative = folder ? `${folder}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...(await filesUnder(root, relative)));
    else files.push(relative);
  }
  return files.sort();
}

/** An upload, its staged file and a source sync batch of the tenant, as the api and ingestion name them. */
async function putTenantFiles(storage: ObjectStorage, tenantId: string): Promise<string[]> {
  const importId = randomUUID();
  const keys = [
    importObjectKey(tenantId, importId, 'upload.csv'),
    importObjectKey(tenantId, importId, 'staged.csv'),
    `${tenantPrefix(tenantId)}sources/${randomUUID()}/syncs/${randomUUID()}/00001.ndjson`,
  ];
  for (const key of keys) await storage.put(key, Readable.from([Buffer.from(`data of ${key}\n`)]));
  return keys;
}

async function createTenant(registry: RegistryUnderTest, created: string[]): Promise<{ slug: string; id: string }> {
  const slug = uniqueSlug('erase');
  const response = await registry.call('POST', '/v1/tenants', { slug, name: `Tenant ${slug}` });
  expect(response.status).toBe(201);
  created.push(slug);
  return { slug, id: response.body.tenant.id as string };
}

describe('offboarding erases the tenant files in object storage: local folder', () => {
  let registry: RegistryUnderTest;
  const created: string[] = [];

  beforeAll(async () => {
    registry = await startRegistry();
  });

  afterAll(async () => {
    for (const slug of created) await registry.call('DELETE', `/v1/tenants/${slug}`);
    await registry?.stop();
  });

  it("deletes the tenant's uploads and staged files, keeps other tenants' files and the export, and DELETE again is fine", async () => {
    const root = registry.storageDir as string;
    const leaving = await createTenant(registry, created);
    const staying = await createTenant(registry, created);
    await putTenantFiles(registry.storage, leaving.id);
    const kept = (await putTenantFiles(registry.storage, staying.id)).sort();
    expect((await filesUnder(root)).filter((file) => file.startsWith(tenantPrefix(leaving.id)))).toHaveLength(3);

    const offboarded = await registry.call('DELETE', `/v1/tenants/${leaving.slug}`);
    expect(offboarded.status).toBe(200);
    expect(offboarded.body).toMatchObject({ status: 'offboarded', database: null });
    expect(await filesUnder(root)).toEqual(kept);
    expect(await readFile(path.join(root, kept[0] as string), 'utf8')).toBe(`data of ${kept[0]}\n`);
    // The export is outside the object storage and survives the erasure.
    const exportFile = fileURLToPath(offboarded.body.exportUri as string);
    expect(path.relative(root, exportFile).startsWith('..')).toBe(true);
    expect((await stat(exportFile)).size).toBeGreaterThan(0);
    const [erased] = await registry.query<{ details: Record<string, unknown> }>(
      `SELECT details FROM audit_log WHERE action = 'tenant.files_erased' AND tenant_slug = $1`,
      [leaving.slug],
    );
    expect(erased?.details).toEqual({ storage: 'local', prefix: tenantPrefix(leaving.id), deleted: 3 });

    // A file written after the erasure (an import that was in flight) goes on the next DELETE.
    const late = importObjectKey(leaving.id, randomUUID(), 'staged.csv');
    await registry.storage.put(late, Readable.from([Buffer.from('late\n')]));
    const again = await registry.call('DELETE', `/v1/tenants/${leaving.slug}`);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: 'offboarded', exportUri: offboarded.body.exportUri });
    expect(await filesUnder(root)).toEqual(kept);
    expect((await stat(exportFile)).size).toBeGreaterThan(0);

    // Nothing left to erase: still 200, and the files of the other tenant are untouched.
    expect((await registry.call('DELETE', `/v1/tenants/${leaving.slug}`)).status).toBe(200);
    expect(await filesUnder(root)).toEqual(kept);
  });
});

describe('offboarding erases the tenant files in object storage: GCS (fake JSON API)', () => {
  const bucket = 'pulse-uploads';
  let fake: FakeGcsServer;
  let registry: RegistryUnderTest;
  const created: string[] = [];

  beforeAll(async () => {
    fake = await FakeGcsServer.start(bucket);
    registry = await startRegistry({ gcs: { endpoint: fake.endpoint, bucket } });
  });

  afterAll(async () => {
    if (fake) fake.forbidden = false;
    for (const slug of created) await registry?.call('DELETE', `/v1/tenants/${slug}`);
    await registry?.stop();
    await fake?.stop();
  });

  it('answers 503 tenant.offboarding_incomplete while the bucket refuses, and the next DELETE lists the prefix and deletes each object', async () => {
    const leaving = await createTenant(registry, created);
    const staying = await createTenant(registry, created);
    const keys = (await putTenantFiles(registry.storage, leaving.id)).sort();
    const kept = await putTenantFiles(registry.storage, staying.id);

    // As GCS answers an account without a role on the bucket: the tenant is offboarded and its database
    // dropped, but the erasure is reported unfinished, not as a success.
    fake.forbidden = true;
    const refused = await registry.call('DELETE', `/v1/tenants/${leaving.slug}`);
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ code: 'tenant.offboarding_incomplete' });
    expect(refused.body.detail).toContain('erasing its files in object storage failed');
    // What tells the operator the erasure is not complete, after the 503 is gone from view.
    expect((await registry.call('GET', `/v1/tenants/${leaving.slug}`)).body).toMatchObject({ status: 'offboarded', database: null, erasedAt: null });
    expect([...fake.objects.keys()].filter((key) => key.startsWith(tenantPrefix(leaving.id))).sort()).toEqual(keys);

    fake.forbidden = false;
    fake.requests.length = 0;
    const finished = await registry.call('DELETE', `/v1/tenants/${leaving.slug}`);
    expect(finished.status).toBe(200);
    expect(Date.parse(finished.body.erasedAt as string)).toBeGreaterThan(Date.parse(finished.body.offboardedAt as string));
    expect((await registry.call('GET', `/v1/tenants/${leaving.slug}`)).body).toMatchObject({ erasedAt: finished.body.erasedAt });
    expect([...fake.objects.keys()].sort()).toEqual([...kept].sort());

    // Page size 2 in the fake: the listing by prefix (two pages), one DELETE per object, an empty listing.
    const listing = ['GET', `/storage/v1/b/${bucket}/o`];
    const seen = fake.requests.map((r) => [r.method, r.path, r.query['prefix'], r.query['pageToken']]);
    expect(seen.slice(0, 2)).toEqual([
      [...listing, tenantPrefix(leaving.id), undefined],
      [...listing, tenantPrefix(leaving.id), '2'],
    ]);
    expect(seen.slice(2, 5).sort()).toEqual(keys.map((key) => ['DELETE', `/storage/v1/b/${bucket}/o/${encodeURIComponent(key)}`, undefined, undefined]));
    expect(seen.slice(5)).toEqual([[...listing, tenantPrefix(leaving.id), undefined]]);

    // DELETE again: one empty listing, nothing deleted.
    fake.requests.length = 0;
    expect((await registry.call('DELETE', `/v1/tenants/${leaving.slug}`)).status).toBe(200);
    expect(fake.requests.map((r) => [r.method, r.path, r.query['prefix']])).toEqual([[...listing, tenantPrefix(leaving.id)]]);
    expect([...fake.objects.keys()].sort()).toEqual([...kept].sort());
  });
});
