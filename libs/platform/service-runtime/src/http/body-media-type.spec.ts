import { isMediaType } from './body-media-type';

// Fastify's own reading of a Content-Type header (not part of its typed API): what isMediaType must agree with.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const FastifyContentType = require('fastify/lib/content-type') as new (header: string) => { isValid: boolean };

describe('isMediaType', () => {
  it('agrees with Fastify on which Content-Type headers are media types', () => {
    const headers = [
      'application/json',
      'text/csv; charset=utf-8',
      'TEXT/PLAIN',
      ' text/plain ',
      'application/vnd.api+json',
      'multipart/form-data; boundary=x',
      'text/plain;',
      'text/plain; nonsense',
      'nonsense',
      '',
      'undefined',
      '/json',
      'application/',
      'text /plain',
      'text/ plain',
      'a/b/c',
      'application/json; charset="utf-8"',
      'text/pl@in',
      '; charset=utf-8',
    ];
    expect(headers.map((header) => [header, isMediaType(header)])).toEqual(headers.map((header) => [header, new FastifyContentType(header).isValid]));
  });
});
