import { ValidationError } from '@pulse/errors';
import type { FastifyRequest } from 'fastify';

/** Bytes of ASCII only read the same in Latin-1 and UTF-8: most headers need no decoding. */
const NON_ASCII = /[\u0080-\uffff]/;
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A request header read as the UTF-8 text clients send (curl, fetch and most SDKs write a header's
 * characters as UTF-8 bytes). Node hands header values over as Latin-1, one character per byte, which
 * would turn `Código` into `CÃ³digo`; so the bytes are decoded again as UTF-8. Bytes that are not UTF-8
 * are a 400 naming the header rather than a guess at their encoding. The first value of a repeated header.
 */
export function utf8HeaderOf(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers[name];
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || !NON_ASCII.test(value)) return value;
  try {
    return UTF8.decode(Buffer.from(value, 'latin1'));
  } catch {
    throw new ValidationError([
      { field: `header.${name}`, code: 'invalid_encoding', message: `The ${name} header is not valid UTF-8: send its text as UTF-8 (or, in JSON, as \\u escapes).` },
    ]);
  }
}
