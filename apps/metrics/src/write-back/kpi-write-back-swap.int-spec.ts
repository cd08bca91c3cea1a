import { DEFAULT_SCORECARD } from '@pulse/contracts';
import { migrateTenantDatabase } from '@pulse/tenancy';
import { createTenantRoleDatabase, dropTenantRoleDatabases, testPostgresUrlOrThrow, type TenantRoleDatabase } from '@pulse/testing';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { PoolClient } from 'pg';
import { dropReplacedCustomerKpis, writeBackKpis, type WriteBackInput, type WriteBackOptions } from './kpi-write-back';
import { CUSTOMER_HEADER, PRODUCT_HEADER, SERIES_HEADER, SingleConnections, writeKpiFile } from './write-back.int-kit';

// customer_kpis is replaced by a table built beside it and swapped in by renames. What the swap must
// leave as it found it: the tenant schema as the migrations define it (names, definitions, owner,
// privileges), the api's prepared statements on their connections, and no replaced table behind.
// Tenants here are provisioned as the registry does: their own login role, schema applied as that role,
// and the write-back connects as that role (as the metrics service does: tenantDatabaseUrl).

const CUSTOMERS = 200;

/** Each tenant has its own role (the database's owner): named `tenant` so that two tenants compare. */
const role = (oid: string) => `CASE ${oid} WHEN (SELECT datdba FROM pg_database WHERE datname = current_database()) THEN 'tenant' ELSE pg_get_userbyid(${oid})::text END`;
const acl = (column: string) => `replace(${column}::text, (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()), 'tenant')`;

/**
 * Everything of the public schema a swap could change: relations (kind, owner, privileges, options,
 * comment), columns (type, default, storage, statistics target, privileges, comment), indexes, constraints, triggers (the foreign
 * keys' triggers by table and function, their names carry oids), types, extended statistics.
 */
const SCHEMA_SQL = `
  SELECT 'relation' AS kind, c.relname::text AS name,
         concat_ws(' ', c.relkind, ${role('c.relowner')}, ${acl('c.relacl')}, c.reloptions::text, c.relpersistence, obj_description(c.oid, 'pg_class')) AS definition
    FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace
  UNION ALL
  SELECT 'column', a.attrelid::regclass::text || '.' || a.attname,
         concat_ws(' ', a.attnum, format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attstorage, a.attcompression, a.attstattarget, ${acl('a.attacl')}, col_description(a.attrelid, a.attnum))
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid AND c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
   WHERE a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT 'index', indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'
  UNION ALL
  SELECT 'constraint', conrelid::regclass::text || '.' || conname, concat_ws(' ', contype, pg_get_constraintdef(oid), convalidated, condeferrable, obj_description(oid, 'pg_constraint'))
    FROM pg_constraint WHERE connamespace = 'public'::regnamespace
  UNION ALL
  SELECT 'triggers', tgrelid::regclass::text, string_agg(concat_ws(' ', tgfoid::regproc, tgtype, tgconstrrelid::regclass, tgenabled), ', ' ORDER BY concat_ws(' ', tgfoid::regproc, tgtype, tgconstrrelid::regclass, tgenabled))
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid AND c.relnamespace = 'public'::regnamespace GROUP BY tgrelid
  UNION ALL
  SELECT 'type', typname::text, concat_ws(' ', typtype, ${role('typowner')}, ${acl('typacl')}) FROM pg_type WHERE typnamespace = 'public'::regnamespace
  UNION ALL
  SELECT 'statistics', stxname::text, pg_get_statisticsobjdef(oid) FROM pg_statistic_ext WHERE stxnamespace = 'public'::regnamespace
  ORDER BY 1, 2, 3`;

