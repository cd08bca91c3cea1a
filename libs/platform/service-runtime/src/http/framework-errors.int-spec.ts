import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { sendRaw, startServiceUnderTest } from './service-under-test.int-kit';

// Requests refused before any route runs (by Node's HTTP parser or Fastify's router) get the same
// RFC 9457 problem+json as every other error, a stable code, a short detail that does not echo the
// input, and an X-Correlation-Id: the caller's when the request got that far, a new one otherwise.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('errors raised before routing', () => {
  let app: NestFastifyApplication;
  let baseUrl: string;
  let port: number;

  beforeAll(async () => {
    ({ app, baseUrl, port } = await startServiceUnderTest());
  });

  afterAll(async () => {
    await app?.close();
  });

  const request = (requestLine: string, headers: string[] = []) => sendRaw(port, [requestLine, `Host: 127.0.0.1:${port}`, ...headers, 'Connection: close', '', ''].join('\r\n'));

  it('answers a path that is not valid percent-encoding with 400 bad_request, echoing the correlation id', async () => {
    const response = await fetch(`${baseUrl}/v1/items/%ZZ`, { headers: { 'x-correlation-id': 'bad-url-1' } });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.headers.get('x-correlation-id')).toBe('bad-url-1');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({ type: 'urn:pulse:problem:bad_request', title: 'Bad Request', status: 400, code: 'bad_request', detail: expect.any(String), instance: '/v1/items/%ZZ' });
    expect(body['detail']).not.toContain('%ZZ');

    const generated = await fetch(`${baseUrl}/v1/items/${'L'.repeat(9_000)}%C3%28`);
    expect(generated.status).toBe(400);
    expect(generated.headers.get('x-correlation-id')).toMatch(UUID);
    expect((await generated.text()).length).toBeLessThan(500);
  });

  it('answers a header section over the limit with 431 problem+json and a new correlation id', async () => {
    for (const response of [
      await request('GET /v1/items HTTP/1.1', [`X-Big: ${'a'.repeat(100_000)}`]),
      await request(`GET /v1/items/${'L'.repeat(20_000)} HTTP/1.1`),
    ]) {
      expect(response.status).toBe(431);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.headers['x-correlation-id']).toMatch(UUID);
      expect(JSON.parse(response.body)).toEqual({
        type: 'urn:pulse:problem:headers_too_large',
        title: 'Request Header Fields Too Large',
        status: 431,
        code: 'headers_too_large',
        detail: expect.any(String),
      });
      expect(response.body.length).toBeLessThan(500);
    }
  });

  it('answers a method Node does not know with 501 method_not_implemented (RFC 9110 9.1)', async () => {
    const response = await request('FOO /v1/items HTTP/1.1');
    expect(response.status).toBe(501);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.headers['x-correlation-id']).toMatch(UUID);
    expect(JSON.parse(response.body)).toMatchObject({ status: 501, code: 'method_not_implemented', title: 'Not Implemented' });
  });

  it('answers a request that is not HTTP with 400 malformed_request', async () => {
    for (const response of [await request('GET /v1/items HTTP/1.1', ['Bad Header: x']), await sendRaw(port, '\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003\r\n\r\n')]) {
      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.headers['x-correlation-id']).toMatch(UUID);
      expect(JSON.parse(response.body)).toMatchObject({ status: 400, code: 'malformed_request', title: 'Bad Request' });
    }
  });

  it('keeps the 404 of a very long unknown path short', async () => {
    const response = await fetch(`${baseUrl}/nowhere/${'N'.repeat(9_000)}`);
    expect(response.status).toBe(404);
    const text = await response.text();
    expect(text.length).toBeLessThan(600);
    expect(JSON.parse(text)).toMatchObject({ code: 'route_not_found', detail: expect.stringMatching(/^Cannot GET \/nowhere\/N+…$/) });
  });
});
