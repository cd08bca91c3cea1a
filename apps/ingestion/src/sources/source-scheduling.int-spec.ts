import { sealCredentials } from '@pulse/connectors';
import { createTestDatabase, withClient, type TestDatabase } from '@pulse/testing';
import { IngestionUnderTest, type SeededTenant } from '../ingestion.int-kit';
import { TenantDirectory } from '../tenancy/tenant-directory';
import { SourceScheduler } from './source-scheduler';
import { SourceSyncRunner } from './source-sync-runner';

// What the scheduler and the runner do around a run rather than inside it: a paused source's queued run,
// a full read that comes back empty or without most rows, the order queued runs start in, and runs left
// `running` by a process that died. A real PostgreSQL database plays the tenant's external system.

const LOOPBACK_SOURCES = '127.0.0.0/8,::1/128';

describe('source sync scheduling and delete safety', () => {
  let ingestion: IngestionUnderTest;
  let external: TestDatabase;
  let tenant: SeededTenant;

  const scheduler = () => ingestion.app.get(SourceScheduler);
  const connection = (table: string, extra: Record<string, unknown> = {}) => {
    const url = new URL(external.url);
    return {
      kind: 'postgres', host: url.hostname, port: Number(url.port || 5432), database: url.pathname.slice(1), user: decodeURIComponent(url.username),
      table: { name: table }, syncMode: 'full_refresh', primaryKey: ['external_id'], ...extra,
    };
  };
  const credentials = () => ({ password: decodeURIComponent(new URL(external.url).password) || 'unused-with-trust-auth' });

  async function createSource(table: string, options: { id?: string; extra?: Record<string, unknown>; entity?: string } = {}): Promise<string> {
    const config = connection(table, options.extra);
    const [row] = await ingestion.rows<{ id: string }>(
      tenant,
      `INSERT INTO sources (id, name, kind, entity, config, credentials) VALUES (COALESCE($1::uuid, gen_random_uuid()), $2, 'postgres', $5, $3::jsonb, $4) RETURNING id`,
      [options.id ?? null, `crm-${Math.random().toString(36).slice(2, 8)}`, JSON.stringify(config), sealCredentials(ingestion.box, credentials()), options.entity ?? 'customers'],
    );
    return (row as { id: string }).id;
  }

  async function queue(sourceId: string, requestedAt?: string): Promise<string> {
    const [row] = await ingestion.rows<{ id: string }>(
      tenant,
      `INSERT INTO source_syncs (source_id, trigger, requested_at) VALUES ($1, 'manual', COALESCE($2::timestamptz, now())) RETURNING id`,
      [sourceId, requestedAt ?? null],
    );
    return (row as { id: string }).id;
  }

  async function tickUntilIdle(): Promise<void> {
    await scheduler().tick();
    await scheduler().idle();
  }

  async function sync(syncId: string): Promise<Record<string, unknown>> {
    const [row] = await ingestion.rows(tenant, 'SELECT status, rows_read, rows_deleted, error_code, error, started_at, finished_at FROM source_syncs WHERE id = $1', [syncId]);
    return row as Record<string, unknown>;
  }

  async function customersOf(sourceId: string): Promise<string[]> {
    return (await ingestion.rows<{ external_id: string }>(tenant, 'SELECT external_id FROM customers WHERE source_id = $1 ORDER BY 1', [sourceId])).map((row) => row.external_id);
  }

  async function externalTable(name: string, ids: string[]): Promise<void> {
    await withClient(external.url, (client) =>
      client.query(`CREATE TABLE ${name} (external_id text PRIMARY KEY, name text NOT NULL);
        INSERT INTO ${name} VALUES ${ids.map((id) => `('${id}', 'Customer ${id}')`).join(', ')}`),
    );
  }

  beforeAll(async () => {
    ingestion = await IngestionUnderTest.start({ SOURCE_ALLOWED_PRIVATE_NETWORKS: LOOPBACK_SOURCES });
    tenant = await ingestion.seedTenant('scheduling');
    external = await createTestDatabase({ prefix: 'external_sched' });
  });

  afterAll(async () => {
    await ingestion?.stop();
    await external?.drop();
  });

  it('never starts the queued run of a paused source: it ends failed with source_disabled and nothing is deleted', async () => {
    await externalTable('paused_customers', ['p1', 'p2']);
    const sourceId = await createSource('paused_customers');
    await queue(sourceId);
    await tickUntilIdle();
    expect(await customersOf(sourceId)).toEqual(['p1', 'p2']);

    await withClient(external.url, (client) => client.query('DELETE FROM paused_customers'));
    const queued = await queue(sourceId);
    await ingestion.rows(tenant, 'UPDATE sources SET enabled = false WHERE id = $1', [sourceId]);
    await tickUntilIdle();
    expect(await sync(queued)).toMatchObject({ status: 'failed', error_code: 'source_disabled', rows_read: '0', rows_deleted: '0', started_at: null });
    expect((await sync(queued))['finished_at']).toBeInstanceOf(Date);
    expect(await customersOf(sourceId)).toEqual(['p1', 'p2']);
    const [source] = await ingestion.rows<{ consecutive_failures: number }>(tenant, 'SELECT consecutive_failures FROM sources WHERE id = $1', [sourceId]);
    expect(source?.consecutive_failures).toBe(0);
  });

  it('re-checks enabled when a run starts (paused between the scheduler claiming it and the runner reading the source)', async () => {
    await externalTable('raced_customers', ['r1']);
    const sourceId = await createSource('raced_customers');
    await queue(sourceId);
    await tickUntilIdle();
    expect(await customersOf(sourceId)).toEqual(['r1']);
    await withClient(external.url, (client) => client.query('DELETE FROM raced_customers'));
    // The scheduler claimed this run while the source was enabled; the PATCH landed right after.
    const [claimed] = await ingestion.rows<{ id: string }>(tenant, `INSERT INTO source_syncs (source_id, trigger, status, started_at) VALUES ($1, 'manual', 'running', now()) RETURNING id`, [sourceId]);
    await ingestion.rows(tenant, 'UPDATE sources SET enabled = false WHERE id = $1', [sourceId]);
    const profile = await ingestion.app.get(TenantDirectory).findOrThrow(tenant.tenantId, 'test-race');
    await ingestion.app.get(SourceSyncRunner).run(profile, sourceId, (claimed as { id: string }).id);
    expect(await sync((claimed as { id: string }).id)).toMatchObject({ status: 'failed', error_code: 'source_disabled', rows_deleted: '0' });
    expect(await customersOf(sourceId)).toEqual(['r1']);
  });

  it('fails a full read that comes back empty instead of deleting every row the source loaded', async () => {
    await externalTable('emptied_customers', ['e1', 'e2', 'e3']);
    const sourceId = await createSource('emptied_customers');
    await queue(sourceId);
    await tickUntilIdle();
    expect(await customersOf(sourceId)).toEqual(['e1', 'e2', 'e3']);

    await withClient(external.url, (client) => client.query('DELETE FROM emptied_customers'));
    const emptied = await queue(sourceId);
    await tickUntilIdle();
    const outcome = await sync(emptied);
    expect(outcome).toMatchObject({ status: 'failed', error_code: 'empty_full_read', rows_deleted: '0' });
    expect(String(outcome['error'])).toContain('would have deleted all 3 rows this source loaded');
    expect(await customersOf(sourceId)).toEqual(['e1', 'e2', 'e3']);
  });

  it('fails a full read that would delete more than maxDeleteShare of the source rows, and applies it once the share allows', async () => {
    await externalTable('shrunk_customers', ['s1', 's2', 's3', 's4']);
    const sourceId = await createSource('shrunk_customers');
    await queue(sourceId);
    await tickUntilIdle();
    await withClient(external.url, (client) => client.query(`DELETE FROM shrunk_customers WHERE external_id <> 's1'`));

    const refused = await queue(sourceId);
    await tickUntilIdle();
    const outcome = await sync(refused);
    expect(outcome).toMatchObject({ status: 'failed', error_code: 'delete_share_exceeded', rows_deleted: '0' });
    expect(String(outcome['error'])).toContain('no longer has 3 of the 4 rows this source loaded, more than the 50 %');
    expect(await customersOf(sourceId)).toEqual(['s1', 's2', 's3', 's4']);

    await ingestion.rows(tenant, `UPDATE sources SET config = config || '{"maxDeleteShare": 1}'::jsonb WHERE id = $1`, [sourceId]);
    const allowed = await queue(sourceId);
    await tickUntilIdle();
    expect(await sync(allowed)).toMatchObject({ status: 'succeeded', rows_deleted: '3' });
    expect(await customersOf(sourceId)).toEqual(['s1']);
  });

  it('counts rows without a key as gone only beyond those the read brings back (they are replaced, not looked up)', async () => {
    await externalTable('nps_customers', ['n1']);
    const customers = await createSource('nps_customers');
    await queue(customers);
    await tickUntilIdle();
    await withClient(external.url, (client) =>
      client.query(`CREATE TABLE nps_answers (responder text, customer_external_id text, score int, responded_at timestamptz, PRIMARY KEY (responder, responded_at));
        INSERT INTO nps_answers VALUES ('a', 'n1', 9, '2026-01-01T10:00Z'), ('b', 'n1', 7, '2026-01-02T10:00Z'), ('c', 'n1', 3, '2026-01-03T10:00Z')`),
    );
    const sourceId = await createSource('nps_answers', { entity: 'nps_responses', extra: { primaryKey: ['responder', 'responded_at'] } });
    const scores = async () =>
      (await ingestion.rows<{ score: number }>(tenant, 'SELECT score FROM nps_responses WHERE source_id = $1 AND external_id IS NULL ORDER BY score', [sourceId])).map((row) => row.score);
    await queue(sourceId);
    await tickUntilIdle();
    expect(await scores()).toEqual([3, 7, 9]);

    // The same three answers again: replaced, nothing lost (before, all three counted as unseen: refused).
    const again = await queue(sourceId);
    await tickUntilIdle();
    expect(await sync(again)).toMatchObject({ status: 'succeeded', error_code: null });
    expect(await scores()).toEqual([3, 7, 9]);

    // Two of three gone from the source: more than the 50 % a read may delete, refused as for rows with a key.
    await withClient(external.url, (client) => client.query(`DELETE FROM nps_answers WHERE responder <> 'a'`));
    const shrunk = await queue(sourceId);
    await tickUntilIdle();
    expect(await sync(shrunk)).toMatchObject({ status: 'failed', error_code: 'delete_share_exceeded', rows_deleted: '0' });
    expect(await scores()).toEqual([3, 7, 9]);
  });

  it("rejects a source's order lines without a line number instead of numbering them by their place in the read", async () => {
    await ingestion.importFile(tenant, { entity: 'customers', content: 'external_id,name\nline-cust,Lines' });
    await ingestion.importFile(tenant, { entity: 'orders', content: 'external_id,customer_external_id,ordered_at\nline-o1,line-cust,2026-01-05T10:00:00Z' });
    const storedLines = () => ingestion.rows(tenant, `SELECT i.line_number, i.sku FROM order_items i JOIN orders o ON o.id = i.order_id WHERE o.external_id = 'line-o1' ORDER BY 1`);
    // An incremental read has only the lines that changed: numbered 1 by their place in it, line 11 would
    // overwrite the stored line 1.
    await withClient(external.url, (client) =>
      client.query(`CREATE TABLE unnumbered_lines (id int PRIMARY KEY, order_external_id text, sku text, quantity int, unit_price numeric);
        INSERT INTO unnumbered_lines VALUES (11, 'line-o1', 'SKU-B', 2, 5.5)`),
    );
    const unnumbered = await createSource('unnumbered_lines', { entity: 'order_items', extra: { primaryKey: ['id'] } });
    await ingestion.rows(tenant, `INSERT INTO order_items (order_id, line_number, sku, quantity, unit_price) SELECT id, 1, 'SKU-A', 1, 10 FROM orders WHERE external_id = 'line-o1'`);
    const run = await queue(unnumbered);
    await tickUntilIdle();
    expect(await sync(run)).toMatchObject({ status: 'failed', error: expect.stringContaining('1 of 1 rows were rejected') });
    expect(await storedLines()).toEqual([{ line_number: 1, sku: 'SKU-A' }]);
    const errors = await ingestion.rows(tenant, `SELECT e."column", e.reason_code, e.message FROM import_errors e JOIN imports i ON i.id = e.import_id WHERE i.source_id = $1`, [unnumbered]);
    expect(errors).toEqual([
      {
        column: 'line_number',
        reason_code: 'missing_required',
        message: 'An order line read from a source needs its line number: map a column of the source to line_number (a position within one read says nothing of the lines stored before it).',
      },
    ]);
  });

  it('starts queued runs oldest request first across sources, and the next one as soon as one ends (not a poll later)', async () => {
    await externalTable('fifo_customers', ['f1']);
    // Source ids ordered against the requests: by id, the later request would go first.
    const first = await createSource('fifo_customers', { id: 'ffffffff-0000-4000-8000-000000000001' });
    const second = await createSource('fifo_customers', { id: '00000000-0000-4000-8000-000000000002' });
    const third = await createSource('fifo_customers', { id: '80000000-0000-4000-8000-000000000003' });
    const runs = [await queue(first, '2026-01-01T00:00:00Z'), await queue(second, '2026-01-01T00:00:01Z'), await queue(third, '2026-01-01T00:00:02Z')];
    await tickUntilIdle(); // one tick: the tenant runs one sync at a time, each started as the one before ends
    const outcomes = await Promise.all(runs.map(sync));
    expect(outcomes.map((outcome) => outcome['status'])).toEqual(['succeeded', 'succeeded', 'succeeded']);
    const starts = outcomes.map((outcome) => (outcome['started_at'] as Date).getTime());
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    expect(starts[1]).toBeGreaterThanOrEqual((outcomes[0]?.['finished_at'] as Date).getTime());
  });

  it('backs a failing source off instead of starting the scheduled run queued while it failed', async () => {
    const [row] = await ingestion.rows<{ id: string }>(
      tenant,
      `INSERT INTO sources (name, kind, entity, config, credentials, schedule) VALUES ('down', 'postgres', 'customers', $1::jsonb, $2, '* * * * *') RETURNING id`,
      [JSON.stringify({ ...connection('nowhere'), port: 1 }), sealCredentials(ingestion.box, credentials())],
    );
    const sourceId = (row as { id: string }).id;
    const failing = await queue(sourceId, '2026-01-01T00:00:00Z');
    // The occurrence that came while the first run was still failing.
    const [scheduled] = await ingestion.rows<{ id: string }>(tenant, `INSERT INTO source_syncs (source_id, trigger) VALUES ($1, 'schedule') RETURNING id`, [sourceId]);
    await tickUntilIdle();

    expect(await sync(failing)).toMatchObject({ status: 'failed', error_code: 'source_unreachable' });
    // Before: started as soon as the slot freed, it failed at once too (no backoff), and so on.
    expect(await ingestion.rows(tenant, 'SELECT id FROM source_syncs WHERE id = $1', [(scheduled as { id: string }).id])).toEqual([]);
    const [source] = await ingestion.rows<{ consecutive_failures: number; next_sync_at: Date }>(tenant, 'SELECT consecutive_failures, next_sync_at FROM sources WHERE id = $1', [sourceId]);
    expect(source?.consecutive_failures).toBe(1);
    expect(source?.next_sync_at.getTime()).toBeGreaterThan(Date.now());
    await ingestion.rows(tenant, 'UPDATE sources SET enabled = false WHERE id = $1', [sourceId]);
  });

  it("runs the tenant's other sources when one source's schedule cannot be evaluated", async () => {
    await externalTable('cron_customers', ['k1']);
    const broken = await createSource('cron_customers');
    // Stored before the api checked schedules (it refuses this one with 400 now).
    await ingestion.rows(tenant, `UPDATE sources SET schedule = '61 * * * *', next_sync_at = now() - interval '1 minute' WHERE id = $1`, [broken]);
    const healthy = await createSource('cron_customers');
    const asked = await queue(healthy);
    await tickUntilIdle();
    // Before: the bad schedule threw out of the tenant's whole pass, so no run of it started.
    expect(await sync(asked)).toMatchObject({ status: 'succeeded' });
    await ingestion.rows(tenant, 'UPDATE sources SET enabled = false WHERE id = $1', [broken]);
  });

  it('closes runs left running by a dead process on every pass, but not one a live worker holds', async () => {
    await externalTable('orphan_customers', ['o1']);
    const orphaned = await createSource('orphan_customers');
    const live = await createSource('orphan_customers');
    const insertRunning = async (sourceId: string) =>
      ((await ingestion.rows<{ id: string }>(tenant, `INSERT INTO source_syncs (source_id, trigger, status, started_at) VALUES ($1, 'schedule', 'running', now()) RETURNING id`, [sourceId]))[0] as { id: string }).id;
    const orphanRun = await insertRunning(orphaned);
    const liveRun = await insertRunning(live);
    await withClient(tenant.databaseUrl, async (otherReplica) => {
      await otherReplica.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [`pulse.source-sync:${live}`]);
      await tickUntilIdle(); // neither source has a queued run
      expect(await sync(orphanRun)).toMatchObject({ status: 'failed', error_code: 'interrupted', error: expect.stringContaining('stopped before this run finished') });
      expect(await sync(liveRun)).toMatchObject({ status: 'running', error_code: null });
    });
  });
});
