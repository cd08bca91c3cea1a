import type { ExecutionContext } from '@nestjs/common';
import Fastify, { type FastifyRequest } from 'fastify';
import { bodyParseErrorOf, jsonParserDeferringErrors } from './json-body-parser';
import { MalformedBodyGuard } from './malformed-body.guard';

// The parser on an in-process Fastify server (inject: no sockets): the route sees what the guard would.

function contextOf(request: FastifyRequest): ExecutionContext {
  return { switchToHttp: () => ({ getRequest: () => request }) } as unknown as ExecutionContext;
}

async function serverWithDeferringParser() {
  const server = Fastify({ bodyLimit: 64 });
  server.removeContentTypeParser('application/json');
  server.addContentTypeParser('application/json', { parseAs: 'string' }, jsonParserDeferringErrors(server.getDefaultJsonParser('error', 'error')));
  server.post('/echo', async (request) => {
    const error = bodyParseErrorOf(request) as (Error & { code?: string; statusCode?: number }) | undefined;
    let guard: string;
    try {
      guard = String(new MalformedBodyGuard().canActivate(contextOf(request)));
    } catch (thrown) {
      guard = thrown === error ? 'throws the parse error' : 'throws something else';
    }
    return { body: request.body ?? null, error: error ? { code: error.code, statusCode: error.statusCode, message: error.message } : null, guard };
  });
  await server.ready();
  return server;
}

describe('jsonParserDeferringErrors and MalformedBodyGuard', () => {
  let server: Awaited<ReturnType<typeof serverWithDeferringParser>>;
  const post = (payload: string, contentType = 'application/json') =>
    server.inject({ method: 'POST', url: '/echo', headers: { 'content-type': contentType }, payload });

  beforeAll(async () => {
    server = await serverWithDeferringParser();
  });

  afterAll(async () => {
    await server.close();
  });

  it('parses valid JSON as Fastify does, and the guard lets it through', async () => {
    const response = await post('{"asOf":"2026-01-01"}', 'application/json; charset=utf-8');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ body: { asOf: '2026-01-01' }, error: null, guard: 'true' });
  });

  it.each([
    ['not JSON', '{bad', 'FST_ERR_CTP_INVALID_JSON_BODY', "Body is not valid JSON but content-type is set to 'application/json'"],
    ['a prototype poisoning', '{"__proto__":{"admin":true}}', 'FST_ERR_CTP_INVALID_JSON_BODY', "Body is not valid JSON but content-type is set to 'application/json'"],
  ])('lets a body that is %s through without one, keeping Fastify\'s own 400 for the guard to throw', async (_name, payload, code, message) => {
    const response = await post(payload);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ body: null, error: { code, statusCode: 400, message }, guard: 'throws the parse error' });
  });

  it('takes an empty body as no body, with no error (clients send the JSON content type on bodiless requests)', async () => {
    const response = await post('');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ body: null, error: null, guard: 'true' });
  });

  it('still refuses a body over the limit itself, with 413, before any route or guard', async () => {
    const response = await post(JSON.stringify({ text: 'x'.repeat(100) }));
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
  });
});
