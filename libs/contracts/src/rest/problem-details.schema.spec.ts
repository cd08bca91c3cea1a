import { problemDetailsSchema } from './problem-details.schema';

describe('problemDetailsSchema', () => {
  it('accepts an RFC 9457 body with field errors', () => {
    const body = {
      type: 'urn:pulse:problem:validation_failed',
      title: 'Bad Request',
      status: 400,
      detail: 'The request has 1 invalid field.',
      code: 'validation_failed',
      errors: [{ field: 'body.slug', code: 'too_small', message: 'must be at least 3 characters' }],
    };
    expect(problemDetailsSchema.parse(body)).toEqual(body);
  });

  it('refuses a body without the stable code', () => {
    const result = problemDetailsSchema.safeParse({ type: 'about:blank', title: 'Oops', status: 500, detail: 'x' });
    expect(result.success).toBe(false);
  });
});
