import { getWithHeaders } from '@pulse/testing';
import { ApiUnderTest, type SeededTenant } from '../../api.int-kit';

type Operation = { responses: Record<string, { headers?: Record<string, { $ref?: string; required?: boolean }> }>; security?: unknown[] };

/** The tokens of a Vary header, lower case. */
const varyTokens = (value: string | null | undefined): string[] => (value ?? '').split(',').map((token) => token.trim().toLowerCase()).filter(Boolean);

// A shared cache or CDN in front of the api must never store one tenant's answer and serve it to another:
// every answer of an authenticated route is private and varies by Authorization; ETag revalidation still works.
describe('tenant answers are private to the key that asked (Cache-Control, Vary)', () => {
  let api: ApiUnderTest;
  let acme: SeededTenant;
  let globex: SeededTenant;

  beforeAll(async () => {
    api = await ApiUnderTest.start();
    acme = await api.seedTenant('acme');
    globex = await api.seedTenant('globex');
    await api.tenantSql(acme, `INSERT INTO customers (external_id, name) SELECT 'c' || n, 'Customer number ' || n || ' of a long enough page' FROM generate_series(1, 40) n`);
  });

  afterAll(async () => {
    await api?.stop();
  });

  it('marks every answer of an authenticated route private, to revalidate, and varying by Authorization: successes, 304 and refusals', async () => {
    const ok = await api.get('/v1/customers/c1', { key: acme.apiKey });
    const etag = ok.headers.get('etag') as string;
    expect(etag).toBeTruthy();
    const answers = {
      ok,
      notModified: await api.get('/v1/customers/c1', { key: acme.apiKey, headers: { 'if-none-match': etag } }),
      notFound: await api.get('/v1/customers/nobody', { key: acme.apiKey }),
      badQuery: await api.get('/v1/customers?colour=red', { key: acme.apiKey }),
      missingKey: await api.get('/v1/customers/c1'),
      unknownKey: await api.get('/v1/customers/c1', { key: `pulse_${'A'.repeat(12)}_${'b'.repeat(32)}` }),
      otherTenantsHost: await api.get('/v1/customers/c1', { key: globex.apiKey, host: `${acme.slug}.pulse.test` }),
      accepted: await api.request('POST', '/v1/metrics/refresh', { key: acme.apiKey, body: {} }),
    };
    const seen = Object.entries(answers).map(([name, response]) => [name, response.status, response.headers.get('cache-control'), varyTokens(response.headers.get('vary')).includes('authorization')]);
    expect(seen).toEqual([
      ['ok', 200, 'private, no-cache', true],
      ['notModified', 304, 'private, no-cache', true],
      ['notFound', 404, 'private, no-cache', true],
      ['badQuery', 400, 'private, no-cache', true],
      ['missingKey', 401, 'private, no-cache', true],
      ['unknownKey', 401, 'private, no-cache', true],
      ['otherTenantsHost', 403, 'private, no-cache', true],
      ['accepted', 202, 'private, no-cache', true],
    ]);
  });

  it('keeps Vary: Accept-Encoding on a compressed answer, naming each header once', async () => {
    const response = await getWithHeaders(`${api.baseUrl}/v1/customers?limit=40`, { authorization: `Bearer ${acme.apiKey}`, 'accept-encoding': 'gzip' });
    expect([response.status, response.headers['content-encoding'], response.headers['cache-control']]).toEqual([200, 'gzip', 'private, no-cache']);
    expect(varyTokens(response.headers.vary).sort()).toEqual(['accept-encoding', 'authorization']);
  });

  it('leaves the public routes as they were: the probes, the document and the docs page', async () => {
    for (const [path, cacheControl] of [
      ['/healthz', null],
      ['/readyz', 'no-cache, no-store, must-revalidate'],
      ['/openapi.json', null],
      ['/docs', null],
      ['/docs/init.js', 'public, max-age=86400'],
    ] as const) {
      const response = await api.request('GET', path, { key: acme.apiKey });
      expect([path, response.status, response.headers.get('cache-control'), varyTokens(response.headers.get('vary')).includes('authorization')]).toEqual([path, 200, cacheControl, false]);
    }
  });

  it('declares Cache-Control and Vary in /openapi.json on every answer of an authenticated route, and on no public route', async () => {
    const document = (await api.get('/openapi.json')).body as { paths: Record<string, Record<string, Operation>> };
    const missing: string[] = [];
    const extra: string[] = [];
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const isPublic = Array.isArray(operation.security) && operation.security.length === 0;
        for (const [status, response] of Object.entries(operation.responses)) {
          const names = Object.keys(response.headers ?? {});
          const declared = names.includes('Cache-Control') && names.includes('Vary');
          // Fastify refuses an oversized JSON body before any guard: that answer may lack them.
          const always = status !== '413';
          if (isPublic && (names.includes('Cache-Control') || names.includes('Vary'))) extra.push(`${method} ${path} ${status}`);
          if (!isPublic && !declared) missing.push(`${method} ${path} ${status}`);
          if (!isPublic && declared && always && !(response.headers?.['Cache-Control']?.required ?? response.headers?.['Cache-Control']?.$ref)) {
            missing.push(`${method} ${path} ${status} (not required)`);
          }
        }
      }
    }
    expect(missing).toEqual([]);
    expect(extra).toEqual([]);
  });
});
