import { DEFAULT_SCORECARD } from '@pulse/contracts';
import { ApiUnderTest, type SeededTenant } from '../api.int-kit';

/**
 * A request whose body is sent as given (not JSON-encoded), as a client with a bug would send it. A body
 * given as bytes goes without a Content-Type unless one is named (fetch adds `text/plain` to a string).
 */
async function send(api: ApiUnderTest, method: string, urlPath: string, options: { key?: string; contentType?: string; body?: string | Uint8Array } = {}) {
  const response = await fetch(`${api.baseUrl}${urlPath}`, {
    method,
    headers: {
      ...(options.key ? { authorization: `Bearer ${options.key}` } : {}),
      ...(options.contentType ? { 'content-type': options.contentType } : {}),
    },
    body: options.body,
  });
  const text = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    rateLimited: response.headers.get('ratelimit-limit') !== null,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

/** Bodies of media types no JSON route takes; `undefined`: bytes without a Content-Type; `nonsense`: not a media type at all. */
const OTHER_MEDIA_TYPES: Array<[contentType: string | undefined, body: string]> = [
  ['application/x-www-form-urlencoded', 'asOf=2026-11-26'],
  ['text/plain', '{"asOf":"2026-11-26"}'],
  ['application/xml', '<refresh/>'],
  ['text/csv', 'asOf\n2026-11-26\n'],
  [undefined, '{"asOf":"2026-11-26"}'],
  ['nonsense', '{"asOf":"2026-11-26"}'],
];

const JSON_TYPE = 'application/json';

/** Every route that takes a JSON body. */
const BODY_ROUTES: Array<[method: string, path: string]> = [
  ['POST', '/v1/metrics/refresh'],
  ['PUT', '/v1/scorecard'],
  ['POST', '/v1/sources'],
  ['PATCH', '/v1/sources/00000000-0000-4000-8000-000000000000'],
];

describe('authentication comes before the body (real PostgreSQL)', () => {
  let api: ApiUnderTest;
  let tenant: SeededTenant;

  beforeAll(async () => {
    api = await ApiUnderTest.start();
    tenant = await api.seedTenant('body-order');
  }, 120_000);

  afterAll(async () => {
    await api?.stop();
  });

  it.each(BODY_ROUTES)('answers %s %s with a malformed JSON body and no key with 401, saying nothing about the body', async (method, path) => {
    const response = await send(api, method, path, { contentType: JSON_TYPE, body: '{bad' });
    expect(response.status).toBe(401);
    expect(response.contentType).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 401, code: 'auth.missing_api_key', instance: path });
  });

  it('answers a malformed JSON body with an unknown, a malformed or a revoked key with 401', async () => {
    const revoked = await api.seedTenant('body-order-revoked');
    await api.controlPlaneSql('UPDATE api_keys SET revoked_at = now() WHERE tenant_id = $1', [revoked.tenantId]);
    for (const key of [`pulse_${'A'.repeat(12)}_${'b'.repeat(32)}`, 'not-a-key', revoked.apiKey]) {
      const response = await send(api, 'POST', '/v1/metrics/refresh', { key, contentType: JSON_TYPE, body: '{bad' });
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ code: 'auth.invalid_api_key' });
    }
  });

  it("answers a malformed JSON body with a suspended tenant's key with the tenant's 403", async () => {
    const suspended = await api.seedTenant('body-order-paused', { status: 'suspended' });
    const response = await send(api, 'PUT', '/v1/scorecard', { key: suspended.apiKey, contentType: JSON_TYPE, body: '{bad' });
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({ code: 'tenant.suspended' });
  });

  it.each(BODY_ROUTES)('answers %s %s with a malformed JSON body and a valid key with the same 400 as ever', async (method, path) => {
    const response = await send(api, method, path, { key: tenant.apiKey, contentType: `${JSON_TYPE}; charset=utf-8`, body: '{bad' });
    expect(response.status).toBe(400);
    expect(response.contentType).toMatch(/^application\/problem\+json/);
    expect(response.body).toEqual({
      type: 'urn:pulse:problem:bad_request',
      title: 'Bad Request',
      status: 400,
      detail: "Body is not valid JSON but content-type is set to 'application/json'",
      code: 'bad_request',
      instance: path,
    });
  });

  it('takes an empty body with a JSON content type as no body once authenticated, and answers 401 without a key', async () => {
    // POST /v1/metrics/refresh takes an optional body: none is a refresh as of today.
    const authenticated = await send(api, 'POST', '/v1/metrics/refresh', { key: tenant.apiKey, contentType: JSON_TYPE, body: '' });
    expect(authenticated.status).toBe(202);
    expect(authenticated.body).toMatchObject({ status: 'queued', asOf: null });
    // PUT /v1/scorecard needs one: the missing fields are named, as for `{}`.
    const required = await send(api, 'PUT', '/v1/scorecard', { key: tenant.apiKey, contentType: JSON_TYPE, body: '' });
    expect(required.status).toBe(400);
    expect(required.body).toMatchObject({ code: 'validation_failed' });

    const anonymous = await send(api, 'POST', '/v1/metrics/refresh', { contentType: JSON_TYPE, body: '' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toMatchObject({ code: 'auth.missing_api_key' });
  });

  it('leaves valid JSON alone: accepted, or 400 naming the field', async () => {
    const stored = await send(api, 'PUT', '/v1/scorecard', { key: tenant.apiKey, contentType: JSON_TYPE, body: JSON.stringify(DEFAULT_SCORECARD) });
    expect(stored.status).toBe(200);
    expect(stored.body).toMatchObject({ scorecard: { version: 0, isDefault: true } });

    const invalid = await send(api, 'POST', '/v1/metrics/refresh', { key: tenant.apiKey, contentType: JSON_TYPE, body: '{"asOf":"2026-13-01"}' });
    expect(invalid.status).toBe(400);
    expect(invalid.body).toMatchObject({ code: 'validation_failed', errors: [expect.objectContaining({ field: 'body.asOf' })] });

    expect((await send(api, 'PUT', '/v1/scorecard', { contentType: JSON_TYPE, body: JSON.stringify(DEFAULT_SCORECARD) })).status).toBe(401);
  });

  it('still refuses a body over 1 MiB (413) before authentication: the server never buffers it', async () => {
    const response = await send(api, 'POST', '/v1/metrics/refresh', { contentType: JSON_TYPE, body: `{"asOf":"${'x'.repeat(1_048_576)}"}` });
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({ code: 'payload_too_large' });
  });

  it.each(BODY_ROUTES)('answers %s %s with a body of another media type, or none, with 401 without a key and 415 with one, after the rate limit', async (method, path) => {
    for (const [contentType, body] of OTHER_MEDIA_TYPES) {
      const anonymous = await send(api, method, path, { contentType, body: Buffer.from(body) });
      expect([contentType, anonymous.status, anonymous.contentType]).toEqual([contentType, 401, expect.stringMatching(/^application\/problem\+json/)]);
      expect(anonymous.body).toMatchObject({ status: 401, code: 'auth.missing_api_key', instance: path });

      const refused = await send(api, method, path, { key: tenant.apiKey, contentType, body: Buffer.from(body) });
      expect([contentType, refused.status, refused.contentType, refused.rateLimited]).toEqual([contentType, 415, expect.stringMatching(/^application\/problem\+json/), true]);
      expect(refused.body).toMatchObject({ status: 415, code: 'unsupported_media_type', instance: path, detail: expect.stringContaining('Send the body as application/json') });
    }
  });

  it('answers every route that may take a body with 401 for any media type without a key: nothing about a request is told before authentication', async () => {
    const document = (await api.get('/openapi.json')).body as { paths: Record<string, Record<string, { security?: unknown[] }>> };
    const id = '00000000-0000-4000-8000-000000000000';
    const operations = Object.entries(document.paths).flatMap(([template, methods]) =>
      Object.keys(methods)
        .filter((method) => ['post', 'put', 'patch', 'delete'].includes(method))
        .map((method) => [method.toUpperCase(), template.replace('{entity}', 'customers').replace(/\{[^}]+\}/g, id)] as const),
    );
    expect(operations.length).toBeGreaterThanOrEqual(BODY_ROUTES.length + 4);
    for (const [method, path] of operations) {
      for (const [contentType, body] of OTHER_MEDIA_TYPES) {
        const response = await send(api, method, path, { contentType, body: Buffer.from(body) });
        expect([method, path, contentType, response.status]).toEqual([method, path, contentType, 401]);
      }
    }
  });

  it('leaves requests without a JSON body as they were: no body at all, an unknown route', async () => {
    const none = await send(api, 'PUT', '/v1/scorecard', { key: tenant.apiKey });
    expect(none.status).toBe(400);
    expect(none.body).toMatchObject({ code: 'validation_failed' });

    // No route, so no guard: the malformed body goes unread, as it does for any client.
    const nowhere = await send(api, 'POST', '/v1/nowhere', { contentType: JSON_TYPE, body: '{bad' });
    expect(nowhere.status).toBe(404);
    expect(nowhere.body).toMatchObject({ code: 'route_not_found' });
  });
});
