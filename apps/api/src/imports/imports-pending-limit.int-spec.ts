import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { ApiUnderTest, type SeededTenant } from '../api.int-kit';

// IMPORT_MAX_PENDING_PER_TENANT: a tenant with that many imports queued or running gets 429 for the next
// upload, before its bytes are stored (one tenant queued 54 imports of 100k rows and held up the others).
// Nothing consumes the queue here, so uploads stay queued until the test moves them on.

describe('POST /v1/imports/{entity}: the cap on a tenant’s pending imports', () => {
  let api: ApiUnderTest;
  let storageDir: string;
  let tenant: SeededTenant;
  let other: SeededTenant;

  const upload = (who: SeededTenant, body: string, headers: Record<string, string> = {}) =>
    fetch(`${api.baseUrl}/v1/imports/customers`, { method: 'POST', headers: { authorization: `Bearer ${who.apiKey}`, 'content-type': 'text/csv', ...headers }, body }).then(
      async (response) => ({ status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> }),
    );
  const storedFiles = async () => (await readdir(storageDir, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile()).length;
  const tenantSql = async (who: SeededTenant, sql: string) => {
    const client = new Client({ connectionString: who.databaseUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    storageDir = await mkdtemp(path.join(tmpdir(), 'pulse-api-pending-'));
    api = await ApiUnderTest.start({ PULSE_STORAGE_DIR: storageDir, IMPORT_MAX_PENDING_PER_TENANT: '2' });
    tenant = await api.seedTenant('pending');
    other = await api.seedTenant('pending-other');
  }, 120_000);

  afterAll(async () => {
    await api?.stop();
    await rm(storageDir, { recursive: true, force: true });
  });

  it('answers 429 with Retry-After past the cap, stores nothing, counts only this tenant, and accepts again once one has finished', async () => {
    const first = await upload(tenant, 'external_id\nc1\n', { 'idempotency-key': 'first-upload' });
    expect(first.status).toBe(202);
    expect((await upload(tenant, 'external_id\nc2\n')).status).toBe(202);
    const files = await storedFiles();

    const refused = await upload(tenant, 'external_id\nc3\n');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.headers.get('retry-after')).toBe('30');
    expect(refused.body).toMatchObject({ status: 429, code: 'imports.too_many_pending' });
    expect(String(refused.body['detail'])).toContain('2 imports queued or running (at most 2)');
    expect(await storedFiles()).toBe(files);

    // A retry of an upload already accepted is replayed, not refused.
    const retried = await upload(tenant, 'external_id\nc1\n', { 'idempotency-key': 'first-upload' });
    expect(retried.status).toBe(202);
    expect(retried.body['importId']).toBe(first.body['importId']);
    // Another tenant's imports are its own.
    expect((await upload(other, 'external_id\nc1\n')).status).toBe(202);

    await tenantSql(tenant, `UPDATE imports SET status = 'succeeded', finished_at = now() WHERE id = '${String(first.body['importId'])}'`);
    expect((await upload(tenant, 'external_id\nc3\n')).status).toBe(202);
  });
});
