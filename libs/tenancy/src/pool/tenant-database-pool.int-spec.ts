import { randomBytes } from 'node:crypto';
import { createTestDatabase, testPostgresUrlOrThrow, type TestDatabase } from '@pulse/testing';
import { Client } from 'pg';
import { createTenantContext, type TenantContext } from '../context/tenant-context';
import { TenantDatabasePool } from './tenant-database-pool';

const TENANTS = 50;
const GLOBAL_CAP = 8;
const PER_TENANT = 2;
const MAX_POOLS = 20;
// Sessions of this run only, whatever else the server is doing.
const APPLICATION_NAME = `tenancy-pool-${randomBytes(4).toString('hex')}`;

interface Tenant {
  context: TenantContext;
  database: TestDatabase;
}

let tenants: Tenant[] = [];
let monitor: Client;

async function openSessions(): Promise<number> {
  const { rows } = await monitor.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [APPLICATION_NAME]);
  return rows[0]!.n;
}

beforeAll(async () => {
  const databases = await Promise.all(Array.from({ length: TENANTS }, () => createTestDatabase({ prefix: 'tenant_pool' })));
  tenants = databases.map((database, index) => ({
    database,
    context: createTenantContext({ tenantId: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`, slug: `tenant-${index}` }),
  }));
  monitor = new Client({ connectionString: testPostgresUrlOrThrow(), application_name: `${APPLICATION_NAME}-monitor` });
  await monitor.connect();
});

afterAll(async () => {
  await monitor?.end();
  await Promise.all(tenants.map((tenant) => tenant.database.drop()));
});

describe('TenantDatabasePool (real PostgreSQL)', () => {
  it(`serves ${TENANTS} tenants at once, each its own database, never above the global cap`, async () => {
    const databaseOf = new Map(tenants.map((tenant) => [tenant.context.tenantId, tenant.database]));
    const resolveConnection = jest.fn(async (tenantId: string) => {
      const database = databaseOf.get(tenantId);
      if (!database) throw new Error(`unknown tenant ${tenantId}`);
      return { connectionString: database.url };
    });
    const pool = new TenantDatabasePool({
      resolveConnection,
      maxTotalConnections: GLOBAL_CAP,
      maxConnectionsPerTenant: PER_TENANT,
      maxOpenPools: MAX_POOLS,
      applicationName: APPLICATION_NAME,
      acquireTimeoutMs: 20_000,
    });

    // Watch the server's own count of this pool's sessions while the work runs.
    let watching = true;
    let peakSessions = 0;
    let peakReported = 0;
    const watcher = (async () => {
      while (watching) {
        peakSessions = Math.max(peakSessions, await openSessions());
        peakReported = Math.max(peakReported, pool.metrics().openConnections);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();

    const served: Array<{ tenant: string; database: string }> = [];
    try {
      // Three rounds over all tenants, each task holding its connection for 50 ms.
      const tasks = Array.from({ length: TENANTS * 3 }, (_, i) => tenants[i % TENANTS]!).map(async (tenant) => {
        const { rows } = await pool.query<{ database: string }>(tenant.context, 'SELECT current_database() AS database, pg_sleep(0.05)');
        served.push({ tenant: tenant.context.tenantId, database: rows[0]!.database });
      });
      await Promise.all(tasks);
    } finally {
      watching = false;
      await watcher;
    }

    expect(served).toHaveLength(TENANTS * 3);
    for (const { tenant, database } of served) expect(database).toBe(databaseOf.get(tenant)!.name);
    expect(peakSessions).toBeLessThanOrEqual(GLOBAL_CAP);
    expect(peakSessions).toBeGreaterThanOrEqual(GLOBAL_CAP / 2); // the work really ran in parallel
    expect(peakReported).toBeLessThanOrEqual(GLOBAL_CAP);

    const metrics = pool.metrics();
    expect(metrics.openPools).toBeLessThanOrEqual(MAX_POOLS);
    expect(metrics.evictions).toBeGreaterThan(0);
    expect(metrics.misses).toBeGreaterThanOrEqual(TENANTS);
    expect(metrics.hits + metrics.misses).toBe(TENANTS * 3);
    expect(metrics.waits).toBeGreaterThan(0);
    expect(metrics.timeouts).toBe(0);
    expect(metrics.checkedOut).toBe(0);
    expect(metrics.openConnections).toBeLessThanOrEqual(GLOBAL_CAP);

    // A transaction commits on its tenant's database only.
    const [first, second] = tenants;
    await pool.withTenantTransaction(first!.context, async (client) => {
      await client.query('CREATE TABLE pool_probe (tenant TEXT)');
      await client.query('INSERT INTO pool_probe VALUES ($1)', [first!.context.slug]);
    });
    expect((await pool.query(first!.context, 'SELECT tenant FROM pool_probe')).rows).toEqual([{ tenant: 'tenant-0' }]);
    await expect(pool.query(second!.context, 'SELECT tenant FROM pool_probe')).rejects.toMatchObject({ code: '42P01' });

    await pool.close();
    expect(pool.metrics().openConnections).toBe(0);
    expect(await openSessions()).toBe(0);
  });

  it('never lends the next borrower a connection left inside a transaction (open or failed) by the previous one', async () => {
    const [tenant] = tenants;
    // One connection per tenant: the next checkout gets the very connection the last one returned.
    const pool = new TenantDatabasePool({ resolveConnection: async () => ({ connectionString: tenant!.database.url }), maxConnectionsPerTenant: 1, applicationName: APPLICATION_NAME });
    try {
      await pool.query(tenant!.context, 'CREATE TABLE leftover_probe (borrower TEXT)');

      // A callback that returns (or throws) without COMMIT: its work must not commit, and must not swallow the next borrower's.
      await pool.withTenantClient(tenant!.context, async (client) => {
        await client.query('BEGIN');
        await client.query(`INSERT INTO leftover_probe VALUES ('first')`);
      });
      await pool.query(tenant!.context, `INSERT INTO leftover_probe VALUES ('second')`);
      const seen = await monitorQuery(tenant!.database.url, 'SELECT borrower FROM leftover_probe ORDER BY borrower');
      expect(seen).toEqual([{ borrower: 'second' }]);

      // A failed transaction ("current transaction is aborted") is not handed on either.
      await pool
        .withTenantClient(tenant!.context, async (client) => {
          await client.query('BEGIN');
          await client.query('SELECT no_such_column FROM leftover_probe');
        })
        .catch(() => undefined);
      expect((await pool.query<{ one: number }>(tenant!.context, 'SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await pool.close();
    }
  });
});

/** One query on a connection of its own, outside any pool: what other sessions see. */
async function monitorQuery(url: string, sql: string): Promise<unknown[]> {
  const client = new Client({ connectionString: url, application_name: `${APPLICATION_NAME}-check` });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}
