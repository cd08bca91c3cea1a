import { testPostgresUrlOrThrow } from '@pulse/testing';
import { Client } from 'pg';
import { ApiUnderTest, type SeededTenant } from '../api.int-kit';

// A read that loses a deadlock is told to retry (503, Retry-After), not that the server has a bug (500).
// The deadlock is made on purpose: another transaction holds customer_kpis, the list read takes
// customers and waits for it (seen in pg_locks), then that transaction asks for customers. The read
// waited first, so its deadlock check (deadlock_timeout after it began waiting) finds the cycle and
// PostgreSQL cancels it. The holder's own check is put far off (a superuser setting, so the holder connects
// as the server's admin): on a loaded machine it could otherwise run first and cancel the holder instead.

describe('GET /v1/customers that loses a deadlock', () => {
  let api: ApiUnderTest;
  let tenant: SeededTenant;
  let holder: Client;
  let observer: Client;

  beforeAll(async () => {
    api = await ApiUnderTest.start();
    tenant = await api.seedTenant('read-conflict');
    await api.tenantSql(tenant, `INSERT INTO customers (external_id, name) SELECT 'c' || i, 'Customer ' || i FROM generate_series(1, 5) i`);
    const adminOfTenantDatabase = new URL(testPostgresUrlOrThrow());
    adminOfTenantDatabase.pathname = new URL(tenant.databaseUrl).pathname;
    holder = new Client({ connectionString: adminOfTenantDatabase.toString() });
    observer = new Client({ connectionString: tenant.databaseUrl });
    await holder.connect();
    await holder.query(`SET deadlock_timeout = '60s'`);
    await observer.connect();
  });

  afterAll(async () => {
    await holder?.end();
    await observer?.end();
    await api?.stop();
  });

  /** The backend of the api's read, once it waits for customer_kpis (fails at once if the read answers first). */
  async function readerWaitingForKpis(answered: () => unknown): Promise<number> {
    for (let polls = 0; polls < 6_000; polls++) {
      if (answered() !== undefined) throw new Error(`the list read answered before it waited for customer_kpis: ${JSON.stringify(answered())}`);
      const { rows } = await observer.query<{ pid: number }>(`SELECT pid FROM pg_locks WHERE NOT granted AND relation = 'customer_kpis'::regclass`);
      if (rows[0]) return rows[0].pid;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error('the list read never waited for customer_kpis');
  }

  it('is 503 database_unavailable with Retry-After, and the same request then succeeds', async () => {
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE customer_kpis IN ACCESS EXCLUSIVE MODE');
    let early: unknown;
    const answer = api.get('/v1/customers?limit=10', { key: tenant.apiKey }).then((response) => {
      early = { status: response.status, body: response.body };
      return response;
    });
    await readerWaitingForKpis(() => early);
    const closing = holder.query('LOCK TABLE customers IN ACCESS EXCLUSIVE MODE');
    const response = await answer;
    await closing;
    await holder.query('ROLLBACK');

    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(response.body).toMatchObject({
      status: 503,
      code: 'database_unavailable',
      detail: 'A concurrent change to the data got in the way of this read; retry in a few seconds.',
    });
    const retried = await api.get('/v1/customers?limit=10', { key: tenant.apiKey });
    expect(retried.status).toBe(200);
    expect(retried.body.items).toHaveLength(5);
  });
});
