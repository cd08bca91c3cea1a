import { z } from 'zod';
import { ConflictError, DomainError, NotFoundError } from './domain-error';
import { toProblemDetails } from './problem-details';
import { validationErrorFromZod } from './zod-issues';

describe('toProblemDetails', () => {
  it('maps a domain error to its status, stable code and message', () => {
    const problem = toProblemDetails(new ConflictError('tenant.slug_taken', 'A tenant with slug "acme" exists.'), '/v1/tenants');

    expect(problem).toEqual({
      type: 'urn:pulse:problem:tenant.slug_taken',
      title: 'Conflict',
      status: 409,
      detail: 'A tenant with slug "acme" exists.',
      code: 'tenant.slug_taken',
      instance: '/v1/tenants',
    });
  });

  it.each([
    ['invalid_input', 400],
    ['unauthenticated', 401],
    ['forbidden', 403],
    ['not_found', 404],
    ['conflict', 409],
    ['unprocessable', 422],
    ['rate_limited', 429],
    ['unavailable', 503],
    ['internal', 500],
  ] as const)('maps kind %s to HTTP %i', (kind, status) => {
    expect(toProblemDetails(new DomainError(kind, 'some_code', 'x')).status).toBe(status);
  });

  it('lists each invalid field, named after where it came from', () => {
    const schema = z.object({ slug: z.string().min(3), hostnames: z.array(z.string()) });
    const parsed = schema.safeParse({ slug: 'a', hostnames: ['ok', 7] });
    if (parsed.success) throw new Error('expected a validation failure');

    const problem = toProblemDetails(validationErrorFromZod(parsed.error, 'body'));

    expect(problem.status).toBe(400);
    expect(problem.code).toBe('validation_failed');
    expect(problem.detail).toBe('The request has 2 invalid fields.');
    expect(problem.errors?.map((e) => e.field)).toEqual(['body.slug', 'body.hostnames.1']);
    expect(problem.errors?.[0]?.code).toBe('too_small');
  });

  it('names each unknown key of a strict object as its own field', () => {
    const parsed = z.strictObject({ limit: z.number().optional(), nested: z.strictObject({ a: z.number() }) }).safeParse({ colour: 'x', size: 1, nested: { a: 1, b: 2 } });
    if (parsed.success) throw new Error('expected a validation failure');

    const problem = toProblemDetails(validationErrorFromZod(parsed.error, 'query'));

    expect(problem.errors).toEqual(
      expect.arrayContaining([
        { field: 'query.colour', code: 'unrecognized_keys', message: 'Unknown field "colour".' },
        { field: 'query.size', code: 'unrecognized_keys', message: 'Unknown field "size".' },
        { field: 'query.nested.b', code: 'unrecognized_keys', message: 'Unknown field "b".' },
      ]),
    );
    expect(problem.errors).toHaveLength(3);
  });

  it('hides the message of unexpected errors', () => {
    const problem = toProblemDetails(new Error('password authentication failed for user "pulse"'));

    expect(problem).toMatchObject({ status: 500, code: 'internal_error', title: 'Internal Server Error' });
    expect(problem.detail).not.toContain('password');
  });

  it('knows which failures are worth retrying', () => {
    expect(new DomainError('unavailable', 'db_down', 'x').retryable).toBe(true);
    expect(new NotFoundError('tenant.not_found', 'x').retryable).toBe(false);
  });
});
