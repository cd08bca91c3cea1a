import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { startServiceUnderTest } from './service-under-test.int-kit';

// Ids of up to 255 characters (the OpenAPI maxLength of externalId and sku), in any script, reach the
// route; a longer one is the route's own 400 naming the field, not a router error.

describe('path parameters of any valid length', () => {
  let app: NestFastifyApplication;
  let baseUrl: string;

  beforeAll(async () => {
    ({ app, baseUrl } = await startServiceUnderTest());
  });

  afterAll(async () => {
    await app?.close();
  });

  const get = async (id: string) => {
    const response = await fetch(`${baseUrl}/v1/items/${encodeURIComponent(id)}`, { headers: { 'x-correlation-id': 'long-id-1' } });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, body: JSON.parse(text) as Record<string, unknown> };
  };

  it.each([
    ['ASCII', 'L'.repeat(255)],
    ['3-byte UTF-8 (2,295 characters percent-encoded)', '€'.repeat(255)],
    ['astral characters', '𝄞'.repeat(127) + 'x'],
  ])('reaches the route with an id of 255 characters: %s', async (_kind, id) => {
    const response = await get(id);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ id });
  });

  it.each([
    ['256 characters', 'L'.repeat(256)],
    ['150 characters percent-encoded to 1,350', '€'.repeat(150) + 'L'.repeat(106)],
    ['9,000 characters', 'L'.repeat(9_000)],
  ])('answers an id of %s with the route\'s 400 naming the field, short, with the correlation id', async (_kind, id) => {
    const response = await get(id);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.headers.get('x-correlation-id')).toBe('long-id-1');
    expect(response.body).toMatchObject({ status: 400, code: 'validation_failed', errors: [expect.objectContaining({ field: 'path.id', code: 'too_big' })] });
    // The id is not echoed in `detail`; `instance` (the path) is left out once longer than any valid path.
    expect(response.body['detail']).not.toContain('LLLL');
    if (id.length > 4_096) {
      expect(response.body['instance']).toBeUndefined();
      expect(response.text.length).toBeLessThan(1_000);
    } else {
      expect(response.body['instance']).toBe(`/v1/items/${encodeURIComponent(id)}`);
    }
  });
});