/** A page of GET /v1/customers (band filter, sort by revenue, keyset order): customers, then customer_kpis. */
const LIST_PAGE = {
  name: 'list_swap_test',
  text: `SELECT c.external_id, c.name, k.revenue_90d, k.health_score, k.health_band, k.run_id
           FROM customers c LEFT JOIN customer_kpis k ON k.customer_id = c.id
          WHERE k.health_band = ANY($1::health_band[])
          ORDER BY k.revenue_90d DESC, k.customer_id DESC LIMIT 51`,
  values: [['red', 'yellow', 'green']],
};
/** A single customer's KPIs by external id (GET /v1/customers/{id}). */
const ONE_CUSTOMER = {
  name: 'one_customer_swap_test',
  text: `SELECT c.external_id, k.revenue_90d, k.run_id FROM customers c LEFT JOIN customer_kpis k ON k.customer_id = c.id WHERE c.external_id = $1`,
  values: ['c7'],
};

const roleDatabases: TenantRoleDatabase[] = [];
const connections = new SingleConnections();
let dir: string;
let fresh: TenantRoleDatabase;
let tenant: TenantRoleDatabase;

async function tenantDatabase(prefix: string): Promise<TenantRoleDatabase> {
  const database = await createTenantRoleDatabase(testPostgresUrlOrThrow(), `${prefix}_${randomBytes(4).toString('hex')}`);
  roleDatabases.push(database);
  const report = await migrateTenantDatabase({ tenantId: database.name, connectionString: database.url });
  if (report.status !== 'ok') throw new Error(`tenant schema failed: ${report.error}`);
  return database;
}

/** A connection of its own as the tenant's role (a pool of one: the write-back takes a pool's client). */
function connect(database: TenantRoleDatabase): Promise<PoolClient> {
  return connections.connect(database.url);
}

async function schemaOf(database: TenantRoleDatabase): Promise<Record<string, unknown>[]> {
  const client = await connect(database);
  return (await client.query(SCHEMA_SQL)).rows;
}

async function kpiFiles(name: string, revenue: (i: number) => number): Promise<Pick<WriteBackInput, 'customerKpis' | 'productKpis' | 'metricSeries'>> {
  const write = (file: string, header: string, lines: string[]) => writeKpiFile(path.join(dir, `${name}-${file}.csv`), header, lines);
  return {
    customerKpis: await write(
      'customers',
      CUSTOMER_HEADER,
      Array.from({ length: CUSTOMERS }, (_, n) => {
        const i = n + 1;
        return `c${i},${i % 7},2026-01-05T10:00:00Z,2026-02-0${1 + (i % 9)}T10:00:00Z,${i % 60},${revenue(i)}.0000,0.0000,${revenue(i)}.5000,0.0000,,${1 + (i % 5)},${1 + (i % 5)},${1 + (i % 5)},Loyal,${i % 50}.0000,${i % 11},${i % 3},${i % 2 === 0}`;
      }),
    ),
    productKpis: await write('products', PRODUCT_HEADER, ['SKU-A,,,,3.0000,30.0000,1,0.000000,']),
    metricSeries: await write('series', SERIES_HEADER, ['revenue,day,2026-03-01,10.000000']),
  };
}

/** One write-back in its own transaction; the replaced table is dropped after it unless `keepReplaced` (a crash between). */
async function writeBack(client: PoolClient, files: Pick<WriteBackInput, 'customerKpis' | 'productKpis' | 'metricSeries'>, options: WriteBackOptions & { keepReplaced?: boolean } = {}) {
  const { rows } = await client.query<{ id: string }>(`INSERT INTO metric_runs (status, reason, as_of) VALUES ('running', 'manual', '2026-03-01') RETURNING id`);
  const runId = (rows[0] as { id: string }).id;
  await client.query('BEGIN');
  try {
    const result = await writeBackKpis(client, { runId, asOf: '2026-03-01', ...files, scorecard: { version: null, definition: DEFAULT_SCORECARD } }, options);
    await client.query('COMMIT');
    if (!options.keepReplaced) await dropReplacedCustomerKpis(client, options);
    return { runId, result };
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

async function replacedTables(client: PoolClient): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(`SELECT relname AS name FROM pg_class WHERE relname LIKE 'customer\\_kpis\\_%' AND relkind = 'r' ORDER BY 1`);
  return rows.map((row) => row.name);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pulse-write-back-swap-'));
  [fresh, tenant] = await Promise.all([tenantDatabase('metrics_swap_fresh'), tenantDatabase('metrics_swap')]);
  const setup = await connect(tenant);
  await setup.query(`INSERT INTO customers (external_id, name) SELECT 'c' || i, 'Customer ' || i FROM generate_series(1, ${CUSTOMERS}) i`);
  await setup.query(`INSERT INTO products (sku, name) VALUES ('SKU-A', 'A')`);
  // Previous results.
  await writeBack(setup, await kpiFiles('previous', (i) => i));
}, 120_000);

