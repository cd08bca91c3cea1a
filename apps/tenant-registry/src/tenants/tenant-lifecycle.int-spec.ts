import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { discoverRoutes } from '@pulse/service-runtime';
import { Pool } from 'pg';
import yauzl from 'yauzl';
import { currentTenantSchemaVersion, TenantResolver } from '@pulse/tenancy';
import { getWithHeaders, startProcess, waitFor } from '@pulse/testing';
import path from 'node:path';
import { scramSha256Verifier } from '../provisioning/scram-verifier';
import { listen, OPERATOR_TOKEN, startRegistry, tryConnect, uniqueSlug, type RegistryUnderTest } from '../tenant-registry.int-kit';

/** The files of a zip and their text, read with an independent zip reader. */
function unzip(buffer: Buffer): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buffer, { lazyEntries: true }, (error, zip) => {
      if (error || !zip) return reject(error);
      const files: Record<string, string> = {};
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError || !stream) return reject(streamError);
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('end', () => {
            files[entry.fileName] = Buffer.concat(chunks).toString('utf8');
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(files));
      zip.readEntry();
    });
  });
}

describe('tenant registry (real PostgreSQL, Pub/Sub emulator)', () => {
  let registry: RegistryUnderTest;
  let resolverPool: Pool;
  const created: string[] = [];

  const createTenant = async (prefix: string, extra: Record<string, unknown> = {}) => {
    const slug = uniqueSlug(prefix);
    const response = await registry.call('POST', '/v1/tenants', { slug, name: `Tenant ${slug}`, ...extra });
    created.push(slug);
    return { slug, response };
  };

  beforeAll(async () => {
    registry = await startRegistry();
    resolverPool = new Pool({ connectionString: registry.controlPlane.url, max: 2 });
  });

  afterAll(async () => {
    // Offboarding drops each tenant's database and role, so nothing is left on a shared server.
    for (const slug of created) await registry.call('DELETE', `/v1/tenants/${slug}`);
    await resolverPool?.end();
    await registry?.stop();
  });

  it('creates a tenant with its own database, the tenant schema, and a first API key shown once', async () => {
    const events = await listen(registry.pubsub, 'tenant.provisioned.v1');
    const { slug, response } = await createTenant('acme', { plan: 'enterprise', hostnames: ['cs.acme-example.com'] });

    expect(response.status).toBe(201);
    expect(response.body.tenant).toMatchObject({
      slug,
      status: 'onboarding',
      plan: 'enterprise',
      hostnames: [`${slug}.pulse.test`, 'cs.acme-example.com'],
      database: { name: `tenant_${slug.replace(/-/g, '_')}`, schemaVersion: expect.any(String) },
      provisioningError: null,
    });
    expect(response.body.apiKey.key).toMatch(/^pulse_[A-Za-z0-9]{12}_[A-Za-z0-9]{32}$/);

    const keys = await registry.call('GET', `/v1/tenants/${slug}/api-keys`);
    expect(keys.body.items).toHaveLength(1);
    expect(JSON.stringify(keys.body)).not.toContain(response.body.apiKey.key.split('_')[2]);

    const tenantDb = new Pool({ connectionString: await registry.tenantUrl(slug), max: 1 });
    const tables = await tenantDb.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('customers', 'orders', 'outbox')");
    await tenantDb.end();
    expect(tables.rows[0].n).toBe(3);

    // The role's password was given to the server as its SCRAM verifier (never in clear in a statement),
    // the verifier of the password the tenant's URL holds.
    const tenantUrl = new URL(await registry.tenantUrl(slug));
    const [role] = await registry.query<{ stored: string }>('SELECT rolpassword AS stored FROM pg_authid WHERE rolname = $1', [decodeURIComponent(tenantUrl.username)]);
    const [, iterations, salt] = /^SCRAM-SHA-256\$(\d+):([^$]+)\$/.exec(role?.stored ?? '') ?? [];
    expect(scramSha256Verifier(decodeURIComponent(tenantUrl.password), Buffer.from(salt ?? '', 'base64'), Number(iterations))).toBe(role?.stored);

    await waitFor(async () => events.messages.some((m) => JSON.parse(m.data.toString()).slug === slug), {
      timeoutMs: 15_000,
      description: 'tenant.provisioned.v1 through the outbox relay',
    });
    await events.close();
  });

  it('keeps tenants apart: neither role can connect to the other database', async () => {
    const a = await createTenant('iso-a');
    const b = await createTenant('iso-b');
    expect([a.response.status, b.response.status]).toEqual([201, 201]);
    const urlA = new URL(await registry.tenantUrl(a.slug));
    const urlB = new URL(await registry.tenantUrl(b.slug));

    expect(await tryConnect(urlA.toString())).toBe('connected');
    const crossed = new URL(urlA);
    crossed.pathname = urlB.pathname;
    expect(await tryConnect(crossed.toString())).toMatch(/permission denied for database/);
    const crossedBack = new URL(urlB);
    crossedBack.pathname = urlA.pathname;
    expect(await tryConnect(crossedBack.toString())).toMatch(/permission denied for database/);
  });

  it('refuses duplicates, bad input and missing credentials with problem+json', async () => {
    const { slug } = await createTenant('dupe');
    const again = await registry.call('POST', '/v1/tenants', { slug, name: 'Again' });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'tenant.slug_taken', status: 409 });

    const bad = await registry.call('POST', '/v1/tenants', { slug: 'No_Caps!', name: '', extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['body.extra', 'body.name', 'body.slug']);

    expect((await registry.call('GET', '/v1/tenants', undefined, null)).body).toMatchObject({ status: 401, code: 'auth.missing_token' });
    expect((await registry.call('GET', '/v1/tenants', undefined, 'wrong-token')).body).toMatchObject({ status: 401, code: 'auth.invalid_token' });
    expect((await registry.call('GET', '/v1/tenants?limit=0&color=red')).status).toBe(400);
  });

  /** POST /v1/tenants with a raw body, as a client that does not send JSON (or sends broken JSON) would. */
  const postRaw = async (token: string | null, contentType: string, body: string) => {
    const response = await fetch(`${registry.baseUrl}/v1/tenants`, {
      method: 'POST',
      headers: { 'content-type': contentType, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body,
    });
    return { status: response.status, contentType: response.headers.get('content-type'), body: (await response.json()) as Record<string, unknown> };
  };

  it('checks the operator token before the body: a malformed JSON body is 401 without the token, 400 with it', async () => {
    const post = (token: string | null) => postRaw(token, 'application/json', '{bad');

    expect(await post(null)).toMatchObject({ status: 401, body: { code: 'auth.missing_token' } });
    expect(await post('wrong-token')).toMatchObject({ status: 401, body: { code: 'auth.invalid_token' } });
    const authenticated = await post(OPERATOR_TOKEN);
    expect(authenticated.status).toBe(400);
    expect(authenticated.contentType).toMatch(/^application\/problem\+json/);
    expect(authenticated.body).toEqual({
      type: 'urn:pulse:problem:bad_request',
      title: 'Bad Request',
      status: 400,
      detail: "Body is not valid JSON but content-type is set to 'application/json'",
      code: 'bad_request',
      instance: '/v1/tenants',
    });
  });

  it('checks the operator token before the media type: a form body is 401 without the token, 415 with it, and nothing is created', async () => {
    const post = (token: string | null, contentType: string) => postRaw(token, contentType, 'slug=form-tenant&name=Form');

    for (const contentType of ['application/x-www-form-urlencoded', 'text/plain', 'nonsense']) {
      expect(await post(null, contentType)).toMatchObject({ status: 401, body: { code: 'auth.missing_token' } });
      const authenticated = await post(OPERATOR_TOKEN, contentType);
      expect(authenticated).toMatchObject({
        status: 415,
        contentType: expect.stringMatching(/^application\/problem\+json/),
        body: { code: 'unsupported_media_type', instance: '/v1/tenants', detail: `Send the body as application/json, not ${contentType}.` },
      });
    }
    expect((await registry.call('GET', '/v1/tenants/form-tenant')).status).toBe(404);
  });

  it('refuses a request with two Authorization headers with 400 instead of using the first, as the api does', async () => {
    for (const tokens of [
      [OPERATOR_TOKEN, OPERATOR_TOKEN],
      [OPERATOR_TOKEN, 'wrong-token'],
      ['wrong-token', OPERATOR_TOKEN],
    ]) {
      const response = await getWithHeaders(`${registry.baseUrl}/v1/tenants`, { authorization: tokens.map((token) => `Bearer ${token}`) });
      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.headers['www-authenticate']).toBe('Bearer error="invalid_request"');
      expect(response.headers['x-correlation-id']).toBeTruthy();
      expect(JSON.parse(response.body)).toMatchObject({ status: 400, code: 'auth.multiple_authorization_headers', detail: 'Send one Authorization header, not several.' });
    }
    expect((await getWithHeaders(`${registry.baseUrl}/v1/tenants`, { authorization: [`Bearer ${OPERATOR_TOKEN}`] })).status).toBe(200);
  });

  it('provisioning again is a no-op', async () => {
    const { slug } = await createTenant('twice');
    const [before] = await registry.query<{ n: number }>('SELECT count(*)::int AS n FROM lifecycle_events e JOIN tenants t ON t.id = e.tenant_id WHERE t.slug = $1', [slug]);

    const again = await registry.call('POST', `/v1/tenants/${slug}/provision`);
    expect(again.status).toBe(200);
    expect(again.body.status).toBe('onboarding');
    const [after] = await registry.query<{ n: number }>('SELECT count(*)::int AS n FROM lifecycle_events e JOIN tenants t ON t.id = e.tenant_id WHERE t.slug = $1', [slug]);
    expect(after?.n).toBe(before?.n);
  });

  it.each(['role', 'database', 'schema'] as const)('finishes a provisioning interrupted after the %s step when run again', async (step) => {
    registry.hooks.afterStep = async (reached) => {
      if (reached === step) throw new Error(`crash after ${step}`);
    };
    const { slug, response } = await createTenant(`crash-${step}`);
    registry.hooks.afterStep = async () => undefined;

    expect(response.status).toBe(503);
    expect(response.body.code).toBe('tenant.provisioning_failed');
    expect(response.body.detail).toContain(`issue its first with POST /v1/tenants/${slug}/api-keys`);
    const failed = await registry.call('GET', `/v1/tenants/${slug}`);
    expect(failed.body).toMatchObject({ status: 'provisioning_failed', provisioningError: `crash after ${step}` });

    const resumed = await registry.call('POST', `/v1/tenants/${slug}/provision`);
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ status: 'onboarding', provisioningError: null, database: { schemaVersion: expect.any(String) } });
    expect(await tryConnect(await registry.tenantUrl(slug))).toBe('connected');
  });

  it('keeps the database of a tenant that another provisioning run finished while this one was still running', async () => {
    // An operator's retry (POST /provision) while the create request was still migrating: the retry
    // finishes first. Before, the create's run then found the tenant no longer provisioning, took it for
    // offboarded and dropped the live database and role.
    let retry: { status: number; body: Record<string, unknown> } | undefined;
    registry.hooks.afterStep = async (reached, slug) => {
      if (reached !== 'schema' || retry) return;
      retry = { status: 0, body: {} };
      retry = await registry.call('POST', `/v1/tenants/${slug}/provision`);
    };
    const { slug, response } = await createTenant('retried');
    registry.hooks.afterStep = async () => undefined;

    expect(retry).toMatchObject({ status: 200, body: { status: 'onboarding' } });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ tenant: { status: 'onboarding' }, apiKey: { key: expect.any(String) } });
    expect(await tryConnect(await registry.tenantUrl(slug))).toBe('connected');
    const history = await registry.query<{ to_status: string }>(
      'SELECT to_status FROM lifecycle_events e JOIN tenants t ON t.id = e.tenant_id WHERE t.slug = $1 ORDER BY e.id',
      [slug],
    );
    expect(history.map((h) => h.to_status)).toEqual(['provisioning', 'onboarding']);
  });

  it.each(['role', 'schema'] as const)('keeps a tenant offboarded during its provisioning (after the %s step) offboarded, its database and role gone', async (step) => {
    let offboarded: { status: number } | undefined;
    registry.hooks.afterStep = async (reached, slug) => {
      if (reached === step) offboarded = await registry.call('DELETE', `/v1/tenants/${slug}`);
    };
    const { slug, response } = await createTenant(`offboarded-${step}`);
    registry.hooks.afterStep = async () => undefined;

    expect(offboarded?.status).toBe(200);
    expect(response.status).toBe(409);
    expect(response.body.code).toBe('tenant.invalid_transition');
    // Before: provisioning wrote onboarding (or provisioning_failed) over offboarded, and a database made
    // after the offboarding's drop stayed behind, never dropped.
    const tenant = await registry.call('GET', `/v1/tenants/${slug}`);
    expect(tenant.body).toMatchObject({ status: 'offboarded' });
    const name = `tenant_${slug.replace(/-/g, '_')}`;
    expect(await registry.query('SELECT datname FROM pg_database WHERE datname = $1', [name])).toEqual([]);
    expect(await registry.query('SELECT rolname FROM pg_roles WHERE rolname = $1', [name])).toEqual([]);
    expect((await registry.call('POST', `/v1/tenants/${slug}/provision`)).status).toBe(409);
  });

  it('walks the lifecycle and refuses transitions that make no sense', async () => {
    const { slug } = await createTenant('life');
    expect((await registry.call('POST', `/v1/tenants/${slug}/reactivate`)).body).toMatchObject({ status: 409, code: 'tenant.invalid_transition' });
    expect((await registry.call('POST', `/v1/tenants/${slug}/activate`)).body.status).toBe('active');
    expect((await registry.call('POST', `/v1/tenants/${slug}/suspend`, { reason: 'unpaid' })).body.status).toBe('suspended');
    expect((await registry.call('POST', `/v1/tenants/${slug}/reactivate`)).body.status).toBe('active');
    const history = await registry.query<{ to_status: string }>(
      'SELECT to_status FROM lifecycle_events e JOIN tenants t ON t.id = e.tenant_id WHERE t.slug = $1 ORDER BY e.id',
      [slug],
    );
    expect(history.map((h) => h.to_status)).toEqual(['provisioning', 'onboarding', 'active', 'suspended', 'active']);
  });

  it('resolves keys and hosts, refuses suspended tenants, and stops a revoked key as soon as the event arrives', async () => {
    const { slug, response } = await createTenant('keys', { hostnames: [`${uniqueSlug('cs')}.example.org`] });
    const key: string = response.body.apiKey.key;
    const customHost: string = response.body.tenant.hostnames[1];
    const resolver = new TenantResolver(resolverPool, { baseDomain: 'pulse.test', cacheTtlMs: 60_000 });

    expect(await resolver.resolveApiKey(key)).toMatchObject({ slug, scopes: ['read', 'write'] });
    expect(await resolver.resolveHost(`${slug}.pulse.test:443`)).toMatchObject({ slug });
    expect(await resolver.resolveHost(customHost.toUpperCase())).toMatchObject({ slug });
    expect(await resolver.resolveHost('unknown.example.org')).toBeUndefined();
    const tampered = `${key.slice(0, -1)}${key.endsWith('x') ? 'y' : 'x'}`;
    await expect(resolver.resolveApiKey(tampered)).rejects.toMatchObject({ code: 'auth.invalid_api_key' });

    // Services drop cached resolutions when tenant.updated.v1 says a tenant changed.
    const updates = await listen(registry.pubsub, 'tenant.updated.v1');
    let invalidations = 0;
    // Events of other tests' tenants may still be in flight: count only this tenant's.
    const onUpdate = (tenantId: string) => {
      resolver.invalidateTenant(tenantId);
      if (tenantId === response.body.tenant.id) invalidations += 1;
    };
    const poll = setInterval(() => {
      while (updates.messages.length > 0) onUpdate(updates.messages.shift()?.attributes['tenantId'] ?? '');
    }, 20);
    try {
      await registry.call('POST', `/v1/tenants/${slug}/suspend`);
      await waitFor(async () => invalidations >= 1, { timeoutMs: 15_000, description: 'the suspension event' });
      await expect(resolver.resolveApiKey(key)).rejects.toMatchObject({ code: 'tenant.suspended', kind: 'forbidden' });
      await expect(resolver.resolveHost(customHost)).rejects.toMatchObject({ code: 'tenant.suspended' });
      await registry.call('POST', `/v1/tenants/${slug}/reactivate`);
      await waitFor(async () => invalidations >= 2, { timeoutMs: 15_000, description: 'the reactivation event' });
      expect(await resolver.resolveApiKey(key)).toMatchObject({ slug });

      const [keyRow] = (await registry.call('GET', `/v1/tenants/${slug}/api-keys`)).body.items;
      const revoked = await registry.call('DELETE', `/v1/tenants/${slug}/api-keys/${keyRow.id}`);
      expect(revoked.body.revokedAt).not.toBeNull();
      // Without a cache the control plane answers at once; the cached resolver as soon as the event lands.
      await expect(new TenantResolver(resolverPool, { baseDomain: 'pulse.test', cacheTtlMs: 0 }).resolveApiKey(key)).rejects.toMatchObject({
        code: 'auth.invalid_api_key',
      });
      await waitFor(async () => invalidations >= 3, { timeoutMs: 15_000, description: 'the revocation event' });
      await expect(resolver.resolveApiKey(key)).rejects.toMatchObject({ code: 'auth.invalid_api_key' });
    } finally {
      clearInterval(poll);
      await updates.close();
    }
  });

  it('exports every row of every table, and offboarding exports, drops the database and role, and keeps a tombstone', async () => {
    const { slug, response } = await createTenant('export');
    const tenantDb = new Pool({ connectionString: await registry.tenantUrl(slug), max: 1 });
    const tricky = { note: 'quote " backslash \\ newline \n tab \t unicode São Paulo ✓' };
    await tenantDb.query(
      `INSERT INTO customers (external_id, name, custom) SELECT 'c' || i, 'Customer ' || i, $1::jsonb FROM generate_series(1, 250) AS i`,
      [JSON.stringify(tricky)],
    );
    await tenantDb.end();

    const download = await registry.call('GET', `/v1/tenants/${slug}/export`);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/zip');
    const files = await unzip(download.body as Buffer);
    const customers = files['customers.ndjson']?.trim().split('\n').map((line) => JSON.parse(line)) ?? [];
    expect(customers).toHaveLength(250);
    expect(customers.map((c) => c.external_id).sort()).toEqual(Array.from({ length: 250 }, (_, i) => `c${i + 1}`).sort());
    expect(customers[0].custom).toEqual(tricky);
    expect(JSON.parse(files['manifest.json'] ?? '{}').rowCounts).toMatchObject({ customers: 250, orders: 0 });

    const offboarded = await registry.call('DELETE', `/v1/tenants/${slug}`);
    expect(offboarded.body).toMatchObject({ status: 'offboarded', database: null, exportUri: expect.stringMatching(/^file:\/\/.*\.zip$/), erasedAt: expect.any(String) });
    const [dbLeft] = await registry.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_database WHERE datname = $1', [`tenant_${slug.replace(/-/g, '_')}`]);
    expect(dbLeft?.n).toBe(0);
    const [roleLeft] = await registry.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_roles WHERE rolname = $1', [`tenant_${slug.replace(/-/g, '_')}`]);
    expect(roleLeft?.n).toBe(0);
    const resolver = new TenantResolver(resolverPool, { baseDomain: 'pulse.test', cacheTtlMs: 0 });
    await expect(resolver.resolveApiKey(response.body.apiKey.key)).rejects.toMatchObject({ code: 'auth.invalid_api_key' });
    await expect(resolver.resolveHost(`${slug}.pulse.test`)).rejects.toMatchObject({ code: 'tenant.offboarded' });
    expect((await registry.call('DELETE', `/v1/tenants/${slug}`)).status).toBe(200); // again: harmless
  });

  it('suspends a live tenant before exporting it (its keys stop), and of two offboardings at once records one', async () => {
    const { slug } = await createTenant('offboard-twice');
    const statusChanges = await listen(registry.pubsub, 'tenant.updated.v1');
    try {
    const [first, second] = await Promise.all([registry.call('DELETE', `/v1/tenants/${slug}`), registry.call('DELETE', `/v1/tenants/${slug}`)]);
    // The slower one may find the database or role being dropped by the other at that moment: a 503
    // offboarding_incomplete, which asks to call again (and that finishes the erasure).
    for (const answer of [first, second]) {
      if (answer.status !== 200) expect(answer.body).toMatchObject({ status: 503, code: 'tenant.offboarding_incomplete' });
    }
    expect([first.status, second.status]).toContain(200);
    expect((await registry.call('DELETE', `/v1/tenants/${slug}`)).body).toMatchObject({ status: 'offboarded', erasedAt: expect.any(String) });

    const history = await registry.query<{ from_status: string; to_status: string }>(
      'SELECT from_status, to_status FROM lifecycle_events e JOIN tenants t ON t.id = e.tenant_id WHERE t.slug = $1 ORDER BY e.id',
      [slug],
    );
    // Before: onboarding -> offboarded, the keys working while the export ran; twice, from two DELETEs.
    expect(history.map((h) => h.to_status)).toEqual(['provisioning', 'onboarding', 'suspended', 'offboarded']);
    const announced = await registry.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM outbox o JOIN tenants t ON t.id::text = o.tenant_id WHERE t.slug = $1 AND o.topic = 'tenant.offboarded.v1'",
      [slug],
    );
    expect(announced).toEqual([{ n: 1 }]);
    await waitFor(async () => statusChanges.messages.some((m) => JSON.parse(m.data.toString()).slug === slug && JSON.parse(m.data.toString()).status === 'suspended'), {
      timeoutMs: 15_000,
      description: 'tenant.updated.v1 announcing the suspension',
    });
    } finally {
      await statusChanges.close();
    }
  });

  it('waits, the tenant suspended, for its work in progress before exporting, and answers 503 if it goes on too long', async () => {
    const { slug } = await createTenant('offboard-busy');
    // An import at work, as ingestion holds it: a session advisory lock in the tenant's database.
    const worker = new Pool({ connectionString: await registry.tenantUrl(slug), max: 1 });
    const held = await worker.connect();
    await held.query(`SELECT pg_advisory_lock(hashtextextended('pulse.import:busy', 0))`);

    const refused = await registry.call('DELETE', `/v1/tenants/${slug}`);
    // Before: exported at once, while the import could still commit rows the export would not hold.
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ code: 'tenant.offboarding_waiting', detail: expect.stringContaining('still at work after 3 s') });
    expect((await registry.call('GET', `/v1/tenants/${slug}`)).body).toMatchObject({ status: 'suspended', exportUri: null });

    const offboarding = registry.call('DELETE', `/v1/tenants/${slug}`);
    // The work ends a second into the offboarding's wait (timed from the wait, not from the request, so a
    // slow start on a loaded machine does not use up the 3 s).
    await waitFor(
      async () => (await held.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'tenant-registry-offboarding'`)).rowCount === 1,
      { description: 'the offboarding to wait for the work in progress' },
    );
    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await held.query(`SELECT pg_advisory_unlock_all()`);
    held.release();
    await worker.end();
    const offboarded = await offboarding;
    expect(offboarded.status).toBe(200);
    expect(offboarded.body).toMatchObject({ status: 'offboarded', exportUri: expect.stringMatching(/\.zip$/) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
  });

  it('migrate:tenants migrates every live tenant database and records its schema version', async () => {
    const { slug } = await createTenant('mig');
    await registry.query("UPDATE tenant_databases SET schema_version = NULL WHERE tenant_id = (SELECT id FROM tenants WHERE slug = $1)", [slug]);

    const run = startProcess(process.execPath, [path.resolve(__dirname, '../../../../dist/apps/tenant-registry/migrate-tenants.js')], {
      env: { DATABASE_URL: registry.controlPlane.url, PULSE_SECRETS_KEY: registry.secretsKey, TENANT_MIGRATION_CONCURRENCY: '2' },
    });
    const exit = await run.exited;

    expect(exit.code).toBe(0);
    expect(run.lines).toContainEqual(`ok      ${slug}: up to date (schema ${currentTenantSchemaVersion()})`);
    expect(run.lines.at(-1)).toMatch(/^\d+ tenant databases, \d+ migrated or up to date, 0 failed$/);
    const [row] = await registry.query<{ schema_version: string }>(
      'SELECT schema_version FROM tenant_databases WHERE tenant_id = (SELECT id FROM tenants WHERE slug = $1)',
      [slug],
    );
    expect(row?.schema_version).toBe(currentTenantSchemaVersion());
  });

  it('pages through tenants by slug', async () => {
    const first = await registry.call('GET', '/v1/tenants?limit=2');
    expect(first.body.items).toHaveLength(2);
    const second = await registry.call('GET', `/v1/tenants?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items[0].slug > first.body.items[1].slug).toBe(true);
  });

  it('documents every route in its OpenAPI document', async () => {
    const document = (await registry.call('GET', '/openapi.json', undefined, null)).body;
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths).sort()).toEqual([
      '/healthz',
      '/openapi.json',
      '/readyz',
      '/v1/tenants',
      '/v1/tenants/{slug}',
      '/v1/tenants/{slug}/activate',
      '/v1/tenants/{slug}/api-keys',
      '/v1/tenants/{slug}/api-keys/{keyId}',
      '/v1/tenants/{slug}/export',
      '/v1/tenants/{slug}/provision',
      '/v1/tenants/{slug}/reactivate',
      '/v1/tenants/{slug}/suspend',
    ]);
    const undocumented = discoverRoutes(registry.app.get(DiscoveryService, { strict: false }), registry.app.get(MetadataScanner, { strict: false }))
      .filter((route) => !route.doc)
      .map((route) => `${route.method} ${route.path}`);
    expect(undocumented).toEqual([]);
    expect(document.paths['/v1/tenants'].post.requestBody.content['application/json'].schema.required).toEqual(['slug', 'name']);
  });
});

