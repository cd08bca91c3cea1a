import { OUTBOX_TABLE_SQL, PROCESSED_EVENTS_TABLE_SQL } from '@pulse/messaging';
import { createTestDatabase, type TestDatabase } from '@pulse/testing';
import { Client } from 'pg';
import { currentTenantSchemaVersion, readTenantMigrations } from './migration-files';
import { migrateTenantDatabase } from './tenant-migrator';

// The real tenant schema, from the default migrations folder (found by walking up from this file).
let database: TestDatabase;
let client: Client;

beforeAll(async () => {
  database = await createTestDatabase({ prefix: 'tenant_schema' });
  client = new Client({ connectionString: database.url });
  await client.connect();
});

afterAll(async () => {
  await client?.end();
  await database?.drop();
});

async function shapeOf(schema: string, table: string) {
  const columns = await client.query(
    `SELECT column_name, data_type, datetime_precision, is_nullable,
            -- CURRENT_TIMESTAMP and now() are the same default, spelled differently by Prisma and by hand.
            replace(column_default, 'CURRENT_TIMESTAMP', 'now()') AS column_default
       FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
    [schema, table],
  );
  const indexes = await client.query(
    `SELECT indexname, replace(indexdef, $1 || '.', '') AS definition FROM pg_indexes
      WHERE schemaname = $1 AND tablename = $2 ORDER BY indexname`,
    [schema, table],
  );
  return {
    columns: columns.rows.map((row) => ({ ...row, column_default: row.column_default?.replace(`${schema}.`, '') ?? null })),
    indexes: indexes.rows,
  };
}

describe('tenant schema', () => {
  it('applies cleanly to a fresh database, and a second run applies nothing', async () => {
    const target = { tenantId: 'schema-test', connectionString: database.url };
    const first = await migrateTenantDatabase(target);
    const all = readTenantMigrations().map((migration) => migration.name);
    expect(first).toMatchObject({ status: 'ok', applied: all, schemaVersion: currentTenantSchemaVersion() });

    const second = await migrateTenantDatabase(target);
    expect(second).toMatchObject({ status: 'ok', applied: [], schemaVersion: currentTenantSchemaVersion() });
  });

  it("gives outbox and processed_events exactly the messaging lib's shape", async () => {
    await client.query('CREATE SCHEMA messaging_reference');
    await client.query('SET search_path TO messaging_reference');
    await client.query(OUTBOX_TABLE_SQL);
    await client.query(PROCESSED_EVENTS_TABLE_SQL);
    await client.query('RESET search_path');
    for (const table of ['outbox', 'processed_events']) {
      const reference = await shapeOf('messaging_reference', table);
      const tenant = await shapeOf('public', table);
      expect(reference.columns.length).toBeGreaterThan(2);
      expect({ table, ...tenant }).toEqual({ table, ...reference });
    }
    // And the lib's own DDL finds nothing to do on a tenant database.
    await client.query(OUTBOX_TABLE_SQL);
    await client.query(PROCESSED_EVENTS_TABLE_SQL);
  });

  it('keys bulk-loaded rows with identity ids and fills defaults a COPY would omit', async () => {
    const { rows } = await client.query(
      "INSERT INTO customers (external_id, name) VALUES ('c-1', 'Ana'), ('c-2', 'Bruno') RETURNING id, custom, created_at, updated_at",
    );
    expect(rows.map((row) => typeof row.id)).toEqual(['string', 'string']); // BIGINT comes back as text
    expect(rows[0].custom).toEqual({});
    expect(rows[0].created_at).toBeInstanceOf(Date);
    const identity = await client.query(
      "SELECT table_name FROM information_schema.columns WHERE column_name = 'id' AND is_identity = 'YES' AND table_schema = 'public' ORDER BY table_name",
    );
    expect(identity.rows.map((row) => row.table_name)).toEqual(
      expect.arrayContaining(['customers', 'orders', 'order_items', 'usage_events', 'import_errors', 'health_scores']),
    );
  });

  it('enforces what the platform relies on', async () => {
    const customer = (await client.query("SELECT id FROM customers WHERE external_id = 'c-1'")).rows[0].id;
    const reject = (sql: string, values: unknown[] = []) =>
      client.query('SAVEPOINT s').then(() =>
        client
          .query(sql, values)
          .then(
            () => 'accepted',
            (error: Error & { code?: string }) => error.code,
          )
          .finally(() => client.query('ROLLBACK TO SAVEPOINT s')),
      );
    await client.query('BEGIN');
    try {
      // 23514 check_violation, 23505 unique_violation, 23503 foreign_key_violation
      expect(await reject('INSERT INTO nps_responses (customer_id, score, responded_at) VALUES ($1, 11, now())', [customer])).toBe('23514');
      expect(await reject('INSERT INTO nps_responses (customer_id, score, responded_at) VALUES ($1, 10, now())', [customer])).toBe('accepted');
      expect(await reject("INSERT INTO customers (external_id) VALUES ('c-1')")).toBe('23505');
      expect(await reject("INSERT INTO orders (external_id, customer_id, ordered_at) VALUES ('o-1', -1, now())")).toBe('23503');
      expect(
        await reject(
          `INSERT INTO scorecards (version, definition, active) VALUES (1, '{}', true), (2, '{}', true)`,
        ),
      ).toBe('23505');
      expect(await reject(`INSERT INTO scorecards (version, definition, active) VALUES (1, '{}', true), (2, '{}', false)`)).toBe('accepted');
      expect(await reject("INSERT INTO customer_kpis (customer_id, as_of, run_id, rfm_recency) VALUES ($1, current_date, gen_random_uuid(), 6)", [customer])).toBe('23514');
    } finally {
      await client.query('ROLLBACK');
    }
  });

  it('serves custom-field filters and KPI keyset pages from indexes', async () => {
    await client.query('SET enable_seqscan = off');
    try {
      const plan = async (sql: string) => (await client.query(`EXPLAIN (FORMAT JSON) ${sql}`)).rows[0]['QUERY PLAN'][0].Plan;
      const custom = JSON.stringify(await plan(`SELECT id FROM customers WHERE custom @> '{"tier": "gold"}'`));
      expect(custom).toContain('customers_custom_gin_idx');
      const page = JSON.stringify(
        await plan(`SELECT customer_id FROM customer_kpis WHERE (revenue_90d, customer_id) < (100, 5) ORDER BY revenue_90d DESC, customer_id DESC LIMIT 50`),
      );
      expect(page).toContain('customer_kpis_revenue_90d_idx');
      const errors = JSON.stringify(
        await plan(`SELECT * FROM import_errors WHERE import_id = gen_random_uuid() AND (line_number, id) > (10, 3) ORDER BY line_number, id LIMIT 100`),
      );
      expect(errors).toContain('import_errors_import_id_line_number_id_idx');
      // Ingestion's lookup of the imports whose warehouse loads are still to be handed over, at every import's commit.
      const pendingLoads = JSON.stringify(await plan(`SELECT id, checkpoint -> 'warehouse' AS loads FROM imports WHERE checkpoint ? 'warehouse' ORDER BY finished_at, id`));
      expect(pendingLoads).toContain('imports_pending_warehouse_idx');
      // The api's count of pending imports before each upload.
      const pendingImports = JSON.stringify(await plan(`SELECT count(*) FROM imports WHERE status IN ('queued', 'running')`));
      expect(pendingImports).toContain('imports_pending_idx');
    } finally {
      await client.query('RESET enable_seqscan');
    }
  });
});
