import { NotFoundException, ServiceUnavailableException, type ArgumentsHost } from '@nestjs/common';
import { DomainError, ValidationError } from '@pulse/errors';
import Fastify from 'fastify';
import pino from 'pino';
import { ProblemDetailsFilter, problemFor } from './problem-details.filter';

describe('problemFor', () => {
  it('keeps the field errors of a validation failure', () => {
    const problem = problemFor(new ValidationError([{ field: 'query.limit', code: 'too_big', message: 'must be at most 500' }]), '/v1/customers');

    expect(problem).toEqual({
      type: 'urn:pulse:problem:validation_failed',
      title: 'Bad Request',
      status: 400,
      detail: 'The request has 1 invalid field.',
      code: 'validation_failed',
      instance: '/v1/customers',
      errors: [{ field: 'query.limit', code: 'too_big', message: 'must be at most 500' }],
    });
  });

  it('gives framework errors a stable code', () => {
    expect(problemFor(new NotFoundException('Cannot GET /nope'), '/nope')).toMatchObject({ status: 404, code: 'route_not_found' });
    const fastifyError = Object.assign(new Error("Unsupported Media Type: text/xml"), { statusCode: 415 });
    expect(problemFor(fastifyError, '/v1/imports')).toMatchObject({
      status: 415,
      code: 'unsupported_media_type',
      detail: 'Unsupported Media Type: text/xml',
    });
  });

  it('reports a failed readiness check with each dependency', () => {
    const terminusFailure = new ServiceUnavailableException({
      status: 'error',
      info: {},
      error: { postgres: { status: 'down', message: 'connection refused' } },
      details: { shutdown: { status: 'up' }, postgres: { status: 'down', message: 'connection refused' } },
    });

    expect(problemFor(terminusFailure, '/readyz')).toMatchObject({
      status: 503,
      code: 'not_ready',
      checks: { shutdown: { status: 'up' }, postgres: { status: 'down', message: 'connection refused' } },
    });
  });

  it('never shows the message of an unexpected error', () => {
    const problem = problemFor(new TypeError("Cannot read properties of undefined (reading 'rows')"), '/v1/customers');
    expect(problem).toMatchObject({ status: 500, code: 'internal_error' });
    expect(problem.detail).not.toContain('rows');
  });
});

describe('ProblemDetailsFilter', () => {
  // A Fastify server (inject: no sockets) whose only route throws `error` through the filter.
  async function answer(error: unknown, headers: Record<string, string> = {}, method: 'GET' | 'HEAD' | 'POST' = 'GET') {
    const server = Fastify();
    server.route({
      method: ['GET', 'HEAD', 'POST'],
      url: '/v1/tenants',
      exposeHeadRoute: false,
      handler: (request, reply) => {
        const host = { switchToHttp: () => ({ getRequest: () => request, getResponse: () => reply }) } as unknown as ArgumentsHost;
        new ProblemDetailsFilter(pino({ enabled: false })).catch(error, host);
        return reply;
      },
    });
    const response = await server.inject({ method, url: '/v1/tenants', headers });
    await server.close();
    return response;
  }

  it('gives every 401 a Bearer challenge, invalid_token when a Bearer token was sent (RFC 9110, RFC 6750)', async () => {
    const missing = await answer(new DomainError('unauthenticated', 'auth.missing_token', 'Send the token.'));
    expect([missing.statusCode, missing.headers['www-authenticate'], missing.json()]).toEqual([401, 'Bearer', expect.objectContaining({ code: 'auth.missing_token' })]);
    const invalid = await answer(new DomainError('unauthenticated', 'auth.invalid_token', 'Not valid.'), { authorization: 'Bearer nope' });
    expect(invalid.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    const otherScheme = await answer(new DomainError('unauthenticated', 'auth.missing_token', 'Send the token.'), { authorization: 'Basic dXNlcjpwYXNz' });
    expect(otherScheme.headers['www-authenticate']).toBe('Bearer');
    expect((await answer(new DomainError('forbidden', 'tenant.suspended', 'Suspended.'))).headers['www-authenticate']).toBeUndefined();
  });

  it('answers a database that does not answer with 503 database_unavailable and Retry-After, and a bug with 500 without', async () => {
    const timedOut = await answer(new Error('timeout expired'));
    expect([timedOut.statusCode, timedOut.headers['retry-after'], timedOut.headers['content-type']]).toEqual([503, '5', expect.stringMatching(/^application\/problem\+json/)]);
    expect(timedOut.json()).toMatchObject({ code: 'database_unavailable', detail: 'The database is not answering just now; retry in a few seconds.' });

    const busy = await answer(new DomainError('unavailable', 'tenant_database_busy', 'No connection became available.'));
    expect([busy.statusCode, busy.headers['retry-after']]).toEqual([503, '5']);

    const bug = await answer(new TypeError('x is undefined'));
    expect([bug.statusCode, bug.headers['retry-after'], bug.json().code]).toEqual([500, undefined, 'internal_error']);
  });

  it('answers a read that lost a deadlock or a serialization failure with 503 and Retry-After; a write that lost one stays a 500', async () => {
    const deadlock = Object.assign(new Error('deadlock detected'), { code: '40P01' });
    const serialization = Object.assign(new Error('could not serialize access due to concurrent update'), { code: '40001' });
    for (const error of [deadlock, serialization]) {
      const read = await answer(error);
      expect([read.statusCode, read.headers['retry-after']]).toEqual([503, '5']);
      expect(read.json()).toMatchObject({ code: 'database_unavailable', detail: 'A concurrent change to the data got in the way of this read; retry in a few seconds.' });
      expect(read.json().detail).not.toContain('deadlock');
      const head = await answer(error, {}, 'HEAD');
      expect([head.statusCode, head.headers['retry-after']]).toEqual([503, '5']);
      const write = await answer(error, {}, 'POST');
      expect([write.statusCode, write.headers['retry-after'], write.json().code]).toEqual([500, undefined, 'internal_error']);
    }
  });
});
