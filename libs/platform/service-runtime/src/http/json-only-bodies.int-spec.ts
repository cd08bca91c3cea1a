import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { startServiceUnderTest } from './service-under-test.int-kit';

// A route's body is JSON: a body of another media type is 415, left unread and refused by
// BodyMediaTypeGuard (after the service's authentication guard; a route that takes other media types
// registers a parser for them itself, as the api's import upload does).

describe('request bodies of other media types than JSON', () => {
  let app: NestFastifyApplication;
  let baseUrl: string;

  beforeAll(async () => {
    ({ app, baseUrl } = await startServiceUnderTest());
  });

  afterAll(async () => {
    await app?.close();
  });

  const put = async (contentType: string, body: string) => {
    const response = await fetch(`${baseUrl}/v1/items/abc`, { method: 'PUT', headers: { 'content-type': contentType, 'x-correlation-id': 'media-1' }, body });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };

  it.each([
    ['application/x-www-form-urlencoded', 'name=a'],
    ['text/plain', '{"name":"a"}'],
    ['text/plain; charset=utf-8', 'a'],
    ['application/xml', '<item name="a"/>'],
    ['multipart/form-data; boundary=x', '--x--'],
  ])('refuses %s with 415 problem+json', async (contentType, body) => {
    const response = await put(contentType, body);
    expect(response.status).toBe(415);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.headers.get('x-correlation-id')).toBe('media-1');
    expect(response.body).toMatchObject({ status: 415, code: 'unsupported_media_type', instance: '/v1/items/abc' });
  });

  it('refuses a Content-Type that is no media type, and a body without one, with 415 naming what was sent', async () => {
    const nonsense = await put('nonsense', '{"name":"a"}');
    expect(nonsense).toMatchObject({ status: 415, body: { code: 'unsupported_media_type', detail: 'Send the body as application/json, not nonsense.' } });
    const response = await fetch(`${baseUrl}/v1/items/abc`, { method: 'PUT', body: new Uint8Array(Buffer.from('{"name":"a"}')) });
    expect(response.status).toBe(415);
    expect(await response.json()).toMatchObject({ code: 'unsupported_media_type', detail: 'Send the body as application/json, with a Content-Type header saying so.' });
  });

  it('refuses them unread: a form over the body limit is still a 415, not a 413', async () => {
    expect((await put('application/x-www-form-urlencoded', `name=${'a'.repeat(1_100_000)}`)).status).toBe(415);
  });

  it('takes JSON, with or without a charset', async () => {
    expect(await put('application/json', '{"name":"a"}')).toMatchObject({ status: 200, body: { id: 'abc', name: 'a' } });
    expect(await put('application/json; charset=utf-8', '{"name":"b"}')).toMatchObject({ status: 200, body: { id: 'abc', name: 'b' } });
  });
});
