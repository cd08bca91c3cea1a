import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { startServiceUnderTest } from './service-under-test.int-kit';

// A method a path does not take is 405 with the methods it does take in Allow (RFC 9110 15.5.6), not
// the 404 of a path that does not exist.

describe('methods a path does not take', () => {
  let app: NestFastifyApplication;
  let baseUrl: string;

  beforeAll(async () => {
    ({ app, baseUrl } = await startServiceUnderTest());
  });

  afterAll(async () => {
    await app?.close();
  });

  const send = async (method: string, path: string, init: RequestInit = {}) => {
    const response = await fetch(`${baseUrl}${path}`, { method, ...init, headers: { 'x-correlation-id': 'method-1', ...(init.headers as Record<string, string>) } });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };

  it.each([
    ['DELETE', '/v1/items', 'GET, HEAD'],
    ['POST', '/v1/items', 'GET, HEAD'],
    ['PUT', '/v1/items', 'GET, HEAD'],
    ['OPTIONS', '/v1/items', 'GET, HEAD'],
    ['POST', '/v1/items/abc', 'GET, HEAD, PUT'],
    ['PATCH', '/v1/items/abc?x=1', 'GET, HEAD, PUT'],
    ['POST', '/healthz', 'GET, HEAD'],
  ])('answers %s %s with 405 and Allow: %s', async (method, path, allow) => {
    const response = await send(method, path);
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe(allow);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.headers.get('x-correlation-id')).toBe('method-1');
    expect(response.body).toMatchObject({ status: 405, title: 'Method Not Allowed', code: 'method_not_allowed', instance: path.split('?')[0] });
    expect(response.body['detail']).toContain(allow);
  });

  it('leaves a body sent with the wrong method unread', async () => {
    const response = await send('POST', '/v1/items', { headers: { 'content-type': 'application/json' }, body: '{not json' });
    expect([response.status, response.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
  });

  it('still answers 404 for a path no route has, whatever the method', async () => {
    for (const [method, path] of [
      ['GET', '/v1/nowhere'],
      ['DELETE', '/v1/items/a/b'],
      ['GET', '/v1/items/'],
    ]) {
      const response = await send(method as string, path as string);
      expect([method, path, response.status, response.body['code'], response.headers.get('allow')]).toEqual([method, path, 404, 'route_not_found', null]);
    }
  });

  it('serves the methods a path takes as before', async () => {
    expect((await send('GET', '/v1/items')).status).toBe(200);
    expect((await send('HEAD', '/v1/items')).status).toBe(200);
    expect((await send('PUT', '/v1/items/abc', { headers: { 'content-type': 'application/json' }, body: '{"name":"a"}' })).body).toEqual({ id: 'abc', name: 'a' });
  });
});
