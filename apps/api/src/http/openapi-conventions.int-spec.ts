import { ApiUnderTest, type SeededTenant } from '../api.int-kit';

type Response = { description: string; content?: Record<string, { schema: unknown }>; headers?: Record<string, unknown> };
type Operation = { security?: unknown[]; parameters?: Array<{ name: string }>; responses: Record<string, Response> };
type Document = { components: { schemas: Record<string, { required: string[] }> }; paths: Record<string, Record<string, Operation>> };

const PROBLEM = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };

// What a client generated from /openapi.json learns about errors: every error status a route can answer
// has a typed problem+json body, and the statuses any route can answer (401/403/429/503, 304) are declared.
describe('the api OpenAPI document: error responses', () => {
  let api: ApiUnderTest;
  let tenant: SeededTenant;
  let document: Document;

  beforeAll(async () => {
    api = await ApiUnderTest.start();
    tenant = await api.seedTenant('openapi-errors');
    document = (await api.get('/openapi.json')).body as unknown as Document;
  }, 120_000);

  afterAll(async () => {
    await api?.stop();
  });

  const operations = () => Object.entries(document.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ route: `${method} ${path}`, method, operation })));

  it('gives every declared error response (4xx, 5xx, default) the problem details schema', () => {
    expect(document.components.schemas['Problem']?.required).toEqual(expect.arrayContaining(['status', 'code', 'detail']));
    const untyped = operations().flatMap(({ route, operation }) =>
      Object.entries(operation.responses)
        .filter(([status]) => status === 'default' || Number(status) >= 400)
        .filter(([, response]) => JSON.stringify(response.content) !== JSON.stringify(PROBLEM))
        .map(([status]) => `${route} ${status}`),
    );
    // The readiness probe's 503 has problem details with its checks (an extension member) as its own schema.
    expect(untyped).toEqual(['get /readyz 503']);
    const notReady = document.paths['/readyz']?.['get']?.responses['503']?.content?.['application/problem+json']?.schema as { required: string[] };
    expect(notReady.required).toEqual(expect.arrayContaining(['status', 'code', 'detail', 'checks']));
    // e.g. the declared 404 of a run, 409/422 of a refresh
    expect(document.paths['/v1/metrics/runs/{id}']?.['get']?.responses['404']?.content).toEqual(PROBLEM);
    expect(document.paths['/v1/metrics/refresh']?.['post']?.responses['422']?.content).toEqual(PROBLEM);
  });

  it('declares 401, 403, 429 and 503 on every authenticated route and 304 on its GETs, none of them on public routes but the 304 of the tagged document', () => {
    const authenticated = operations().filter(({ operation }) => operation.security === undefined);
    const publicRoutes = operations().filter(({ operation }) => Array.isArray(operation.security) && operation.security.length === 0);
    expect(authenticated.length).toBeGreaterThan(20);
    expect(publicRoutes.map(({ route }) => route)).toEqual(expect.arrayContaining(['get /healthz', 'get /openapi.json']));

    const missing = authenticated.flatMap(({ route, method, operation }) =>
      ['401', '403', '429', '503', ...(method === 'get' ? ['304'] : [])].filter((status) => !operation.responses[status]).map((status) => `${route} ${status}`),
    );
    expect(missing).toEqual([]);
    const extra = publicRoutes.flatMap(({ route, operation }) => ['401', '403', '429', '304'].filter((status) => operation.responses[status]).map((status) => `${route} ${status}`));
    // The document is tagged like any JSON GET; the probes are not (etag.hook.ts).
    expect(extra).toEqual(['get /openapi.json 304']);

    const scorecard = document.paths['/v1/scorecard']?.['get']?.responses ?? {};
    expect(scorecard['403']?.description).toContain('auth.insufficient_scope');
    expect(scorecard['429']?.headers).toHaveProperty('Retry-After');
    expect(scorecard['503']?.description).toContain('database_unavailable');
    expect(scorecard['503']?.headers).toHaveProperty('Retry-After');
    // A 304 has no body, and carries the tag.
    expect(scorecard['304']?.content).toBeUndefined();
    expect(scorecard['304']?.headers).toHaveProperty('ETag');
    expect(document.paths['/v1/metrics/refresh']?.['post']?.responses['304']).toBeUndefined();
  });

  it("declares the Idempotency-Key's 409 and 422 on every route that takes one, and keeps the guards' 400 next to a route's own", () => {
    const idempotent = operations().filter(({ operation }) => (operation.parameters ?? []).some((parameter) => parameter.name === 'idempotency-key'));
    expect(idempotent.map(({ route }) => route).sort()).toEqual(['post /v1/imports/{entity}', 'post /v1/metrics/refresh', 'post /v1/sources', 'post /v1/sources/{id}/syncs']);
    for (const { operation } of idempotent) {
      expect(operation.responses['409']?.description).toContain('idempotency_key_in_progress');
      expect(operation.responses['422']?.description).toContain('idempotency_key_reused');
    }
    // The route's own codes stay: a source's name taken, a refresh's timezone.
    expect(document.paths['/v1/sources']?.['post']?.responses['409']?.description).toContain('source.name_taken');
    expect(document.paths['/v1/metrics/refresh']?.['post']?.responses['422']?.description).toContain('tenant.invalid_timezone');
    // Products declare their own 400; two Authorization headers are a 400 there too.
    expect(document.paths['/v1/products']?.['get']?.responses['400']?.description).toContain('auth.multiple_authorization_headers');
  });

  it('answers those statuses as documented: 401 and 404 with a problem body, 304 with none', async () => {
    const unauthenticated = await api.get('/v1/scorecard');
    expect([unauthenticated.status, unauthenticated.headers.get('content-type')]).toEqual([401, expect.stringMatching(/^application\/problem\+json/)]);
    expect(Object.keys(unauthenticated.body)).toEqual(expect.arrayContaining(document.components.schemas['Problem']?.required ?? []));

    const notFound = await api.get('/v1/metrics/runs/00000000-0000-4000-8000-000000000000', { key: tenant.apiKey });
    expect([notFound.status, notFound.body['code']]).toEqual([404, 'metric_run.not_found']);
    expect(Object.keys(notFound.body)).toEqual(expect.arrayContaining(document.components.schemas['Problem']?.required ?? []));

    const tagged = await api.get('/v1/scorecard', { key: tenant.apiKey });
    const unchanged = await api.request('GET', '/v1/scorecard', { key: tenant.apiKey, headers: { 'if-none-match': tagged.headers.get('etag') ?? '' } });
    expect([unchanged.status, unchanged.text]).toEqual([304, '']);
  });
});
