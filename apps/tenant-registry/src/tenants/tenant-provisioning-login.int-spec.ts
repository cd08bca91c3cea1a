import { Client, Pool } from 'pg';
import { startRegistry, tryConnect, uniqueSlug, type RegistryUnderTest } from '../tenant-registry.int-kit';

// Production provisions with Cloud SQL's pulse_admin, which has CREATEROLE and CREATEDB but is no
// superuser (Cloud SQL has none). Since PostgreSQL 16 the creator of a role may administer it but not
// act as it, and on 15 a role's creator is not even a member of it; the registry must provision, serve
// and offboard with such a login all the same. Run on the embedded server (18) and on DATABASE_URL's.
describe('tenant lifecycle with a provisioning login that has only CREATEROLE and CREATEDB', () => {
  let registry: RegistryUnderTest;
  const created: string[] = [];

  const createTenant = async (prefix: string) => {
    const slug = uniqueSlug(prefix);
    created.push(slug);
    return { slug, response: await registry.call('POST', '/v1/tenants', { slug, name: `Tenant ${slug}` }) };
  };
  const roleOf = (slug: string) => `tenant_${slug.replace(/-/g, '_')}`;

  beforeAll(async () => {
    registry = await startRegistry({ provisioningLogin: 'createrole' });
  });

  afterAll(async () => {
    for (const slug of created) await registry.call('DELETE', `/v1/tenants/${slug}`);
    await registry?.stop();
  });

  it('provisions a tenant its role can use, without giving the tenant role anything', async () => {
    const [login] = await registry.query<{ rolsuper: boolean }>('SELECT rolsuper FROM pg_roles WHERE rolname = $1', [registry.provisioningLogin]);
    expect(login?.rolsuper).toBe(false);

    const { slug, response } = await createTenant('nosu');
    expect(response.status).toBe(201);
    expect(response.body.tenant).toMatchObject({ status: 'onboarding', provisioningError: null, database: { schemaVersion: expect.any(String) } });

    const tenantDb = new Pool({ connectionString: await registry.tenantUrl(slug), max: 1 });
    try {
      await tenantDb.query(`INSERT INTO customers (external_id, name) VALUES ('c1', 'First customer')`);
      expect((await tenantDb.query('SELECT name FROM customers')).rows).toEqual([{ name: 'First customer' }]);
      // The database and its public schema are the tenant role's; nobody else may use either.
      const [owners] = (
        await tenantDb.query<{ database_owner: string; schema_owner: string; public_connect: boolean }>(
          `SELECT pg_get_userbyid(d.datdba) AS database_owner, pg_get_userbyid(n.nspowner) AS schema_owner,
                  has_database_privilege('public', current_database(), 'CONNECT') AS public_connect
             FROM pg_database d, pg_namespace n WHERE d.datname = current_database() AND n.nspname = 'public'`,
        )
      ).rows;
      expect(owners).toEqual({ database_owner: roleOf(slug), schema_owner: roleOf(slug), public_connect: false });
    } finally {
      await tenantDb.end();
    }

    // The provisioning login was granted the tenant role, never the other way round: the tenant role is a
    // member of nothing and cannot act as the provisioning login.
    const memberships = await registry.query<{ granted: string }>(
      'SELECT m.roleid::regrole::text AS granted FROM pg_auth_members m WHERE m.member = $1::regrole',
      [roleOf(slug)],
    );
    expect(memberships).toEqual([]);
    const [actAs] = await registry.query<{ member: boolean }>(`SELECT pg_has_role($1, $2, 'MEMBER') AS member`, [roleOf(slug), registry.provisioningLogin]);
    expect(actAs?.member).toBe(false);
  });

  it('keeps tenants apart', async () => {
    const a = await createTenant('nosu-a');
    const b = await createTenant('nosu-b');
    expect([a.response.status, b.response.status]).toEqual([201, 201]);
    const crossed = new URL(await registry.tenantUrl(a.slug));
    crossed.pathname = new URL(await registry.tenantUrl(b.slug)).pathname;
    expect(await tryConnect(crossed.toString())).toMatch(/permission denied for database/);
  });

  it.each(['role', 'database', 'schema'] as const)('finishes a provisioning interrupted after the %s step when run again', async (step) => {
    registry.hooks.afterStep = async (reached) => {
      if (reached === step) throw new Error(`crash after ${step}`);
    };
    const { slug, response } = await createTenant(`nosu-crash-${step}`);
    registry.hooks.afterStep = async () => undefined;
    expect(response.status).toBe(503);

    const resumed = await registry.call('POST', `/v1/tenants/${slug}/provision`);
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ status: 'onboarding', provisioningError: null });
    expect(await tryConnect(await registry.tenantUrl(slug))).toBe('connected');
  });

  it('offboards: exports, then drops the database and the role; a second DELETE is harmless', async () => {
    const { slug } = await createTenant('nosu-off');
    // A session the tenant still has open: DROP DATABASE ... WITH (FORCE) must be allowed to end it.
    const session = new Client({ connectionString: await registry.tenantUrl(slug) });
    session.on('error', () => undefined);
    await session.connect();
    await session.query(`INSERT INTO customers (external_id, name) SELECT 'c' || i, 'Customer ' || i FROM generate_series(1, 3) AS i`);

    const offboarded = await registry.call('DELETE', `/v1/tenants/${slug}`);
    await session.end().catch(() => undefined);
    expect(offboarded.status).toBe(200);
    expect(offboarded.body).toMatchObject({ status: 'offboarded', database: null, exportUri: expect.stringMatching(/^file:\/\/.*\.zip$/) });
    const [left] = await registry.query<{ databases: number; roles: number }>(
      'SELECT (SELECT count(*)::int FROM pg_database WHERE datname = $1) AS databases, (SELECT count(*)::int FROM pg_roles WHERE rolname = $1) AS roles',
      [roleOf(slug)],
    );
    expect(left).toEqual({ databases: 0, roles: 0 });
    expect((await registry.call('DELETE', `/v1/tenants/${slug}`)).status).toBe(200);
  });
});
