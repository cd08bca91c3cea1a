import { issueApiKey } from '@pulse/tenancy';
import { freePort, TcpProxy } from '@pulse/testing';
import net from 'node:net';
import { Client } from 'pg';
import { ApiUnderTest, type SeededTenant } from './api.int-kit';

// A database that is down or does not answer is an outage the client can wait out: 503 problem+json
// `database_unavailable` with Retry-After, within the api's connect timeout; never a 500 after 10 s.

/** A "database" that accepts connections and never says a word, as a frozen (SIGSTOP) PostgreSQL does. */
async function silentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const CONNECT_TIMEOUT_MS = 1_000;
const QUERY_TIMEOUT_MS = 1_000;
/** pg-tenant-pool's grace after statement_timeout before the client gives up on a silent server. */
const SILENCE_GRACE_MS = 2_000;
/** How late past its timeout an answer may come on a loaded CI machine: far short of a request left hanging. */
const LOADED_MACHINE_MARGIN_MS = 4_000;

function expectOutage(response: { status: number; headers: Headers; body: Record<string, unknown> }, instance: string): void {
  expect(response.status).toBe(503);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(response.headers.get('retry-after')).toBe('5');
  expect(response.body).toEqual({
    type: 'urn:pulse:problem:database_unavailable',
    title: 'Service Unavailable',
    status: 503,
    code: 'database_unavailable',
    detail: 'The database is not answering just now; retry in a few seconds.',
    instance,
  });
}

describe('a tenant database that cannot be reached', () => {
  let api: ApiUnderTest;
  let silent: Awaited<ReturnType<typeof silentServer>>;

  beforeAll(async () => {
    silent = await silentServer();
    api = await ApiUnderTest.start({ TENANT_POOL_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS), TENANT_POOL_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS) });
  }, 60_000);

  afterAll(async () => {
    await api?.stop();
    await silent?.close();
  });

  /** A tenant whose database the control plane says is at 127.0.0.1:`port`. */
  async function tenantAt(prefix: string, port: number): Promise<SeededTenant> {
    const tenant = await api.seedTenant(prefix);
    await api.controlPlaneSql(`UPDATE tenant_databases SET host = '127.0.0.1', port = $1 WHERE tenant_id = $2`, [port, tenant.tenantId]);
    return tenant;
  }

  it('that does not answer is 503 database_unavailable with Retry-After once the connect timeout has passed', async () => {
    const tenant = await tenantAt('silent', silent.port);

    const started = performance.now();
    const response = await api.get('/v1/customers', { key: tenant.apiKey });
    const elapsed = performance.now() - started;

    expectOutage(response, '/v1/customers');
    expect(elapsed).toBeGreaterThanOrEqual(CONNECT_TIMEOUT_MS - 50);
    expect(elapsed).toBeLessThan(CONNECT_TIMEOUT_MS + LOADED_MACHINE_MARGIN_MS);
  });

  it('that refuses connections is 503 database_unavailable at once', async () => {
    const tenant = await tenantAt('refused', await freePort());
    // The first request of a tenant also looks up its key and database: the second one measures the refusal.
    expectOutage(await api.get('/v1/customers/acme', { key: tenant.apiKey }), '/v1/customers/acme');

    const started = performance.now();
    const response = await api.get('/v1/customers/acme', { key: tenant.apiKey });

    expectOutage(response, '/v1/customers/acme');
    expect(performance.now() - started).toBeLessThan(CONNECT_TIMEOUT_MS);
  });
});

describe('a tenant database that stops answering, or holds a statement too long', () => {
  let api: ApiUnderTest;

  beforeAll(async () => {
    api = await ApiUnderTest.start({ TENANT_POOL_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS) });
  }, 60_000);

  afterAll(async () => {
    await api?.stop();
  });

  it('that freezes mid-session is 503 once the query timeout and its grace have passed, and the frozen connection is not used again', async () => {
    const tenant = await api.seedTenant('frozen');
    const database = new URL(tenant.databaseUrl);
    const proxy = await TcpProxy.start({ host: database.hostname, port: Number(database.port || 5432) });
    try {
      await api.controlPlaneSql(`UPDATE tenant_databases SET host = '127.0.0.1', port = $1 WHERE tenant_id = $2`, [proxy.port, tenant.tenantId]);
      expect((await api.get('/v1/customers', { key: tenant.apiKey })).status).toBe(200); // the pool now holds a connection

      proxy.freeze();
      const started = performance.now();
      const response = await api.get('/v1/customers', { key: tenant.apiKey });
      const elapsed = performance.now() - started;
      expectOutage(response, '/v1/customers');
      expect(elapsed).toBeGreaterThanOrEqual(QUERY_TIMEOUT_MS + SILENCE_GRACE_MS - 50);
      expect(elapsed).toBeLessThan(QUERY_TIMEOUT_MS + SILENCE_GRACE_MS + LOADED_MACHINE_MARGIN_MS);

      // The server answers again; the connection that missed an answer was discarded, so the next
      // request gets its own answer on a new one (not the late answer of the frozen query).
      proxy.thaw();
      const after = await api.get('/v1/customers/nobody', { key: tenant.apiKey });
      expect(after.status).toBe(404);
      expect(after.body).toMatchObject({ code: 'customer.not_found' });
    } finally {
      await proxy.stop();
    }
  });

  it('whose statement waits past statement_timeout (a lock held by a migration) is 503, and the connection serves the next request', async () => {
    const tenant = await api.seedTenant('locked');
    const locker = new Client({ connectionString: tenant.databaseUrl });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE customers IN ACCESS EXCLUSIVE MODE');
      const started = performance.now();
      const response = await api.get('/v1/customers', { key: tenant.apiKey });
      const elapsed = performance.now() - started;
      expectOutage(response, '/v1/customers');
      // The server cancelled it (57014), before the client-side grace.
      expect(elapsed).toBeGreaterThanOrEqual(QUERY_TIMEOUT_MS - 50);
      expect(elapsed).toBeLessThan(QUERY_TIMEOUT_MS + SILENCE_GRACE_MS);
      await locker.query('ROLLBACK');
      expect((await api.get('/v1/customers', { key: tenant.apiKey })).status).toBe(200);
    } finally {
      await locker.end();
    }
  });
});

describe('a control plane that cannot be reached (tenant resolution)', () => {
  let api: ApiUnderTest;

  beforeAll(async () => {
    // The api's control plane is a closed port; seeding would use the real one, but no tenant is needed:
    // resolving any key asks the control plane.
    api = await ApiUnderTest.start({ DATABASE_URL: `postgresql://pulse@127.0.0.1:${await freePort()}/control_plane` });
  }, 60_000);

  afterAll(async () => {
    await api?.stop();
  });

  it('is 503 database_unavailable with Retry-After, not 401 or 500', async () => {
    const response = await api.get('/v1/customers', { key: issueApiKey().token });

    expectOutage(response, '/v1/customers');
  });
});
