import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { discoverRoutes, type ApiRouteDoc } from '@pulse/service-runtime';
import { get as httpGet } from 'node:http';
import { getWithHeaders } from '@pulse/testing';
import { ApiUnderTest, uniqueSlug, type SeededTenant } from '../api.int-kit';

describe('tenant authentication and isolation (real PostgreSQL)', () => {
  let api: ApiUnderTest;
  let acme: SeededTenant;
  let globex: SeededTenant;

  beforeAll(async () => {
    api = await ApiUnderTest.start();
    acme = await api.seedTenant('acme', { hostnames: ['cs.acme-example.com'] });
    globex = await api.seedTenant('globex');
    await api.tenantSql(acme, `INSERT INTO customers (external_id, name, custom) VALUES ('shared-id', 'Acme customer', '{"tier":"gold"}')`);
    await api.tenantSql(globex, `INSERT INTO customers (external_id, name) VALUES ('shared-id', 'Globex customer'), ('globex-only', 'Only Globex')`);
  });

  afterAll(async () => {
    await api?.stop();
  });

  it("answers with the key's own tenant's row", async () => {
    const response = await api.get('/v1/customers/shared-id', { key: acme.apiKey });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ externalId: 'shared-id', name: 'Acme customer', custom: { tier: 'gold' }, kpis: null, health: null });
    expect((await api.get('/v1/customers/shared-id', { key: globex.apiKey })).body).toMatchObject({ name: 'Globex customer' });
  });

  it("never shows tenant B's rows to tenant A, even for guessed ids", async () => {
    const response = await api.get('/v1/customers/globex-only', { key: acme.apiKey });
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ code: 'customer.not_found', status: 404 });
  });

  it('answers 400 naming a query parameter on a route that takes none, once the key is known', async () => {
    for (const route of ['/v1/customers/shared-id', '/v1/scorecard', '/v1/health/distribution']) {
      const response = await api.get(`${route}?colour=red&limit=5`, { key: acme.apiKey });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(response.body).toMatchObject({ code: 'validation_failed' });
      expect((response.body.errors as Array<{ field: string }>).map((error) => error.field)).toEqual(['query.colour', 'query.limit']);
    }
    expect((await api.get('/v1/scorecard?colour=red')).status).toBe(401);
  });

  it('answers 400 naming a query parameter that is an Object.prototype name, on every route', async () => {
    const routes = ['/v1/customers?', '/v1/customers/shared-id?', '/v1/products?', '/v1/imports?', '/v1/sources?', '/v1/metrics/revenue?grain=month&', '/v1/scorecard?', '/v1/health/distribution?'];
    for (const route of routes) {
      for (const name of ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty']) {
        const response = await api.get(`${route}${name}=1`, { key: acme.apiKey });
        const fields = ((response.body.errors ?? []) as Array<{ field: string }>).map((error) => error.field);
        expect([route, name, response.status, response.body.code, fields]).toEqual([route, name, 400, 'validation_failed', [`query.${name}`]]);
      }
    }
  });

  it('answers 400 naming a path parameter or body field holding a NUL character, which PostgreSQL cannot store', async () => {
    for (const [route, field] of [
      ['/v1/customers/%00', 'path.externalId'],
      ['/v1/products/a%00b', 'path.sku'],
    ]) {
      const response = await api.get(route as string, { key: acme.apiKey });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ code: 'validation_failed', errors: [expect.objectContaining({ field, code: 'nul_character' })] });
    }
    const body = await api.request('POST', '/v1/metrics/refresh', { key: acme.apiKey, body: { asOf: '2026-01-01\u0000' } });
    expect(body.status).toBe(400);
    expect(body.body['errors']).toEqual([expect.objectContaining({ field: 'body.asOf', code: 'nul_character' })]);
  });

  it('refuses a missing, malformed, unknown or tampered key with 401 problem+json and a Bearer challenge', async () => {
    const tampered = `${acme.apiKey.slice(0, -1)}${acme.apiKey.endsWith('a') ? 'b' : 'a'}`;
    for (const key of [undefined, 'not-a-key', `pulse_${'A'.repeat(12)}_${'b'.repeat(32)}`, tampered]) {
      const response = await api.get('/v1/customers/shared-id', { key });
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(response.body.code).toBe(key ? 'auth.invalid_api_key' : 'auth.missing_api_key');
      // RFC 9110 15.5.2 / RFC 6750 3.1: a 401 says how to authenticate, and why a token sent failed.
      expect(response.headers.get('www-authenticate')).toBe(key ? 'Bearer error="invalid_token"' : 'Bearer');
    }
    // Credentials of another scheme are no Bearer token: the plain challenge.
    const basic = await api.get('/v1/customers/shared-id', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect([basic.status, basic.body.code, basic.headers.get('www-authenticate')]).toEqual([401, 'auth.missing_api_key', 'Bearer']);
  });

  it('refuses a request with two Authorization headers with 400 instead of using the first', async () => {
    const invalid = `pulse_${'A'.repeat(12)}_${'b'.repeat(32)}`;
    for (const keys of [
      [acme.apiKey, globex.apiKey],
      [invalid, acme.apiKey],
      [acme.apiKey, acme.apiKey],
    ]) {
      const response = await getWithHeaders(`${api.baseUrl}/v1/customers/shared-id`, { authorization: keys.map((key) => `Bearer ${key}`) });
      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.headers['www-authenticate']).toBe('Bearer error="invalid_request"');
      expect(response.headers['x-correlation-id']).toBeTruthy();
      expect(JSON.parse(response.body)).toMatchObject({ status: 400, code: 'auth.multiple_authorization_headers' });
    }
    expect((await getWithHeaders(`${api.baseUrl}/v1/customers/shared-id`, { authorization: [`Bearer ${acme.apiKey}`] })).status).toBe(200);
  });

  it("refuses a key used on another tenant's host, but accepts it on its own", async () => {
    const otherHost = await api.get('/v1/customers/shared-id', { key: globex.apiKey, host: `${acme.slug}.pulse.test` });
    expect(otherHost.status).toBe(403);
    expect(otherHost.body.code).toBe('auth.host_mismatch');
    expect((await api.get('/v1/customers/shared-id', { key: globex.apiKey, host: 'cs.acme-example.com' })).status).toBe(403);

    expect((await api.get('/v1/customers/shared-id', { key: acme.apiKey, host: `${acme.slug}.pulse.test` })).status).toBe(200);
    expect((await api.get('/v1/customers/shared-id', { key: acme.apiKey, host: 'CS.ACME-EXAMPLE.COM.' })).status).toBe(200);
    // Every host the request claims is checked: another tenant's Host header is not hidden by a forwarded one.
    // (node:http, since fetch sends its own Host header)
    const hidden = await getWithHostHeader(`${api.baseUrl}/v1/customers/shared-id`, `${acme.slug}.pulse.test`, { authorization: `Bearer ${globex.apiKey}`, 'x-forwarded-host': 'api.pulse.test' });
    expect(hidden.status).toBe(403);
    expect(JSON.parse(hidden.body)).toMatchObject({ code: 'auth.host_mismatch' });
    expect((await api.get('/v1/customers/shared-id', { key: globex.apiKey, headers: { 'x-forwarded-host': `api.pulse.test, ${acme.slug}.pulse.test` } })).status).toBe(403);
    // The standard Forwarded header too (RFC 7239), in any element, quoted or not.
    for (const forwarded of [`for=192.0.2.1;host=${acme.slug}.pulse.test;proto=https`, `host=api.pulse.test, for=192.0.2.1; HOST="${acme.slug}.pulse.test:443"`]) {
      const response = await api.get('/v1/customers/shared-id', { key: globex.apiKey, headers: { forwarded } });
      expect([forwarded, response.status, response.body.code]).toEqual([forwarded, 403, 'auth.host_mismatch']);
    }
    expect((await api.get('/v1/customers/shared-id', { key: globex.apiKey, headers: { forwarded: `for=192.0.2.1;host=${globex.slug}.pulse.test` } })).status).toBe(200);
    // The bare API host names no tenant: the key alone decides.
    expect((await api.get('/v1/customers/shared-id', { key: globex.apiKey, host: 'api.pulse.test' })).status).toBe(200);
  });

  it("answers a key on the host of a slug no tenant has exactly as on another tenant's host, so slugs cannot be probed", async () => {
    const unclaimed = await api.get('/v1/customers/shared-id', { key: globex.apiKey, host: `${uniqueSlug('nobody')}.pulse.test` });
    const othersHost = await api.get('/v1/customers/shared-id', { key: globex.apiKey, host: `${acme.slug}.pulse.test` });
    expect([unclaimed.status, unclaimed.body.code]).toEqual([403, 'auth.host_mismatch']);
    expect([othersHost.status, othersHost.body.code]).toEqual([403, 'auth.host_mismatch']);
    // Reserved names under the base domain are the bare API host; a host outside it that no tenant registered names no tenant.
    for (const host of ['www.pulse.test', 'API.pulse.test:443', 'localhost', 'billing.example.org']) {
      expect([host, (await api.get('/v1/customers/shared-id', { key: globex.apiKey, host })).status]).toEqual([host, 200]);
    }
  });

  it("refuses a key on another tenant's host named by an absolute-form request target (RFC 9112: it overrides Host)", async () => {
    const headers = { host: 'api.pulse.test', authorization: `Bearer ${globex.apiKey}` };
    for (const target of [`http://${acme.slug}.pulse.test/v1/customers/shared-id`, `https://${acme.slug}.PULSE.test:443/v1/customers/shared-id`, 'http://user@cs.acme-example.com/v1/customers/shared-id']) {
      const response = await requestWithTarget(api.baseUrl, target, headers);
      expect([target, response.status]).toEqual([target, 403]);
      expect(JSON.parse(response.body)).toMatchObject({ code: 'auth.host_mismatch' });
    }
    // The key's own host, or a host that is no tenant's, in absolute form: the key decides.
    expect((await requestWithTarget(api.baseUrl, `http://${globex.slug}.pulse.test/v1/customers/shared-id`, headers)).status).toBe(200);
    expect((await requestWithTarget(api.baseUrl, 'http://api.pulse.test/v1/customers/shared-id', headers)).status).toBe(200);
  });

  it("states money in the tenant's currency (setting, default USD)", async () => {
    const brazilian = await api.seedTenant('brl', { settings: { currency: 'BRL' } });
    await api.tenantSql(brazilian, `INSERT INTO customers (external_id, name) VALUES ('c1', 'Cliente')`);
    expect((await api.get('/v1/customers/c1', { key: brazilian.apiKey })).body).toMatchObject({ currency: 'BRL' });
    expect((await api.get('/v1/customers/shared-id', { key: acme.apiKey })).body).toMatchObject({ currency: 'USD' });
  });

  it('refuses suspended tenants with 403', async () => {
    const suspended = await api.seedTenant('paused', { status: 'suspended' });
    const response = await api.get('/v1/customers/x', { key: suspended.apiKey });
    expect(response.status).toBe(403);
    expect(response.body.code).toBe('tenant.suspended');
  });

  it("tells a key used on another tenant's host only that the host is not its tenant's, never that tenant's status", async () => {
    const suspended = await api.seedTenant('asleep', { status: 'suspended', hostnames: [`${uniqueSlug('cs')}.asleep-example.com`] });
    const offboarded = await api.seedTenant('gone', { status: 'offboarded' });
    for (const host of [`${suspended.slug}.pulse.test`, `${offboarded.slug}.pulse.test`]) {
      const response = await api.get('/v1/customers/shared-id', { key: acme.apiKey, host });
      expect([host, response.status, response.body.code]).toEqual([host, 403, 'auth.host_mismatch']);
      expect(JSON.stringify(response.body)).not.toMatch(/suspended|offboarded/);
    }
  });

  it('leaves health and the OpenAPI document public, and documents every route', async () => {
    expect((await api.get('/healthz')).status).toBe(200);
    const document = await api.get('/openapi.json');
    expect(document.status).toBe(200);
    type Operation = { parameters: Array<{ name: string; in: string }>; responses: Record<string, { headers?: Record<string, unknown> }>; security?: unknown[] };
    const paths = document.body.paths as Record<string, Record<string, Operation>>;

    // Every route the app serves has its @ApiRoute and is in the document.
    const routes = discoverRoutes(api.app.get(DiscoveryService, { strict: false }), api.app.get(MetadataScanner, { strict: false }));
    expect(routes.filter((route) => !route.doc).map((route) => `${route.method} ${route.path}`)).toEqual([]);
    expect(routes.filter((route) => !paths[route.path]?.[route.method]).map((route) => `${route.method} ${route.path}`)).toEqual([]);
    expect(routes.length).toBeGreaterThan(20);

    // Every POST that honours Idempotency-Key says so; every authenticated answer lists its rate-limit headers.
    for (const route of routes) {
      const operation = paths[route.path]?.[route.method] as Operation;
      const idempotent = route.method === 'post' && ['/v1/metrics/refresh', '/v1/imports/{entity}', '/v1/sources', '/v1/sources/{id}/syncs'].includes(route.path);
      expect([route.path, operation.parameters.some((p) => p.in === 'header' && p.name === 'idempotency-key')]).toEqual([route.path, idempotent]);
      if ((route.doc as ApiRouteDoc).public) continue;
      const success = Object.entries(operation.responses).find(([status]) => status.startsWith('2'))?.[1];
      expect([route.path, Object.keys(success?.headers ?? {})]).toEqual([route.path, expect.arrayContaining(['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', ...(route.method === 'get' ? ['ETag'] : [])])]);
      expect(Object.keys(operation.responses['default']?.headers ?? {})).toContain('Retry-After');
    }
  });
});

