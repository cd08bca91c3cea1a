import { withClient } from '@pulse/testing';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiUnderTest, type SeededTenant } from '../api.int-kit';

// PATCH /v1/sources/{id} and what a sync running meanwhile relies on (docs/connectors.md, "Changing a
// source while it syncs"): a new connection or mapping bumps config_version and re-baselines the recorded
// columns; a new connection also drops the position, even one a sync is committing at that moment.

describe('PATCH /v1/sources/{id}: settings version, position and recorded columns', () => {
  let api: ApiUnderTest;
  let tenant: SeededTenant;
  const connection = {
    kind: 'postgres', host: 'db.example.com', port: 5432, database: 'crm', user: 'reader',
    table: { name: 'accounts' }, cursorColumns: ['updated_at'], primaryKey: ['id'],
  };
  const columns = [{ name: 'id', type: 'integer' }, { name: 'email', type: 'text' }, { name: 'updated_at', type: 'timestamptz' }];

  beforeAll(async () => {
    api = await ApiUnderTest.start();
    tenant = await api.seedTenant('sourcepatch');
  });

  afterAll(async () => {
    await api?.stop();
  });

  const patch = (id: string, body: Record<string, unknown>) => api.request('PATCH', `/v1/sources/${id}`, { key: tenant.apiKey, body });

  async function stored(id: string): Promise<{ configVersion: number; columns: unknown; positions: number }> {
    return withClient(tenant.databaseUrl, async (client) => {
      const { rows } = await client.query<{ config_version: number; columns: unknown; positions: number }>(
        `SELECT config_version, columns, (SELECT count(*)::int FROM sync_states WHERE source_id = s.id) AS positions FROM sources s WHERE id = $1`,
        [id],
      );
      const row = rows[0] as { config_version: number; columns: unknown; positions: number };
      return { configVersion: row.config_version, columns: row.columns, positions: row.positions };
    });
  }

  /** What a sync has after its first batches: recorded columns and a position. */
  async function synced(id: string): Promise<void> {
    await api.tenantSql(tenant, 'UPDATE sources SET columns = $2::jsonb WHERE id = $1', [id, JSON.stringify(columns)]);
    await api.tenantSql(tenant, `INSERT INTO sync_states (source_id, stream, entity, cursor) VALUES ($1, 'main', 'customers', '{"v":1}') ON CONFLICT DO NOTHING`, [id]);
  }

  it('a new mapping re-records the columns at the next sync and keeps the position; a new connection drops both; other fields change neither', async () => {
    const created = await api.request('POST', '/v1/sources', { key: tenant.apiKey, body: { name: 'versioned', entity: 'customers', connection, mapping: { columns: { id: 'external_id' } } } });
    expect(created.status).toBe(201);
    const id = created.body['id'] as string;
    await synced(id);
    expect(await stored(id)).toEqual({ configVersion: 1, columns, positions: 1 });

    expect((await patch(id, { name: 'versioned-2', schedule: '0 * * * *', enabled: true })).status).toBe(200);
    expect(await stored(id)).toEqual({ configVersion: 1, columns, positions: 1 });

    // How a tenant clears a schema drift without starting over (docs/connectors.md, "Schema drift").
    const remapped = await patch(id, { mapping: { columns: { id: 'external_id', email: null } } });
    expect(remapped.status).toBe(200);
    expect(remapped.body['mapping']).toEqual({ columns: { id: 'external_id', email: null } });
    expect(await stored(id)).toEqual({ configVersion: 2, columns: null, positions: 1 });

    await synced(id);
    expect((await patch(id, { connection: { ...connection, table: { name: 'accounts_v2' } } })).status).toBe(200);
    expect(await stored(id)).toEqual({ configVersion: 3, columns: null, positions: 0 });
  });

  it('a connection that would send the stored credentials elsewhere needs them again in the same PATCH', async () => {
    const created = await api.request('POST', '/v1/sources', { key: tenant.apiKey, body: { name: 'guarded', entity: 'customers', connection, credentials: { password: 'db-secret' } } });
    expect(created.status).toBe(201);
    const id = created.body['id'] as string;

    // Before: 200, and the next test or sync sent "db-secret" to a server of the caller's choosing.
    const elsewhere = await patch(id, { connection: { ...connection, host: 'collector.example.net' } });
    expect(elsewhere.status).toBe(422);
    expect(elsewhere.body).toMatchObject({ code: 'source.credentials_required', errors: [{ field: 'body.credentials', code: 'required' }] });
    expect((await patch(id, { connection: { ...connection, port: 15432 } })).status).toBe(422);
    expect((await patch(id, { connection: { ...connection, ssl: { rejectUnauthorized: false } } })).status).toBe(422);
    const unchanged = await api.request('GET', `/v1/sources/${id}`, { key: tenant.apiKey });
    expect(unchanged.body).toMatchObject({ connection: { host: 'db.example.com', port: 5432 }, credentialsSet: ['password'] });

    // What to read may change freely; a new destination with its own credentials too.
    expect((await patch(id, { connection: { ...connection, table: { name: 'accounts_v2' } } })).status).toBe(200);
    const moved = await patch(id, { connection: { ...connection, host: 'db2.example.com' }, credentials: { password: 'db2-secret' } });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ connection: { host: 'db2.example.com' }, credentialsSet: ['password'] });
  });

  it("drops the position a sync commits while the PATCH of the connection runs (the sync's commit holds the source row)", async () => {
    const created = await api.request('POST', '/v1/sources', { key: tenant.apiKey, body: { name: 'raced', entity: 'customers', connection } });
    const id = created.body['id'] as string;
    await withClient(tenant.databaseUrl, async (sync) => {
      // A first sync's final transaction, as the ingestion runner writes it: the source row FOR SHARE, then its position.
      await sync.query('BEGIN');
      await sync.query('SELECT config_version FROM sources WHERE id = $1 FOR SHARE', [id]);
      await sync.query(`INSERT INTO sync_states (source_id, stream, entity, cursor) VALUES ($1, 'main', 'customers', '{"highWater":["2026-05-02T00:00:00Z"]}')`, [id]);
      const patched = patch(id, { connection: { ...connection, table: { name: 'accounts_v2' } } });
      for (let waited = 0; ; waited += 50) {
        const { rows } = await sync.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
        if ((rows[0]?.n ?? 0) > 0) break;
        if (waited > 10_000) throw new Error('the PATCH never waited for the sync');
        await sleep(50);
      }
      await sync.query('COMMIT');
      expect((await patched).status).toBe(200);
    });
    // Deleted before its UPDATE, the PATCH missed the row being inserted, and the old table's position survived.
    expect(await stored(id)).toEqual({ configVersion: 2, columns: null, positions: 0 });
  });
});
