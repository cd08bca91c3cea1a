import { sealCredentials } from '@pulse/connectors';
import { createTestDatabase, withClient, type TestDatabase } from '@pulse/testing';
import { setTimeout as sleep } from 'node:timers/promises';
import { IngestionUnderTest, type SeededTenant } from '../ingestion.int-kit';
import { SourceScheduler } from './source-scheduler';

// A source changed by the tenant while it syncs, and a schema drift cleared the way its message says.
// A real PostgreSQL database plays the tenant's external system. To hold a sync in the middle of its read,
// deterministically, the source's query waits on an advisory lock the test holds (its describe query does
// not run the WHERE clause, so only the page reads wait); the test changes the source meanwhile, then lets
// the read finish.

/** The external test database listens on loopback, which ingestion refuses unless the operator allows it. */
const LOOPBACK_SOURCES = '127.0.0.0/8,::1/128';
const GATE = 4242;

describe('source changes while a sync runs, and schema drift', () => {
  let ingestion: IngestionUnderTest;
  let external: TestDatabase;

  const scheduler = () => ingestion.app.get(SourceScheduler);
  const endpoint = () => {
    const url = new URL(external.url);
    return { kind: 'postgres', host: url.hostname, port: Number(url.port || 5432), database: url.pathname.slice(1), user: decodeURIComponent(url.username) };
  };
  // The embedded test server has a password; the machine's PostgreSQL trusts local connections (any password).
  const credentials = () => ({ password: decodeURIComponent(new URL(external.url).password) || 'unused-with-trust-auth' });
  const incremental = { syncMode: 'incremental', cursorColumns: ['updated_at'], primaryKey: ['external_id'] };
  /** A query source whose page reads wait while the test holds the gate. */
  const gatedQuery = (table: string) => `select external_id, name, email, updated_at from ${table} where (select true from pg_advisory_xact_lock_shared(${GATE}))`;

  async function createSource(tenant: SeededTenant, connection: Record<string, unknown>): Promise<string> {
    const [row] = await ingestion.rows<{ id: string }>(
      tenant,
      `INSERT INTO sources (name, kind, entity, config, credentials) VALUES ($1, 'postgres', 'customers', $2::jsonb, $3) RETURNING id`,
      [`crm-${Math.random().toString(36).slice(2, 8)}`, JSON.stringify(connection), sealCredentials(ingestion.box, credentials())],
    );
    return (row as { id: string }).id;
  }

  async function queue(tenant: SeededTenant, sourceId: string): Promise<string> {
    const [queued] = await ingestion.rows<{ id: string }>(tenant, `INSERT INTO source_syncs (source_id, trigger) VALUES ($1, 'manual') RETURNING id`, [sourceId]);
    return (queued as { id: string }).id;
  }

  async function sync(tenant: SeededTenant, syncId: string): Promise<Record<string, unknown>> {
    const [row] = await ingestion.rows(tenant, 'SELECT status, rows_read, rows_loaded, error_code, error, import_ids FROM source_syncs WHERE id = $1', [syncId]);
    return row as Record<string, unknown>;
  }

  async function runNow(tenant: SeededTenant, sourceId: string): Promise<Record<string, unknown>> {
    const syncId = await queue(tenant, sourceId);
    await scheduler().tick();
    await scheduler().idle();
    return sync(tenant, syncId);
  }

  /** Starts a run while the gate is held, waits until its page read waits on it, runs `change`, then opens the gate. */
  async function runWithChangeMidRead(tenant: SeededTenant, sourceId: string, change: () => Promise<void>): Promise<Record<string, unknown>> {
    const syncId = await queue(tenant, sourceId);
    await withClient(external.url, async (gate) => {
      await gate.query('SELECT pg_advisory_lock($1)', [GATE]);
      await scheduler().tick();
      for (let waited = 0; ; waited += 50) {
        const { rows } = await gate.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
          [GATE],
        );
        if ((rows[0]?.n ?? 0) > 0) break;
        if (waited > 20_000) throw new Error('the sync never reached its page read');
        await sleep(50);
      }
      await change();
      await gate.query('SELECT pg_advisory_unlock($1)', [GATE]);
    });
    await scheduler().idle();
    return sync(tenant, syncId);
  }

  /** What PATCH /v1/sources/{id} {"enabled": false} writes. */
  async function pause(tenant: SeededTenant, sourceId: string): Promise<void> {
    await ingestion.rows(tenant, 'UPDATE sources SET enabled = false, updated_at = now() WHERE id = $1', [sourceId]);
  }

  /** What PATCH /v1/sources/{id} writes (apps/api update-source.use-case.ts), in the same order. */
  async function patchSource(tenant: SeededTenant, sourceId: string, change: { connection?: Record<string, unknown>; mapping?: unknown }): Promise<void> {
    await withClient(tenant.databaseUrl, async (client) => {
      await client.query('BEGIN');
      if (change.connection) await client.query('UPDATE sources SET config = $2::jsonb WHERE id = $1', [sourceId, JSON.stringify(change.connection)]);
      if (change.mapping !== undefined) await client.query('UPDATE sources SET mapping = $2::jsonb WHERE id = $1', [sourceId, JSON.stringify(change.mapping)]);
      await client.query('UPDATE sources SET columns = NULL, config_version = config_version + 1, updated_at = now() WHERE id = $1', [sourceId]);
      if (change.connection) await client.query('DELETE FROM sync_states WHERE source_id = $1', [sourceId]);
      await client.query('COMMIT');
    });
  }

  async function customers(tenant: SeededTenant): Promise<string[][]> {
    return (await ingestion.rows<{ row: string[] }>(tenant, `SELECT ARRAY[external_id, name, coalesce(email, '')] AS row FROM customers ORDER BY external_id`)).map(({ row }) => row);
  }

  beforeAll(async () => {
    ingestion = await IngestionUnderTest.start({ SOURCE_ALLOWED_PRIVATE_NETWORKS: LOOPBACK_SOURCES });
    external = await createTestDatabase({ prefix: 'external_changes' });
    await withClient(external.url, (client) =>
      client.query(`
        CREATE TABLE t_a (external_id text PRIMARY KEY, name text NOT NULL, email text, updated_at timestamptz NOT NULL);
        CREATE TABLE t_b (LIKE t_a INCLUDING ALL);
        CREATE TABLE t_c (LIKE t_a INCLUDING ALL);
        CREATE TABLE t_d (LIKE t_a INCLUDING ALL);
        INSERT INTO t_a VALUES ('a1', 'Ana', 'ana@x.test', '2026-05-01Z'), ('a2', 'Bia', NULL, '2026-05-02Z');
        -- The new connection's rows are older than everything the old one read.
        INSERT INTO t_b VALUES ('b1', 'Caio', 'caio@x.test', '2026-04-01Z'), ('b2', 'Duda', NULL, '2026-04-02Z');
        INSERT INTO t_c VALUES ('c1', 'Eva', 'eva@x.test', '2026-05-01Z');
        INSERT INTO t_d VALUES ('d1', 'Gil', 'gil@x.test', '2026-05-01Z');
        CREATE TABLE t_e (LIKE t_a INCLUDING ALL);
        CREATE TABLE t_f (LIKE t_a INCLUDING ALL);
        INSERT INTO t_e VALUES ('e1', 'Ivo', 'ivo@x.test', '2026-05-01Z'), ('e2', 'Jade', NULL, '2026-05-02Z');
        INSERT INTO t_f VALUES ('f1', 'Kim', NULL, '2026-05-01Z'), ('f2', 'Lia', NULL, '2026-05-02Z'), ('f3', 'Mel', NULL, '2026-05-03Z');`),
    );
  });

  afterAll(async () => {
    await ingestion?.stop();
    await external?.drop();
  });

  it('a new connection while a sync reads: that sync loads and saves nothing more, and the next one reads the new table from the start', async () => {
    const tenant = await ingestion.seedTenant('newconn');
    const sourceId = await createSource(tenant, { ...endpoint(), query: gatedQuery('t_a'), ...incremental });

    const raced = await runWithChangeMidRead(tenant, sourceId, () => patchSource(tenant, sourceId, { connection: { ...endpoint(), table: { name: 't_b' }, ...incremental } }));
    expect(raced).toMatchObject({ status: 'failed', error_code: 'source_changed_during_sync', rows_loaded: '0' });
    expect(String(raced['error'])).toContain("The source's connection or mapping was changed while this sync ran");
    // The tenant's own change, not the source failing: no failure counted (which would delay the next scheduled run).
    expect(await ingestion.rows(tenant, 'SELECT consecutive_failures FROM sources WHERE id = $1', [sourceId])).toEqual([{ consecutive_failures: 0 }]);
    // Neither the old connection's rows, nor its position, nor its columns.
    expect(await customers(tenant)).toEqual([]);
    expect(await ingestion.rows(tenant, 'SELECT cursor FROM sync_states WHERE source_id = $1', [sourceId])).toEqual([]);
    expect(await ingestion.rows(tenant, 'SELECT columns FROM sources WHERE id = $1', [sourceId])).toEqual([{ columns: null }]);
    // Its import is recorded as failed with the same code.
    const importIds = await ingestion.rows<{ status: string; error_code: string }>(tenant, 'SELECT status::text, error_code FROM imports WHERE source_id = $1', [sourceId]);
    expect(importIds).toEqual([{ status: 'failed', error_code: 'source_changed_during_sync' }]);

    // Before the fix the raced run saved t_a's high-water mark, and this read 0 rows of t_b for ever.
    expect(await runNow(tenant, sourceId)).toMatchObject({ status: 'succeeded', rows_read: '2', rows_loaded: '2' });
    expect(await customers(tenant)).toEqual([
      ['b1', 'Caio', 'caio@x.test'],
      ['b2', 'Duda', ''],
    ]);
  });

  it('a new mapping while a sync reads: the batch read with the old mapping is not loaded, the position stays, and the next sync loads it with the new one', async () => {
    const tenant = await ingestion.seedTenant('newmapping');
    const sourceId = await createSource(tenant, { ...endpoint(), query: gatedQuery('t_c'), ...incremental });
    expect(await runNow(tenant, sourceId)).toMatchObject({ status: 'succeeded', rows_loaded: '1' });
    const position = await ingestion.rows(tenant, 'SELECT cursor FROM sync_states WHERE source_id = $1', [sourceId]);

    await withClient(external.url, (client) => client.query(`INSERT INTO t_c VALUES ('c2', 'Fabi', 'fabi@x.test', '2026-05-02Z')`));
    const raced = await runWithChangeMidRead(tenant, sourceId, () => patchSource(tenant, sourceId, { mapping: { columns: { email: null } } }));
    expect(raced).toMatchObject({ status: 'failed', error_code: 'source_changed_during_sync', rows_loaded: '0' });
    expect(await customers(tenant)).toEqual([['c1', 'Eva', 'eva@x.test']]);
    expect(await ingestion.rows(tenant, 'SELECT cursor FROM sync_states WHERE source_id = $1', [sourceId])).toEqual(position);

    // c2 with the new mapping (email left out), from the saved position (c1 is not read again).
    expect(await runNow(tenant, sourceId)).toMatchObject({ status: 'succeeded', rows_read: '1', rows_loaded: '1' });
    expect(await customers(tenant)).toEqual([
      ['c1', 'Eva', 'eva@x.test'],
      ['c2', 'Fabi', ''],
    ]);
  });

  it('a full read paused while it reads applies nothing: no upsert, no delete of the rows the source no longer has', async () => {
    const tenant = await ingestion.seedTenant('pausefull');
    const sourceId = await createSource(tenant, { ...endpoint(), query: gatedQuery('t_e'), syncMode: 'full_refresh', primaryKey: ['external_id'] });
    expect(await runNow(tenant, sourceId)).toMatchObject({ status: 'succeeded', rows_loaded: '2' });

    // The source now sends something the tenant does not want applied (a row gone, a row changed), and they pause it mid-read.
    await withClient(external.url, (client) => client.query(`DELETE FROM t_e WHERE external_id = 'e2'; UPDATE t_e SET name = 'Ivo (wrong)'`));
    const paused = await runWithChangeMidRead(tenant, sourceId, () => pause(tenant, sourceId));
    expect(paused).toMatchObject({ status: 'failed', error_code: 'source_disabled', rows_loaded: '0' });
    expect(String(paused['error'])).toContain('The source was paused while this run read it');
    // Before the fix the run went on to its end: e1 renamed and e2 deleted after the pause.
    expect(await customers(tenant)).toEqual([
      ['e1', 'Ivo', 'ivo@x.test'],
      ['e2', 'Jade', ''],
    ]);
    expect(await ingestion.rows(tenant, 'SELECT consecutive_failures FROM sources WHERE id = $1', [sourceId])).toEqual([{ consecutive_failures: 0 }]);
    expect(await ingestion.rows(tenant, `SELECT status::text, error_code FROM imports WHERE source_id = $1 ORDER BY created_at`, [sourceId])).toEqual([
      { status: 'succeeded', error_code: null },
      { status: 'failed', error_code: 'source_disabled' },
    ]);
  });

  it('an incremental sync paused while it reads stops at its next page, and the source resumes from its saved position once enabled', async () => {
    const tenant = await ingestion.seedTenant('pausepages');
    const sourceId = await createSource(tenant, { ...endpoint(), query: gatedQuery('t_f'), ...incremental, pageSize: 1 });
    const paused = await runWithChangeMidRead(tenant, sourceId, async () => {
      await pause(tenant, sourceId);
      // Past the interval between two checks of the source's settings (SETTINGS_CHECK_INTERVAL_MS).
      await sleep(1_200);
    });
    expect(paused).toMatchObject({ status: 'failed', error_code: 'source_disabled', rows_read: '0', rows_loaded: '0' });
    // It stopped before its second page: nothing was handed to the loader (a run read to its end records a failed import).
    expect(await ingestion.rows(tenant, 'SELECT count(*)::int AS n FROM imports WHERE source_id = $1', [sourceId])).toEqual([{ n: 0 }]);
    expect(await customers(tenant)).toEqual([]);

    await ingestion.rows(tenant, 'UPDATE sources SET enabled = true WHERE id = $1', [sourceId]);
    expect(await runNow(tenant, sourceId)).toMatchObject({ status: 'succeeded', rows_read: '3', rows_loaded: '3' });
    expect((await customers(tenant)).map(([externalId]) => externalId)).toEqual(['f1', 'f2', 'f3']);
  });

  it('a drifted column mapped to null no longer fails the sync, and the position is kept', async () => {
    const tenant = await ingestion.seedTenant('drift');
    const sourceId = await createSource(tenant, { ...endpoint(), table: { name: 't_d' }, ...incremental });
    expect(await runNow(tenant, sourceId)).toMatchObject({ status: 'succeeded', rows_loaded: '1' });

    await withClient(external.url, (client) => client.query(`ALTER TABLE t_d DROP COLUMN email; INSERT INTO t_d VALUES ('d2', 'Hugo', '2026-05-02Z')`));
    const drifted = await runNow(tenant, sourceId);
    expect(drifted).toMatchObject({ status: 'failed', error_code: 'schema_drift', rows_read: '0' });
    expect(String(drifted['error'])).toContain('email: text -> absent; nothing was loaded. To go on without a column, add it to the source\'s mapping as null (mapping.columns: { "email": null })');

    // What the message says, and nothing else: the recorded columns are left as they are here (the API's
    // PATCH also re-records them, tested in the api), so only the null mapping can clear the drift.
    await ingestion.rows(tenant, `UPDATE sources SET mapping = '{"columns": {"email": null}}'::jsonb WHERE id = $1`, [sourceId]);
    expect(await runNow(tenant, sourceId)).toMatchObject({ status: 'succeeded', rows_read: '1', rows_loaded: '1' });
    expect(await customers(tenant)).toEqual([
      ['d1', 'Gil', 'gil@x.test'],
      ['d2', 'Hugo', ''],
    ]);
  });
});