describe('a dedicated api workload (PULSE_DEDICATED_TENANT)', () => {
  let api: ApiUnderTest;

  afterAll(async () => {
    await api?.stop();
  });

  it('serves its own tenant and refuses every other', async () => {
    const dedicatedSlug = uniqueSlug('big');
    api = await ApiUnderTest.start({ PULSE_DEDICATED_TENANT: dedicatedSlug });
    const dedicated = await api.seedTenant('big', { slug: dedicatedSlug });
    const other = await api.seedTenant('other');
    await api.tenantSql(dedicated, `INSERT INTO customers (external_id, name) VALUES ('c1', 'Big customer')`);

    expect((await api.get('/v1/customers/c1', { key: dedicated.apiKey })).body).toMatchObject({ name: 'Big customer' });
    const response = await api.get('/v1/customers/c1', { key: other.apiKey });
    expect(response.status).toBe(403);
    expect(response.body.code).toBe('auth.tenant_not_served_here');
  });
});

/** A GET with the Host header given (fetch always sends the URL's). */
function getWithHostHeader(url: string, host: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpGet(url, { headers: { ...headers, host } }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
  });
}

/** A GET whose request line carries `target` as given (e.g. absolute-form `http://host/path`), with these headers. */
function requestWithTarget(baseUrl: string, target: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const request = httpGet({ hostname, port, path: target, headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
  });
}
