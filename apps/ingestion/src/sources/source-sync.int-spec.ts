import { sealCredentials } from '@pulse/connectors';
import { createTestDatabase, withClient, type TestDatabase } from '@pulse/testing';
import { createDuckDbWarehouse } from '@pulse/warehouse';
import path from 'node:path';
import { IngestionUnderTest, type SeededTenant } from '../ingestion.int-kit';
import { SourceScheduler } from './source-scheduler';

// Source syncs end to end in the ingestion service: a real PostgreSQL database plays the tenant's
// external system; the scheduler claims runs, the runner feeds the real import loader, and the tenant's
// `customers` table must equal the source table after every sync.

/** The external test database listens on loopback, which ingestion refuses unless the operator allows it. */
const LOOPBACK_SOURCES = '127.0.0.0/8,::1/128';

describe('source syncs (scheduler -> connector -> import loader)', () => {
  let ingestion: IngestionUnderTest;
  let external: TestDatabase;
  let tenant: SeededTenant;
  let other: SeededTenant;

  const scheduler = () => ingestion.app.get(SourceScheduler);
  const externalEndpoint = () => {
    const url = new URL(external.url);
    return { host: url.hostname, port: Number(url.port || 5432), database: url.pathname.slice(1), user: decodeURIComponent(url.username) };
  };
  // The embedded test server has a password; the machine's PostgreSQL trusts local connections (any password).
  const externalCredentials = () => ({ password: decodeURIComponent(new URL(external.url).password) || 'unused-with-trust-auth' });

  async function createSource(target: SeededTenant, connection: Record<string, unknown>, extra: { schedule?: string; credentials?: Record<string, string> } = {}): Promise<string> {
    const [row] = await ingestion.rows<{ id: string }>(
      target,
      `INSERT INTO sources (name, kind, entity, config, credentials, schedule) VALUES ($1, $2, 'customers', $3::jsonb, $4, $5) RETURNING id`,
      [`crm-${Math.random().toString(36).slice(2, 8)}`, connection['kind'], JSON.stringify(connection), extra.credentials ? sealCredentials(ingestion.box, extra.credentials) : null, extra.schedule ?? null],
    );
    return (row as { id: string }).id;
  }

  async function runNow(target: SeededTenant, sourceId: string): Promise<Record<string, unknown>> {
    const [queued] = await ingestion.rows<{ id: string }>(target, `INSERT INTO source_syncs (source_id, trigger) VALUES ($1, 'manual') RETURNING id`, [sourceId]);
    await scheduler().tick();
    await scheduler().idle();
    const [sync] = await ingestion.rows(target, 'SELECT status, rows_read, rows_loaded, rows_rejected, rows_deleted, error_code, error, array_length(import_ids, 1) AS imports FROM source_syncs WHERE id = $1', [(queued as { id: string }).id]);
    return sync as Record<string, unknown>;
  }

  async function sourceCustomers(): Promise<string[][]> {
    return withClient(external.url, async (client) =>
      (await client.query<{ row: string[] }>(`SELECT ARRAY[external_id, name, coalesce(email, '')] AS row FROM crm_customers ORDER BY external_id`)).rows.map(({ row }) => row),
    );
  }

  async function tenantCustomers(target: SeededTenant): Promise<string[][]> {
    return (await ingestion.rows<{ row: string[] }>(target, `SELECT ARRAY[external_id, name, coalesce(email, '')] AS row FROM customers ORDER BY external_id`)).map(({ row }) => row);
  }

  beforeAll(async () => {
    ingestion = await IngestionUnderTest.start({ SOURCE_ALLOWED_PRIVATE_NETWORKS: LOOPBACK_SOURCES });
    tenant = await ingestion.seedTenant('sources');
    other = await ingestion.seedTenant('bystander');
    external = await createTestDatabase({ prefix: 'external_crm' });
    await withClient(external.url, (client) =>
      client.query(`CREATE TABLE crm_customers (external_id text PRIMARY KEY, name text NOT NULL, email text, tier text, updated_at timestamptz(6) NOT NULL);
        INSERT INTO crm_customers VALUES
          ('c1', 'Ana', 'ana@x.test', 'gold', '2026-03-01 10:00:00.100001Z'),
          ('c2', 'Bia', NULL, 'silver', '2026-03-01 10:00:00.100001Z'),
          ('c3', 'Caio', 'caio@x.test', NULL, '2026-03-01 10:00:05Z')`),
    );
  });

  afterAll(async () => {
    await ingestion?.stop();
    await external?.drop();
  });

  it('loads incrementally through the loader, commits the position with the data, and keeps extra columns in custom', async () => {
    const sourceId = await createSource(
      tenant,
      { kind: 'postgres', ...externalEndpoint(), table: { name: 'crm_customers' }, syncMode: 'incremental', cursorColumns: ['updated_at'], primaryKey: ['external_id'], lookbackSeconds: 60, pageSize: 2 },
      { credentials: externalCredentials() },
    );
    expect(await runNow(tenant, sourceId)).toMatchObject({ status: 'succeeded', rows_read: '3', rows_loaded: '3', rows_rejected: '0', imports: 1, error: null });
    expect(await tenantCustomers(tenant)).toEqual(await sourceCustomers());
    const [ana] = await ingestion.rows<{ custom: Record<string, unknown>; source_id: string }>(tenant, `SELECT custom, source_id FROM customers WHERE external_id = 'c1'`);
    expect(ana).toEqual({ custom: expect.objectContaining({ tier: 'gold' }), source_id: sourceId });
    const [state] = await ingestion.rows<{ cursor: { highWater: unknown[] }; last_status: string }>(tenant, 'SELECT cursor, last_status FROM sync_states WHERE source_id = $1', [sourceId]);
    expect(state?.cursor.highWater).toEqual(['2026-03-01T10:00:05Z', 'c3']);

    // An update, a new row and a late row (behind the high-water mark, inside the lookback).
    await withClient(external.url, (client) =>
      client.query(`UPDATE crm_customers SET name = 'Ana Maria', updated_at = '2026-03-01 10:01:00Z' WHERE external_id = 'c1';
        INSERT INTO crm_customers VALUES ('c4', 'Davi', 'davi@x.test', NULL, '2026-03-01 10:01:00Z'), ('c0', 'Late', NULL, NULL, '2026-03-01 10:00:01Z')`),
    );
    expect(await runNow(tenant, sourceId)).toMatchObject({ status: 'succeeded', rows_read: '3', rows_loaded: '3' });
    expect(await tenantCustomers(tenant)).toEqual(await sourceCustomers());
    expect(await runNow(tenant, sourceId)).toMatchObject({ status: 'succeeded', rows_read: '0', imports: null });
    expect(await tenantCustomers(other)).toEqual([]);
  });

  /** What the warehouse holds once its queued loads are applied (as the metrics service does before computing). */
  async function inWarehouse(target: SeededTenant, sql: string): Promise<Array<Record<string, unknown>>> {
    const warehouse = createDuckDbWarehouse({ directory: path.join(ingestion.folder, 'warehouse') });
    try {
      const at = { tenantId: target.tenantId, slug: target.slug };
      await warehouse.applyPendingLoads(at);
      return await warehouse.query(at, sql, { label: 'test' });
    } finally {
      await warehouse.close();
    }
  }

  it('deletes rows gone from the source on a full refresh, only among the rows this source wrote, in the warehouse too', async () => {
    const sourceId = await createSource(
      tenant,
      { kind: 'postgres', ...externalEndpoint(), table: { name: 'crm_customers' }, syncMode: 'full_refresh', primaryKey: ['external_id'] },
      { credentials: externalCredentials() },
    );
    await ingestion.importFile(tenant, { entity: 'customers', content: 'external_id,name\nu1,Uploaded by hand\n' });
    expect(await runNow(tenant, sourceId)).toMatchObject({ status: 'succeeded', rows_deleted: '0' });
    // An order of c2: deleting c2 cascades to it in PostgreSQL, and the warehouse must follow.
    await ingestion.importFile(tenant, { entity: 'orders', content: 'external_id,customer_external_id,ordered_at\no1,c1,2026-03-01T00:00:00Z\no2,c2,2026-03-02T00:00:00Z\n' });
    await withClient(external.url, (client) => client.query(`DELETE FROM crm_customers WHERE external_id IN ('c2', 'c4')`));
    expect(await runNow(tenant, sourceId)).toMatchObject({ status: 'succeeded', rows_deleted: '2' });
    const expected = [...(await sourceCustomers()), ['u1', 'Uploaded by hand', '']].sort((a, b) => (a[0] as string).localeCompare(b[0] as string));
    expect(await tenantCustomers(tenant)).toEqual(expected);
    expect((await inWarehouse(tenant, `SELECT external_id, name, coalesce(email, '') AS email FROM customers ORDER BY external_id`)).map((row) => Object.values(row))).toEqual(expected);
    expect(await ingestion.rows(tenant, 'SELECT external_id FROM orders ORDER BY 1')).toEqual([{ external_id: 'o1' }]);
    expect(await inWarehouse(tenant, 'SELECT external_id, customer_external_id FROM orders ORDER BY 1')).toEqual([{ external_id: 'o1', customer_external_id: 'c1' }]);
  });

  it('records a failing source with a scrubbed error, backs it off, and leaves other tenants alone', async () => {
    const secret = 'Sup3r-Secret-Passw0rd';
    const sourceId = await createSource(
      other,
      { kind: 'postgres', host: '127.0.0.1', port: 1, database: 'nowhere', user: 'nobody', table: { name: 'x' }, syncMode: 'full_refresh', primaryKey: ['id'] },
      { schedule: '*/5 * * * *', credentials: { password: secret } },
    );
    const sync = await runNow(other, sourceId);
    expect(sync).toMatchObject({ status: 'failed', error_code: 'source_unreachable' });
    expect(String(sync['error'])).toContain('Cannot connect to PostgreSQL at 127.0.0.1:1/nowhere');
    const [source] = await ingestion.rows<{ consecutive_failures: number; next_sync_at: Date; config: unknown; credentials: string }>(
      other,
      'SELECT consecutive_failures, next_sync_at, config, credentials FROM sources WHERE id = $1',
      [sourceId],
    );
    expect(source?.consecutive_failures).toBe(1);
    expect(JSON.stringify(source)).not.toContain(secret);
    expect(await tenantCustomers(tenant)).toEqual(expect.arrayContaining([['c1', 'Ana Maria', 'ana@x.test']]));
  });

  it('fails the sync of a source whose stored connection this version no longer accepts, saying why', async () => {
    // Stored before bucket names were checked: the name would have gone into the S3 host name as it is.
    const sourceId = await createSource(other, { kind: 'files', url: 's3://Legacy_Bucket/exports/*.csv' });
    const sync = await runNow(other, sourceId);
    expect(sync).toMatchObject({ status: 'failed', error_code: 'source.invalid_connection', rows_read: '0' });
    expect(String(sync['error'])).toMatch(/^The stored connection is not valid for this version of Pulse \(.*url.*\); give the source a valid connection with PATCH\.$/);
  });

  it('fails the sync of a source at an address the allow-list does not cover, with the refusal as its error', async () => {
    const sourceId = await createSource(
      other,
      { kind: 'postgres', host: '169.254.169.254', port: 80, database: 'metadata', user: 'nobody', table: { name: 'x' }, syncMode: 'full_refresh', primaryKey: ['id'] },
      { credentials: { password: 'irrelevant-here' } },
    );
    const sync = await runNow(other, sourceId);
    expect(sync).toMatchObject({ status: 'failed', error_code: 'source_address_not_allowed', rows_read: '0' });
    expect(String(sync['error'])).toMatch(/^The source host 169\.254\.169\.254 is a link-local .* address\. .*SOURCE_ALLOWED_PRIVATE_NETWORKS/);
  });

  it('never runs a source that is already syncing elsewhere (another replica holds its lock): the run waits', async () => {
    const sourceId = await createSource(
      tenant,
      { kind: 'postgres', ...externalEndpoint(), table: { name: 'crm_customers' }, syncMode: 'full_refresh', primaryKey: ['external_id'] },
      { credentials: externalCredentials() },
    );
    await withClient(tenant.databaseUrl, async (otherReplica) => {
      await otherReplica.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [`pulse.source-sync:${sourceId}`]);
      const sync = await runNow(tenant, sourceId);
      expect(sync['status']).toBe('queued');
    });
    // Lock released (that session ended): the next tick runs the waiting request.
    await scheduler().tick();
    await scheduler().idle();
    const runs = await ingestion.rows<{ status: string }>(tenant, 'SELECT status FROM source_syncs WHERE source_id = $1', [sourceId]);
    expect(runs).toEqual([{ status: 'succeeded' }]);
  });

  it('schedules by cron: a new schedule gets a next time, and a due source is run once per occurrence', async () => {
    const sourceId = await createSource(
      tenant,
      { kind: 'postgres', ...externalEndpoint(), table: { name: 'crm_customers' }, syncMode: 'incremental', cursorColumns: ['updated_at'], primaryKey: ['external_id'] },
      { schedule: '0 * * * *', credentials: externalCredentials() },
    );
    const now = new Date('2026-03-10T12:07:00Z');
    await scheduler().tick(now);
    await scheduler().idle();
    const [scheduled] = await ingestion.rows<{ next_sync_at: Date }>(tenant, 'SELECT next_sync_at FROM sources WHERE id = $1', [sourceId]);
    // 13:00 plus a jitter below 60 s (10 % of an hour is more than the one-minute cap).
    expect(scheduled?.next_sync_at.getTime()).toBeGreaterThanOrEqual(Date.parse('2026-03-10T13:00:00Z'));
    expect(scheduled?.next_sync_at.getTime()).toBeLessThan(Date.parse('2026-03-10T13:01:00Z'));
    expect(await ingestion.rows(tenant, 'SELECT id FROM source_syncs WHERE source_id = $1', [sourceId])).toEqual([]);

    const later = new Date('2026-03-10T13:02:00Z');
    await scheduler().tick(later);
    await scheduler().idle();
    await scheduler().tick(later);
    await scheduler().idle();
    const runs = await ingestion.rows<{ trigger: string; status: string }>(tenant, 'SELECT trigger, status FROM source_syncs WHERE source_id = $1', [sourceId]);
    expect(runs).toEqual([{ trigger: 'schedule', status: 'succeeded' }]);
  });
});
