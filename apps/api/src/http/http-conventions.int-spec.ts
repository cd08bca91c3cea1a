import { gunzipSync } from 'node:zlib';
import { request as httpRequest } from 'node:http';
import { ApiUnderTest, type SeededTenant } from '../api.int-kit';

/** GET without fetch's transparent decompression, to see the bytes and headers as sent. */
function rawGet(baseUrl: string, path: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${baseUrl}${path}`, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('api HTTP conventions', () => {
  let api: ApiUnderTest;
  let tenant: SeededTenant;
  let other: SeededTenant;

  beforeAll(async () => {
    // A tiny plan so the test reaches the limit in a few requests. One token every 20 s: the counts the tests
    // expect hold across a tenant seeded between two of them, however slow the machine (at 0.5 tokens/s, a
    // refill could land in between).
    api = await ApiUnderTest.start({ RATE_LIMIT_PLANS: JSON.stringify({ standard: { perSecond: 0.05, burst: 5 } }) });
    tenant = await api.seedTenant('conv');
    other = await api.seedTenant('conv-other');
  }, 120_000);

  afterAll(async () => {
    await api?.stop();
  });

  describe('rate limits', () => {
    it('counts down RateLimit-Remaining, then answers 429 problem+json with Retry-After, per tenant', async () => {
      const remaining: string[] = [];
      for (let i = 0; i < 5; i += 1) {
        const response = await api.get('/v1/scorecard', { key: tenant.apiKey });
        expect(response.status).toBe(200);
        expect(response.headers.get('ratelimit-limit')).toBe('5');
        remaining.push(response.headers.get('ratelimit-remaining') ?? '');
        expect(Number(response.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
      }
      expect(remaining).toEqual(['4', '3', '2', '1', '0']);

      const limited = await api.get('/v1/scorecard', { key: tenant.apiKey });
      expect(limited.status).toBe(429);
      expect(limited.headers.get('content-type')).toContain('application/problem+json');
      expect(limited.body).toMatchObject({ status: 429, code: 'rate_limited' });
      // The next token arrives within 20 s at 0.05 tokens/s, and not soon: the bucket was just emptied.
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(10);
      expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(20);
      expect(limited.headers.get('ratelimit-remaining')).toBe('0');

      // Another tenant has its own bucket.
      const neighbour = await api.get('/v1/scorecard', { key: other.apiKey });
      expect(neighbour.status).toBe(200);
      expect(neighbour.headers.get('ratelimit-remaining')).toBe('4');
    });

    it("counts a request on another tenant's host in the key's rate, so its host lookups are rate-limited too", async () => {
      const prober = await api.seedTenant('conv-hosts');
      const statuses: number[] = [];
      for (let i = 0; i < 6; i += 1) {
        // A different host each time: none is cached, each would cost a control-plane lookup.
        const response = await api.get('/v1/scorecard', { key: prober.apiKey, host: `${other.slug}.pulse.test, probe-${i}.example.com` });
        statuses.push(response.status);
        if (response.status === 403) expect(response.headers.get('ratelimit-remaining')).toBe(String(4 - i));
      }
      // Before: 403 every time, never counted.
      expect(statuses).toEqual([403, 403, 403, 403, 403, 429]);
    });

    it('puts the headers on error responses too, and leaves public routes alone', async () => {
      const notFound = await api.get('/v1/metrics/runs/00000000-0000-4000-8000-000000000000', { key: other.apiKey });
      expect(notFound.status).toBe(404);
      expect(notFound.headers.get('ratelimit-remaining')).toBe('3');

      const health = await api.get('/healthz');
      expect(health.status).toBe(200);
      expect(health.headers.get('ratelimit-limit')).toBeNull();
    });
  });

  describe('ETag and compression', () => {
    let fresh: SeededTenant;

    beforeAll(async () => {
      fresh = await api.seedTenant('conv-etag');
    }, 60_000);

    it('tags a single resource and answers a matching If-None-Match with 304 and no body', async () => {
      const first = await api.get('/v1/scorecard', { key: fresh.apiKey });
      const etag = first.headers.get('etag');
      expect(etag).toMatch(/^W\/"/);

      const again = await api.request('GET', '/v1/scorecard', { key: fresh.apiKey, headers: { 'if-none-match': etag as string } });
      expect(again.status).toBe(304);
      expect(again.text).toBe('');
      expect(again.headers.get('etag')).toBe(etag);

      const stale = await api.request('GET', '/v1/scorecard', { key: fresh.apiKey, headers: { 'if-none-match': 'W/"something-else"' } });
      expect(stale.status).toBe(200);
      expect(stale.body).toEqual(first.body);
    });

    it('gzips a response over 1 KB when the client accepts it, and not a small one', async () => {
      const large = await rawGet(api.baseUrl, '/openapi.json', { 'accept-encoding': 'gzip' });
      expect(large.status).toBe(200);
      expect(large.headers['content-encoding']).toBe('gzip');
      const document = JSON.parse(gunzipSync(large.body).toString('utf8')) as { openapi: string };
      expect(document.openapi).toBe('3.1.0');

      const small = await rawGet(api.baseUrl, '/v1/metrics/runs/not-a-uuid', { 'accept-encoding': 'gzip', authorization: `Bearer ${fresh.apiKey}` });
      expect(small.status).toBe(400);
      expect(small.headers['content-encoding']).toBeUndefined();

      const identity = await rawGet(api.baseUrl, '/openapi.json', {});
      expect(identity.headers['content-encoding']).toBeUndefined();
    });
  });

  describe('errors', () => {
    it("answers the framework's own errors as problem+json too: a malformed URL", async () => {
      const response = await rawGet(api.baseUrl, '/v1/customers/%FF', {});
      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(response.body.toString('utf8'))).toMatchObject({ status: 400, code: 'bad_request', instance: '/v1/customers/%FF' });
    });
  });
});
