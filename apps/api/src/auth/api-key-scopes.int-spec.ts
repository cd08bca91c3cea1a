import { DEFAULT_SCORECARD } from '@pulse/contracts';
import { issueApiKey } from '@pulse/tenancy';
import { withClient } from '@pulse/testing';
import { randomUUID } from 'node:crypto';
import { ApiUnderTest, type SeededTenant } from '../api.int-kit';

describe('API key scopes (real PostgreSQL)', () => {
  let api: ApiUnderTest;
  let tenant: SeededTenant;
  let readOnly: string;
  let writeOnly: string;
  let noScopes: string;

  /** A key of the tenant with these scopes, stored as the registry stores it (POST .../api-keys). */
  async function keyWith(scopes: string[] | null): Promise<string> {
    const key = issueApiKey();
    await api.controlPlaneSql(`INSERT INTO api_keys (id, tenant_id, prefix, secret_hash, name, scopes) VALUES ($1, $2, $3, $4, 'scoped', $5)`, [
      randomUUID(),
      tenant.tenantId,
      key.prefix,
      key.secretHash,
      scopes,
    ]);
    return key.token;
  }

  async function send(method: string, urlPath: string, key: string, body?: { contentType: string; text: string }) {
    const response = await fetch(`${api.baseUrl}${urlPath}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': body.contentType } : {}) },
      body: body?.text,
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  const json = (value: unknown) => ({ contentType: 'application/json', text: JSON.stringify(value) });

  beforeAll(async () => {
    api = await ApiUnderTest.start();
    tenant = await api.seedTenant('scopes');
    [readOnly, writeOnly, noScopes] = [await keyWith(['read']), await keyWith(['write']), await keyWith(null)];
  }, 120_000);

  afterAll(async () => {
    await api?.stop();
  });

  it('lets a read-only key read', async () => {
    expect((await send('GET', '/v1/customers?limit=1', readOnly)).status).toBe(200);
    expect((await send('HEAD', '/v1/customers?limit=1', readOnly)).status).toBe(200);
    expect((await send('GET', '/v1/scorecard', readOnly)).status).toBe(200);
  });

  it('refuses every write of a read-only key with 403 auth.insufficient_scope naming "write", and changes nothing', async () => {
    const refused = [
      await send('PUT', '/v1/scorecard', readOnly, json({ ...DEFAULT_SCORECARD, bands: { yellow: 30, green: 60 } })),
      await send('POST', '/v1/metrics/refresh', readOnly, json({ asOf: '2026-11-26' })),
      await send('POST', '/v1/imports/customers', readOnly, { contentType: 'text/csv', text: 'external_id,name\nc1,Acme\n' }),
      await send('POST', '/v1/sources/00000000-0000-4000-8000-000000000000/syncs', readOnly),
      await send('DELETE', '/v1/sources/00000000-0000-4000-8000-000000000000', readOnly),
    ];
    for (const response of refused) {
      expect(response.status).toBe(403);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(response.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="write"');
      // An authenticated request: counted and answered with the tenant's rate-limit headers like any other.
      expect(response.headers.get('ratelimit-limit')).not.toBeNull();
      expect(response.body).toMatchObject({ status: 403, code: 'auth.insufficient_scope', detail: expect.stringContaining('"write" scope') });
    }

    const full = tenant.apiKey;
    expect((await send('GET', '/v1/scorecard', full)).body).toMatchObject({ version: 0, isDefault: true });
    expect((await send('GET', '/v1/imports', full)).body).toEqual({ items: [], nextCursor: null });
    const runs = await withClient(tenant.databaseUrl, (client) => client.query('SELECT count(*)::int AS n FROM metric_runs'));
    expect(runs.rows).toEqual([{ n: 0 }]);
  });

  it('refuses reads of a write-only key with 403 naming "read", and lets it write', async () => {
    for (const [method, path] of [
      ['GET', '/v1/customers'],
      ['HEAD', '/v1/customers'],
      ['GET', '/v1/scorecard'],
    ] as const) {
      const response = await send(method, path, writeOnly);
      expect(response.status).toBe(403);
      expect(response.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="read"');
      if (method === 'GET') expect(response.body).toMatchObject({ code: 'auth.insufficient_scope', detail: expect.stringContaining('"read" scope') });
    }
    expect((await send('PUT', '/v1/scorecard', writeOnly, json(DEFAULT_SCORECARD))).status).toBe(200);
  });

  it('lets a key stored without scopes do nothing', async () => {
    expect((await send('GET', '/v1/customers', noScopes)).body).toMatchObject({ status: 403, code: 'auth.insufficient_scope' });
    expect((await send('PUT', '/v1/scorecard', noScopes, json(DEFAULT_SCORECARD))).body).toMatchObject({ status: 403, code: 'auth.insufficient_scope' });
  });

  it('checks the key before its scopes: an unknown key is still 401, a public route needs no scope', async () => {
    expect((await send('PUT', '/v1/scorecard', `pulse_${'A'.repeat(12)}_${'b'.repeat(32)}`, json(DEFAULT_SCORECARD))).body).toMatchObject({ code: 'auth.invalid_api_key' });
    expect((await send('GET', '/openapi.json', writeOnly)).status).toBe(200);
  });
});
