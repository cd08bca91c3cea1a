import { issueApiKey } from '@pulse/tenancy';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { ValidateFunction } from 'ajv';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApiUnderTest, type SeededTenant } from '../api.int-kit';
import { PublishedEvents } from '../published-events.int-kit';

type Header = { $ref?: string; required?: boolean; schema?: { type?: string } };
type Response = { description: string; content?: Record<string, { schema?: unknown }>; headers?: Record<string, Header> };
type Operation = {
  parameters: Array<{ name: string; in: string; schema: Record<string, unknown> }>;
  requestBody?: { required: boolean };
  responses: Record<string, Response>;
  'x-query-parameter-patterns'?: Array<{ pattern: string }>;
};
type Document = { components: { headers: Record<string, Header> }; paths: Record<string, Record<string, Operation>> };

/** Headers whose presence on a response the document must declare. */
const TRACKED_HEADERS = ['etag', 'retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'idempotent-replayed', 'www-authenticate', 'x-correlation-id'];
const MISSING = '00000000-0000-4000-8000-00000000ffff';
const RUN_OK = '00000000-0000-4000-8000-0000000000a1';
const IMPORT_OK = '00000000-0000-4000-8000-0000000000b1';

// The api against its own /openapi.json, as a generated client sees it: each operation called with valid
// and typical invalid input, every answer's status, media type, body (ajv, JSON Schema 2020-12) and
// headers checked against what the document declares for it, both ways for the headers.
describe('the api answers as its OpenAPI document says', () => {
  let api: ApiUnderTest;
  let events: PublishedEvents;
  let tenant: SeededTenant;
  let readKey: string;
  let storageDir: string;
  let document: Document;
  const validators = new Map<string, ValidateFunction>();
  let ajv: Ajv2020;

  beforeAll(async () => {
    storageDir = await mkdtemp(path.join(tmpdir(), 'openapi-conformance-'));
    events = await PublishedEvents.start('ingestion.requested.v1');
    api = await ApiUnderTest.start({ ...events.env(), PULSE_STORAGE_DIR: storageDir });
    tenant = await api.seedTenant('conformance');
    const key = issueApiKey();
    await api.controlPlaneSql(`INSERT INTO api_keys (id, tenant_id, prefix, secret_hash, name, scopes) VALUES ($1, $2, $3, $4, 'ro', '{read}')`, [
      randomUUID(),
      tenant.tenantId,
      key.prefix,
      key.secretHash,
    ]);
    readKey = key.token;
    await api.tenantSql(
      tenant,
      `INSERT INTO customers (external_id, name, segment, custom) VALUES ('C1', 'Acme', 'SMB', '{"employees": 120, "tier": "gold"}'), ('C2', NULL, NULL, '{}');
       INSERT INTO metric_runs (id, status, reason, as_of, requested_at, started_at, finished_at) VALUES ('${RUN_OK}', 'succeeded', 'manual', '2026-01-01', '2026-01-01T06:00Z', '2026-01-01T06:00Z', '2026-01-01T06:01Z');
       INSERT INTO customer_kpis (customer_id, orders_count, revenue_total, revenue_30d, revenue_90d, revenue_365d, aov, mrr, open_tickets, active_30d, as_of, run_id)
         SELECT id, 4, 1001.5, 0, 250.5, 1001.5, 250.375, 99.9, 0, false, '2026-01-01', '${RUN_OK}' FROM customers WHERE external_id = 'C1';
       INSERT INTO products (sku, name, price, custom) VALUES ('SKU-1', 'Widget', 19.99, '{}');
       INSERT INTO product_kpis (sku, product_id, units, revenue, distinct_buyers, as_of, run_id) SELECT sku, id, 3, 59.97, 2, '2026-01-01', '${RUN_OK}' FROM products;
       INSERT INTO metric_series (metric, grain, period_start, value, as_of, run_id) VALUES
         ('revenue', 'month', '2025-01-01', 1001.1234, '2026-01-01', '${RUN_OK}'), ('churn_rate', 'month', '2025-01-01', 0.25, '2026-01-01', '${RUN_OK}');
       INSERT INTO imports (id, entity, status, mode, format, rows_received, rows_loaded, rows_rejected, created_at) VALUES ('${IMPORT_OK}', 'customers', 'succeeded', 'upsert', 'csv', 1, 1, 0, '2026-01-01T00:00Z');`,
    );
    document = (await api.get('/openapi.json')).body as unknown as Document;
    ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema({ ...document, $id: 'https://pulse.test/openapi.json' });
  }, 120_000);

  afterAll(async () => {
    await api?.stop();
    await events?.stop();
    if (storageDir) await rm(storageDir, { recursive: true, force: true });
  });

  const escape = (text: string) => text.replace(/~/g, '~0').replace(/\//g, '~1');
  function validator(pointer: string): ValidateFunction {
    let validate = validators.get(pointer);
    if (!validate) {
      validate = ajv.compile({ $ref: `https://pulse.test/openapi.json#${pointer}` });
      validators.set(pointer, validate);
    }
    return validate;
  }
  const resolveHeader = (header: Header): Header => (header.$ref ? (document.components.headers[header.$ref.split('/').pop() as string] as Header) : header);

  interface Call {
    key?: string | null;
    headers?: Record<string, string>;
    body?: unknown;
    raw?: string;
    contentType?: string;
    status: number;
  }

  /** Calls the route; returns what disagrees with the document (empty when it all does), and the answer. */
  async function check(method: string, template: string, url: string, call: Call) {
    const headers: Record<string, string> = { ...(call.key === null ? {} : { authorization: `Bearer ${call.key ?? tenant.apiKey}` }), ...call.headers };
    let body: string | undefined;
    if (call.raw !== undefined || call.body !== undefined) {
      body = call.raw ?? JSON.stringify(call.body);
      headers['content-type'] = call.contentType ?? 'application/json';
    }
    const response = await fetch(`${api.baseUrl}${url}`, { method: method.toUpperCase(), headers, body });
    const text = await response.text();
    const at = `${method.toUpperCase()} ${url} -> ${response.status}`;
    const problems: string[] = [];
    if (response.status !== call.status) problems.push(`${at}: expected ${call.status} ${text.slice(0, 200)}`);
    const operation = document.paths[template]?.[method];
    if (!operation) return { problems: [`${at}: no operation ${method} ${template}`], response, text };
    const declared = operation.responses[String(response.status)];
    if (!declared) return { problems: [...problems, `${at}: status not declared`], response, text };
    const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
    const media = Object.keys(declared.content ?? {});
    if (media.length === 0 && text !== '') problems.push(`${at}: a body where none is declared`);
    if (media.length > 0 && !media.includes(mediaType)) problems.push(`${at}: ${mediaType} is not ${media.join(', ')}`);
    if (media.includes(mediaType) && mediaType.includes('json') && declared.content?.[mediaType]?.schema) {
      const validate = validator(`/paths/${escape(template)}/${method}/responses/${response.status}/content/${escape(mediaType)}/schema`);
      if (!validate(JSON.parse(text))) problems.push(`${at}: body ${JSON.stringify(validate.errors?.slice(0, 3))}`);
    }
    const declaredHeaders = Object.entries(declared.headers ?? {}).map(([name, header]) => [name.toLowerCase(), resolveHeader(header)] as const);
    for (const [name, header] of declaredHeaders) {
      const value = response.headers.get(name);
      if (value === null && header.required) problems.push(`${at}: required header ${name} missing`);
      if (value !== null && header.schema?.type === 'integer' && !/^\d+$/.test(value)) problems.push(`${at}: header ${name}: ${value}`);
    }
    const names = new Set(declaredHeaders.map(([name]) => name));
    for (const name of TRACKED_HEADERS) if (response.headers.get(name) !== null && !names.has(name)) problems.push(`${at}: header ${name} sent, not declared`);
    return { problems, response, text };
  }

  /** Checks a list of calls of the same route, returning every disagreement. */
  async function checkAll(method: string, template: string, calls: Array<Call & { url: string }>): Promise<string[]> {
    const problems: string[] = [];
    for (const { url, ...call } of calls) problems.push(...(await check(method, template, url, call)).problems);
    return problems;
  }

  /** What every authenticated route answers before it runs, and to an unknown query parameter. */
  function refusals(url: string, options: { write?: boolean; body?: unknown; raw?: string; contentType?: string } = {}): Array<Call & { url: string }> {
    const body = { body: options.body, raw: options.raw, contentType: options.contentType };
    return [
      { url, ...body, key: null, status: 401 },
      { url, ...body, key: 'pulse_aaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', status: 401 },
      { url: `${url}${url.includes('?') ? '&' : '?'}bogus=1`, ...body, status: 400 },
      ...(options.write ? [{ url, ...body, key: readKey, status: 403 }] : []),
    ];
  }

  /** A GET twice: 200 with an ETag, then 304 for it. */
  async function conditionalGet(template: string, url: string, key?: string | null): Promise<string[]> {
    const first = await check('get', template, url, { key, status: 200 });
    const etag = first.response.headers.get('etag');
    if (!etag) return [...first.problems, `GET ${url}: no ETag`];
    const second = await check('get', template, url, { key, headers: { 'if-none-match': etag }, status: 304 });
    return [...first.problems, ...second.problems];
  }

  it('public routes: the probes untagged, the document tagged (ETag, 304), a query parameter 400, an unknown docs file 404', async () => {
    const problems = [
      ...(await checkAll('get', '/healthz', [{ url: '/healthz', key: null, status: 200 }, { url: '/healthz?x=1', key: null, status: 400 }])),
      ...(await checkAll('get', '/readyz', [{ url: '/readyz', key: null, status: 200 }])),
      ...(await conditionalGet('/openapi.json', '/openapi.json', null)),
      ...(await checkAll('get', '/openapi.json', [{ url: '/openapi.json?x=1', key: null, status: 400 }])),
      ...(await checkAll('get', '/docs', [{ url: '/docs', key: null, status: 200 }])),
      ...(await checkAll('get', '/docs/{asset}', [
        { url: '/docs/init.js', key: null, status: 200 },
        { url: '/docs/nope.js', key: null, status: 404 },
      ])),
    ];
    expect(problems).toEqual([]);
    expect((await api.get('/healthz')).headers.get('etag')).toBeNull();
  });

  it('customers and products: pages, filters (custom fields too), money as 4-decimal strings, refusals', async () => {
    const CL = '/v1/customers';
    const customers = ['limit=1', 'sort=-revenue90d,name', 'revenue90d[gt]=100.5', 'custom.tier=gold', 'custom.employees[gt]=50', 'custom.employees[eq]=120'].map((query) => ({
      url: `${CL}?${query}`,
      status: 200,
    }));
    const invalid = ['limit=0', 'limit=501', 'sort=nope', 'custom.a-b=1', 'custom.employees[gt]=abc', `cursor=${'x'.repeat(12_001)}`].map((query) => ({ url: `${CL}?${query}`, status: 400 }));
    const problems = [
      ...(await conditionalGet(CL, CL)),
      ...(await checkAll('get', CL, [...customers, ...invalid, ...refusals(CL)])),
      ...(await conditionalGet('/v1/customers/{externalId}', `${CL}/C1`)),
      ...(await checkAll('get', '/v1/customers/{externalId}', [
        { url: `${CL}/C2`, status: 200 },
        { url: `${CL}/nope`, status: 404 },
        { url: `${CL}/${'x'.repeat(2601)}`, status: 400 },
        ...refusals(`${CL}/C1`),
      ])),
      ...(await conditionalGet('/v1/products', '/v1/products')),
      ...(await checkAll('get', '/v1/products', [{ url: '/v1/products?sort=-revenue', status: 200 }, { url: '/v1/products?limit=0', status: 400 }, ...refusals('/v1/products')])),
      ...(await conditionalGet('/v1/products/{sku}', '/v1/products/SKU-1')),
      ...(await checkAll('get', '/v1/products/{sku}', [{ url: '/v1/products/nope', status: 404 }, ...refusals('/v1/products/SKU-1')])),
    ];
    expect(problems).toEqual([]);
    const customer = (await api.get(`${CL}/C1`, { key: tenant.apiKey })).body as { currency: string; kpis: Record<string, unknown> };
    expect(customer.kpis).toMatchObject({ revenueTotal: '1001.5000', averageOrderValue: '250.3750', mrr: '99.9000' });
    expect(customer.currency).toMatch(/^[A-Z]{3}$/);
    // The patterns the document gives the custom field filters are the names the api accepts.
    const patterns = (document.paths[CL]?.['get']?.['x-query-parameter-patterns'] ?? []).map(({ pattern }) => new RegExp(pattern));
    for (const name of ['custom.tier', 'custom.employees[gt]', 'custom.employees[eq]']) expect(patterns.some((pattern) => pattern.test(name))).toBe(true);
    expect(patterns.some((pattern) => pattern.test('custom.a-b'))).toBe(false);
    // KPI range parameters say what they take (before: every one a string of at most 64 characters).
    const parameter = (name: string) => document.paths[CL]?.['get']?.parameters.find((candidate) => candidate.name === name)?.schema;
    expect(parameter('orders[gt]')).toMatchObject({ type: 'integer', minimum: -999_999_999, maximum: 999_999_999 });
    const decimal = parameter('revenue90d[gte]') as { type: string; pattern: string };
    expect(decimal.type).toBe('string');
    expect(['100', '-0.5', '1'.repeat(38)].filter((value) => !new RegExp(decimal.pattern).test(value))).toEqual([]);
    expect(['1e3', '0x10', '.5'].filter((value) => new RegExp(decimal.pattern).test(value))).toEqual([]);
    const instant = parameter('lastOrderAt[gte]') as { type: string; pattern: string };
    expect(['2026-06-18', '2026-06-18T00:00Z', '2026-06-18T00:00:00.123456-04:00'].filter((value) => !new RegExp(instant.pattern).test(value))).toEqual([]);
    expect(['18/06/2026', '2026-06-18T00:00'].filter((value) => new RegExp(instant.pattern).test(value))).toEqual([]);
  });

  it('metrics, health distribution and scorecard: series values, a refresh without a body, 415 after authentication and 413 before', async () => {
    const scorecard = {
      measures: [{ metric: 'revenue90d', weight: 1, direction: 'higher_is_better', scoring: { type: 'linear', min: 0, max: 1000 }, missing: { rule: 'exclude' } }],
      bands: { yellow: 40, green: 70 },
    };
    const MR = '/v1/metrics/refresh';
    const problems = [
      ...(await conditionalGet('/v1/metrics/{name}', '/v1/metrics/revenue?grain=month')),
      ...(await checkAll('get', '/v1/metrics/{name}', [
        { url: '/v1/metrics/churn_rate?grain=month', status: 200 },
        { url: '/v1/metrics/nope?grain=month', status: 404 },
        { url: '/v1/metrics/revenue?grain=year', status: 400 },
        ...refusals('/v1/metrics/revenue?grain=month'),
      ])),
      ...(await conditionalGet('/v1/health/distribution', '/v1/health/distribution')),
      ...(await checkAll('get', '/v1/health/distribution', refusals('/v1/health/distribution'))),
      ...(await checkAll('put', '/v1/scorecard', [
        { url: '/v1/scorecard', body: scorecard, status: 200 },
        { url: '/v1/scorecard', body: { measures: [] }, status: 400 },
        { url: '/v1/scorecard', raw: '{', status: 400 },
        { url: '/v1/scorecard', raw: 'a=1', contentType: 'text/plain', status: 415 },
        { url: '/v1/scorecard', raw: 'a=1', contentType: 'text/plain', key: null, status: 401 },
        { url: '/v1/scorecard', raw: JSON.stringify({ pad: 'x'.repeat(1_100_000) }), key: null, status: 413 },
        ...refusals('/v1/scorecard', { write: true, body: scorecard }),
      ])),
      ...(await conditionalGet('/v1/scorecard', '/v1/scorecard')),
      ...(await checkAll('post', MR, [
        { url: MR, headers: { 'idempotency-key': 'r1' }, body: { asOf: '2026-01-01' }, status: 202 },
        { url: MR, headers: { 'idempotency-key': 'r1' }, body: { asOf: '2026-01-01' }, status: 202 },
        { url: MR, headers: { 'idempotency-key': 'r1' }, body: { asOf: '2026-01-02' }, status: 422 },
        { url: MR, status: 202 },
        { url: MR, body: { other: 1 }, status: 400 },
        { url: MR, raw: 'x', contentType: 'text/plain', status: 415 },
        { url: MR, raw: 'x', contentType: 'application/x-www-form-urlencoded', key: null, status: 401 },
        ...refusals(MR, { write: true, body: {} }),
      ])),
      ...(await conditionalGet('/v1/metrics/runs/{id}', `/v1/metrics/runs/${RUN_OK}`)),
      ...(await checkAll('get', '/v1/metrics/runs/{id}', [
        { url: `/v1/metrics/runs/${MISSING}`, status: 404 },
        { url: '/v1/metrics/runs/nope', status: 400 },
        ...refusals(`/v1/metrics/runs/${RUN_OK}`),
      ])),
    ];
    expect(problems).toEqual([]);
    expect(document.paths[MR]?.['post']?.requestBody?.required).toBe(false);
    expect(document.paths['/v1/scorecard']?.['put']?.requestBody?.required).toBe(true);
  });

  it('imports and sources: uploads, 202s that are queued, a no-body POST refusing a body, refusals', async () => {
    const IU = '/v1/imports/{entity}';
    const csv = 'external_id,name\nz1,Zed\n';
    const upload = { raw: csv, contentType: 'text/csv' };
    const S = '/v1/sources';
    const created = await check('post', S, S, { body: { name: 'files', entity: 'orders', connection: { kind: 'files', url: 'gs://bucket/orders/', format: 'csv' } }, status: 201 });
    const id = (JSON.parse(created.text) as { id: string }).id;
    const problems = [
      ...created.problems,
      ...(await checkAll('post', IU, [
        { url: '/v1/imports/customers', ...upload, headers: { 'idempotency-key': 'u1' }, status: 202 },
        { url: '/v1/imports/customers', ...upload, headers: { 'idempotency-key': 'u1' }, status: 202 },
        { url: '/v1/imports/customers?maxRejectedShare=0.5', ...upload, status: 202 },
        { url: '/v1/imports/customers?maxRejectedShare=1e-1', ...upload, status: 400 },
        { url: '/v1/imports/widgets', ...upload, status: 400 },
        { url: '/v1/imports/customers', body: { a: 1 }, status: 415 },
        { url: '/v1/imports/customers', raw: 'a', contentType: 'text/plain', status: 415 },
        { url: '/v1/imports/customers', raw: 'a', contentType: 'text/plain', key: null, status: 401 },
        ...refusals('/v1/imports/customers', { write: true, ...upload }),
      ])),
      ...(await conditionalGet('/v1/imports', '/v1/imports')),
      ...(await checkAll('get', '/v1/imports', [{ url: '/v1/imports?limit=201', status: 400 }, ...refusals('/v1/imports')])),
      ...(await conditionalGet('/v1/imports/{id}', `/v1/imports/${IMPORT_OK}`)),
      ...(await checkAll('get', '/v1/imports/{id}', [{ url: `/v1/imports/${MISSING}`, status: 404 }, ...refusals(`/v1/imports/${IMPORT_OK}`)])),
      ...(await conditionalGet('/v1/imports/{id}/errors', `/v1/imports/${IMPORT_OK}/errors`)),
      ...(await checkAll('get', '/v1/imports/{id}/errors', [{ url: '/v1/imports/nope/errors', status: 400 }, ...refusals(`/v1/imports/${IMPORT_OK}/errors`)])),
      ...(await checkAll('post', S, [{ url: S, body: { name: 'files', entity: 'orders', connection: { kind: 'files', url: 'gs://exports-bucket/o/', format: 'csv' } }, status: 409 }, ...refusals(S, { write: true, body: {} })])),
      ...(await conditionalGet(S, S)),
      ...(await checkAll('get', S, [{ url: `${S}?limit=201`, status: 400 }, { url: `${S}?cursor=${'x'.repeat(1025)}`, status: 400 }, ...refusals(S)])),
      ...(await conditionalGet('/v1/sources/{id}', `${S}/${id}`)),
      ...(await checkAll('patch', '/v1/sources/{id}', [
        { url: `${S}/${id}`, body: { schedule: '0 * * * *' }, status: 200 },
        { url: `${S}/${id}`, body: { bogus: 1 }, status: 400 },
        { url: `${S}/nope`, body: { enabled: true }, status: 400 },
        { url: `${S}/${MISSING}`, body: { enabled: true }, status: 404 },
        ...refusals(`${S}/${id}`, { write: true, body: { enabled: true } }),
      ])),
      ...(await checkAll('post', '/v1/sources/{id}/test', [{ url: `${S}/${id}/test`, status: 200 }, { url: `${S}/${MISSING}/test`, status: 404 }, ...refusals(`${S}/${id}/test`, { write: true })])),
      ...(await checkAll('post', '/v1/sources/{id}/syncs', [
        { url: `${S}/${id}/syncs`, headers: { 'idempotency-key': 's1' }, status: 202 },
        { url: `${S}/${id}/syncs`, headers: { 'idempotency-key': 's1' }, status: 202 },
        { url: `${S}/${id}/syncs`, body: {}, status: 202 },
        { url: `${S}/${id}/syncs`, body: { force: true }, status: 400 },
        { url: `${S}/${id}/syncs`, raw: 'x', contentType: 'text/plain', status: 415 },
        { url: `${S}/${id}/syncs`, raw: 'x', contentType: 'text/plain', key: null, status: 401 },
        ...refusals(`${S}/${id}/syncs`, { write: true }),
      ])),
      ...(await conditionalGet('/v1/sources/{id}/syncs', `${S}/${id}/syncs`)),
      ...(await checkAll('get', '/v1/sources/{id}/syncs', [{ url: `${S}/${id}/syncs?cursor=${'x'.repeat(1025)}`, status: 400 }, ...refusals(`${S}/${id}/syncs`)])),
      ...(await checkAll('delete', '/v1/sources/{id}', [...refusals(`${S}/${id}`, { write: true }), { url: `${S}/${id}`, body: { x: 1 }, status: 400 }, { url: `${S}/${id}`, status: 204 }, { url: `${S}/${id}`, status: 404 }])),
    ];
    expect(problems).toEqual([]);
  });

  it('declares 400/415/413 where the api answers them, the money and query-number patterns, and a capped cursor on every list', () => {
    const operations = Object.entries(document.paths).flatMap(([route, methods]) => Object.entries(methods).map(([method, operation]) => ({ route: `${method} ${route}`, method, operation })));
    const withBody = operations.filter(({ method }) => ['post', 'put', 'patch', 'delete'].includes(method));
    expect(withBody.filter(({ operation }) => !operation.responses['413'] || !operation.responses['415']).map(({ route }) => route)).toEqual([]);
    expect(operations.filter(({ operation }) => !operation.responses['400']).map(({ route }) => route)).toEqual([]);
    const uncapped = operations.flatMap(({ route, operation }) => operation.parameters.filter((p) => p.name === 'cursor' && typeof p.schema['maxLength'] !== 'number').map(() => route));
    expect(uncapped).toEqual([]);
    const share = document.paths['/v1/imports/{entity}']?.['post']?.parameters.find((p) => p.name === 'maxRejectedShare');
    expect(share?.schema).toMatchObject({ type: 'string', pattern: '^-?\\d+(\\.\\d+)?$' });
    const kpis = JSON.stringify(document.paths['/v1/customers/{externalId}']?.['get']?.responses['200']?.content);
    expect(kpis).toContain('"revenue90d":{"type":"string","pattern":"^-?\\\\d+\\\\.\\\\d{4}$"');
    expect(kpis).toContain('"currency":{"type":"string","pattern":"^[A-Z]{3}$"');
  });
});