afterAll(async () => {
  await connections.closeAll();
  await dropTenantRoleDatabases(testPostgresUrlOrThrow(), roleDatabases.map((database) => database.name));
  await rm(dir, { recursive: true, force: true });
});

describe('customer_kpis swapped in by a write-back', () => {
  it('leaves the schema exactly as a fresh tenant has it: names, definitions, owner, privileges', async () => {
    const client = await connect(tenant);
    await writeBack(client, await kpiFiles('schema', (i) => i * 2));

    const [after, expected] = [await schemaOf(tenant), await schemaOf(fresh)];
    expect(after).toEqual(expected);
    expect(after.filter((row) => row['kind'] === 'index' && String(row['name']).startsWith('customer_kpis_'))).toHaveLength(23);
    // Owned by the tenant's role, the one the api and the write-back connect as, with no other grants.
    expect(after.find((row) => row['name'] === 'customer_kpis' && row['kind'] === 'relation')?.['definition']).toBe('r tenant p');
    expect((await client.query(`SELECT current_user = $1 AS tenant_role`, [tenant.name])).rows).toEqual([{ tenant_role: true }]);
    // A later tenant migration still alters it (only the owner may).
    await client.query('BEGIN');
    await client.query(`ALTER TABLE "customer_kpis" ADD COLUMN "later_kpi" INTEGER; CREATE INDEX "customer_kpis_later_kpi_idx" ON "customer_kpis"("later_kpi", "customer_id")`);
    await client.query('ROLLBACK');
  });

  it("keeps the api's prepared statements working on their connections, generic plans included, and they read the new results", async () => {
    const [writer, reader, genericReader] = [await connect(tenant), await connect(tenant), await connect(tenant)];
    await genericReader.query('SET plan_cache_mode = force_generic_plan');
    const read = async (client: PoolClient) => ({
      list: (await client.query(LIST_PAGE)).rows as { revenue_90d: string; run_id: string }[],
      one: (await client.query(ONE_CUSTOMER)).rows as { revenue_90d: string; run_id: string }[],
    });
    for (let i = 0; i < 6; i++) await Promise.all([read(reader), read(genericReader)]);

    // Back to back on both connections while the write-back builds, swaps and commits.
    const stop = { done: false };
    const errors: unknown[] = [];
    const readAll = async (client: PoolClient) => {
      while (!stop.done) await read(client).catch((error: unknown) => errors.push(error));
    };
    const readers = Promise.all([readAll(reader), readAll(genericReader)]);
    const { runId } = await writeBack(writer, await kpiFiles('prepared', (i) => i * 3)).finally(() => {
      stop.done = true;
    });
    await readers;

    expect(errors).toEqual([]);
    for (const client of [reader, genericReader]) {
      const { list, one } = await read(client);
      expect(list).toHaveLength(51);
      expect(list.every((row) => row.run_id === runId)).toBe(true);
      expect(list[0]?.revenue_90d).toBe(`${CUSTOMERS * 3}.5000`);
      expect(one).toEqual([expect.objectContaining({ revenue_90d: '21.5000', run_id: runId })]);
    }
    // Still the statements prepared before the swap (not new ones), run with generic plans.
    const { rows } = await genericReader.query(`SELECT name, generic_plans > 0 AS generic FROM pg_prepared_statements ORDER BY name`);
    expect(rows).toEqual([
      { name: 'list_swap_test', generic: true },
      { name: 'one_customer_swap_test', generic: true },
    ]);
  });

  it('a replaced table left behind (a crash after COMMIT) does not stop the next write-back, and the cleanup drops every one', async () => {
    const client = await connect(tenant);
    await writeBack(client, await kpiFiles('crash-1', (i) => i * 4), { keepReplaced: true });
    await writeBack(client, await kpiFiles('crash-2', (i) => i * 5), { keepReplaced: true });
    const leftovers = await replacedTables(client);
    expect(leftovers).toHaveLength(2);
    expect(leftovers.every((name) => /^customer_kpis_replaced_\d+$/.test(name))).toBe(true);

    // A customer deleted meanwhile cascades into the live table and the replaced ones alike.
    await client.query(`DELETE FROM customers WHERE external_id = 'c1'`);
    for (const table of ['customer_kpis', ...leftovers]) expect((await client.query(`SELECT 1 FROM ${table}`)).rowCount).toBe(CUSTOMERS - 1);
    const { dropped } = await dropReplacedCustomerKpis(client);
    expect(dropped.sort()).toEqual(leftovers);
    expect(await replacedTables(client)).toEqual([]);
    expect(await schemaOf(tenant)).toEqual(await schemaOf(fresh));
    const { rows } = await client.query(`SELECT max(revenue_90d) AS top FROM customer_kpis`);
    expect(rows).toEqual([{ top: `${CUSTOMERS * 5}.5000` }]);
  });

  it('dropping a replaced table waits for a long reader of customers without queueing the other readers behind it', async () => {
    const [writer, longReader, reader] = [await connect(tenant), await connect(tenant), await connect(tenant)];
    await writeBack(writer, await kpiFiles('long-reader', (i) => i * 6), { keepReplaced: true });

    await longReader.query('BEGIN');
    await longReader.query('SELECT count(*) FROM customers');
    const dropping = dropReplacedCustomerKpis(writer, { lockAttemptTimeoutMs: 100, lockWaitLimitMs: 30_000 }).then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    // Behind a queued ACCESS EXCLUSIVE request these reads would wait for the long reader: their
    // lock_timeout (far above one attempt) says they did not.
    await reader.query(`SET lock_timeout = '2s'`);
    for (let i = 0; i < 20; i++) await reader.query(LIST_PAGE);
    expect(await replacedTables(reader)).toHaveLength(1);
    await longReader.query('COMMIT');

    const drop = await dropping;
    expect(drop).toMatchObject({ value: { dropped: [expect.stringMatching(/^customer_kpis_replaced_\d+$/)] } });
    expect(await replacedTables(reader)).toEqual([]);
  });

  it('a write-back that fails after building the new table leaves the previous results, the schema as it was and nothing behind', async () => {
    const [writer, longReader, observer] = [await connect(tenant), await connect(tenant), await connect(tenant)];
    const before = (await observer.query(`SELECT customer_id, revenue_90d, run_id FROM customer_kpis ORDER BY customer_id`)).rows;

    await longReader.query('BEGIN');
    await longReader.query('SELECT count(*) FROM metric_series');
    const failed = await writeBack(writer, await kpiFiles('fails', (i) => i * 7), { lockWaitLimitMs: 500 }).then(
      () => undefined,
      (error: unknown) => error,
    );
    await longReader.query('COMMIT');

    expect(failed).toMatchObject({ code: '55P03' });
    expect((await observer.query(`SELECT customer_id, revenue_90d, run_id FROM customer_kpis ORDER BY customer_id`)).rows).toEqual(before);
    expect(await replacedTables(observer)).toEqual([]);
    expect(await schemaOf(tenant)).toEqual(await schemaOf(fresh));
  });
});
