import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { discoverRoutes, POSTGRES_POOL, type ApiRouteDoc } from '@pulse/service-runtime';
import { randomBytes } from 'node:crypto';
import { get as httpGet } from 'node:http';
import { connect } from 'node:net';
import type { Pool } from 'pg';
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

  it('refuses a request with two Host headers with 400 invalid_host (RFC 9112), whichever comes first', async () => {
    for (const hosts of [
      ['api.pulse.test', `${acme.slug}.pulse.test`],
      [`${acme.slug}.pulse.test`, 'api.pulse.test'],
      [`${globex.slug}.pulse.test`, `${globex.slug}.pulse.test`],
    ]) {
      const response = await rawGet(api.baseUrl, '/v1/customers/shared-id', [...hosts.map((host) => `Host: ${host}`), `Authorization: Bearer ${globex.apiKey}`]);
      expect([hosts, response.status, response.headers['content-type'], problemCode(response.body)]).toEqual([hosts, 400, expect.stringMatching(/^application\/problem\+json/), 'invalid_host']);
    }
  });

  it('answers a host that is not a valid host[:port] with 400 invalid_host wherever the request names it, never as the bare API host', async () => {
    const other = `${acme.slug}.pulse.test`;
    const key = `Bearer ${globex.apiKey}`;
    const spellings = [`${other}:abc`, `${other}..`, `${other} :3300`, `${other}:65536`, `${other}%2e`, `user@${other}`, `${other}\\`, '[::1', '[fe80::1%25eth0]:3000'];
    const seen: unknown[] = [];
    for (const spelling of spellings) {
      const inHost = await rawGet(api.baseUrl, '/v1/customers/shared-id', [`Host: ${spelling}`, `Authorization: ${key}`]);
      const forwarded = await api.get('/v1/customers/shared-id', { key: globex.apiKey, host: `api.pulse.test, ${spelling}` });
      const standard = await api.get('/v1/customers/shared-id', { key: globex.apiKey, headers: { forwarded: `for=192.0.2.1;host="${spelling}"` } });
      seen.push([spelling, inHost.status, problemCode(inHost.body), forwarded.status, forwarded.body.code, standard.status, standard.body.code]);
    }
    expect(seen).toEqual(spellings.map((spelling) => [spelling, 400, 'invalid_host', 400, 'invalid_host', 400, 'invalid_host']));
    // In an absolute-form request target too (the request line cannot hold a space). Fastify does not route
    // a port that is not a number, nor an empty host; Node refuses a backslash; a userinfo that is not
    // RFC 3986's is refused, as parsers disagree on where it ends.
    const targets = [
      `http://${other}:abc/v1/customers/shared-id`,
      `http://${other}../v1/customers/shared-id`,
      `http://${other}%zz@api.pulse.test/v1/customers/shared-id`,
      'http:///v1/customers/shared-id',
      `http://${other}\\@api.pulse.test/v1/customers/shared-id`,
    ];
    const answers: unknown[] = [];
    for (const target of targets) {
      const response = await rawGet(api.baseUrl, target, ['Host: api.pulse.test', `Authorization: ${key}`]);
      answers.push([target, response.status, problemCode(response.body)]);
    }
    expect(answers).toEqual([
      [targets[0], 404, 'route_not_found'],
      [targets[1], 400, 'invalid_host'],
      [targets[2], 400, 'invalid_host'],
      [targets[3], 404, 'route_not_found'],
      [targets[4], 400, 'malformed_request'],
    ]);
    const detail = await api.get('/v1/customers/shared-id', { key: globex.apiKey, host: `${other}:abc` });
    expect(detail.body.detail).toBe(`X-Forwarded-Host "${other}:abc" is not a valid host[:port] (RFC 9110, 7.2).`);
  });

  it("refuses another tenant's host written with an empty port (RFC 3986: the scheme's default), in Host or in the request target", async () => {
    const other = `${acme.slug}.pulse.test:`;
    const inHost = await rawGet(api.baseUrl, '/v1/customers/shared-id', [`Host: ${other}`, `Authorization: Bearer ${globex.apiKey}`]);
    expect([inHost.status, problemCode(inHost.body)]).toEqual([403, 'auth.host_mismatch']);
    const inTarget = await rawGet(api.baseUrl, `http://${other}/v1/customers/shared-id`, ['Host: api.pulse.test', `Authorization: Bearer ${globex.apiKey}`]);
    expect([inTarget.status, problemCode(inTarget.body)]).toEqual([403, 'auth.host_mismatch']);
    expect((await rawGet(api.baseUrl, '/v1/customers/shared-id', [`Host: ${other}`, `Authorization: Bearer ${acme.apiKey}`])).status).toBe(200);
  });

  it('keeps the spellings a host may have: any letter case, one trailing dot, a port, an IPv4 or IPv6 address', async () => {
    const upper = `${acme.slug.toUpperCase()}.PULSE.TEST.:3300`;
    expect((await rawGet(api.baseUrl, '/v1/customers/shared-id', [`Host: ${upper}`, `Authorization: Bearer ${acme.apiKey}`])).status).toBe(200);
    expect((await rawGet(api.baseUrl, '/v1/customers/shared-id', [`Host: ${upper}`, `Authorization: Bearer ${globex.apiKey}`])).status).toBe(403);
    for (const host of ['[::1]:3000', '[::1]', '127.0.0.1:3000', 'API.pulse.test.']) {
      expect([host, (await rawGet(api.baseUrl, '/v1/customers/shared-id', [`Host: ${host}`, `Authorization: Bearer ${globex.apiKey}`])).status]).toEqual([host, 200]);
    }
  });

  it('refuses more than 5 hosts in X-Forwarded-Host or in Forwarded with 400 naming the header', async () => {
    const names = (count: number) => Array.from({ length: count }, (_, i) => `n${i}-${randomBytes(4).toString('hex')}.example.org`);
    const six = await api.get('/v1/customers/shared-id', { key: globex.apiKey, host: names(6).join(', ') });
    expect([six.status, six.body.code, six.body.detail]).toEqual([400, 'invalid_host', 'X-Forwarded-Host names 6 hosts; at most 5 are taken.']);
    const forwarded = await api.get('/v1/customers/shared-id', { key: globex.apiKey, headers: { forwarded: names(6).map((name) => `for=192.0.2.1;host=${name}`).join(', ') } });
    expect([forwarded.status, forwarded.body.code, forwarded.body.detail]).toEqual([400, 'invalid_host', 'Forwarded names 6 hosts; at most 5 are taken.']);
    expect((await api.get('/v1/customers/shared-id', { key: globex.apiKey, host: names(5).join(', ') })).status).toBe(200);
  });

  it('looks the hosts of a request up in one control-plane query, and an unknown or revoked key once per TTL', async () => {
    const lookups = countControlPlaneLookups(api);
    try {
      // Hosts no tenant has (the bare API host, as far as the key is concerned): each would have been a query.
      const unknownHosts = Array.from({ length: 5 }, (_, i) => `u${i}-${randomBytes(4).toString('hex')}.example.org`);
      expect((await api.get('/v1/customers/shared-id', { key: globex.apiKey, host: unknownHosts.join(', ') })).status).toBe(200);
      expect(lookups.of(/tenant_hostnames|FROM tenants/)).toBe(1);

      const unknownKey = `pulse_${randomBytes(6).toString('hex')}_${'b'.repeat(32)}`;
      const revoked = await api.seedTenant('revoked-key');
      await api.controlPlaneSql('UPDATE api_keys SET revoked_at = now() WHERE tenant_id = $1', [revoked.tenantId]);
      for (let i = 0; i < 10; i++) {
        expect((await api.get('/v1/customers/shared-id', { key: unknownKey })).status).toBe(401);
        expect((await api.get('/v1/customers/shared-id', { key: revoked.apiKey })).status).toBe(401);
      }
      expect(lookups.of(/FROM api_keys/)).toBe(2);
    } finally {
      lookups.stop();
    }
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

/** A GET written byte for byte (node:http and fetch would refuse or fix some of these requests): status, headers and body. */
function rawGet(baseUrl: string, target: string, headerLines: string[]): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      // write, not end: a half-closed socket would have the server drop a request still being served.
      socket.write([`GET ${target} HTTP/1.1`, ...headerLines, 'Connection: close', '', ''].join('\r\n'));
    });
    let raw = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (raw += chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const [head = '', ...rest] = raw.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
  });
}

/** The `code` of a problem+json body read by rawGet (chunked or not). */
function problemCode(body: string): unknown {
  const json = /\{.*\}/s.exec(body)?.[0];
  return json ? (JSON.parse(json) as { code?: unknown }).code : undefined;
}

/** Counts the queries the api's control-plane pool runs from now on, by their SQL. */
function countControlPlaneLookups(api: ApiUnderTest): { of(sql: RegExp): number; stop(): void } {
  const pool = api.app.get<Pool>(POSTGRES_POOL, { strict: false });
  const original = pool.query;
  const texts: string[] = [];
  pool.query = function (this: Pool, ...args: unknown[]) {
    const [config] = args;
    texts.push(typeof config === 'string' ? config : String((config as { text?: string } | undefined)?.text ?? ''));
    return (original as (...inner: unknown[]) => unknown).apply(this, args);
  } as Pool['query'];
  return { of: (sql) => texts.filter((text) => sql.test(text)).length, stop: () => void (pool.query = original) };
}
