import { NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { ValidationError } from '@pulse/errors';
import { problemFor } from './problem-details.filter';

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
