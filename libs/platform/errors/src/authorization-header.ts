import { DomainError } from './domain-error';

/** What receives the refusal's challenge: a Fastify reply, or anything with its `header`. */
export interface ChallengeHeaderTarget {
  header(name: string, value: string): unknown;
}

/** RFC 6750 3.1: the challenge of a request refused as malformed rather than for its token. */
const INVALID_REQUEST_CHALLENGE = 'Bearer error="invalid_request"';
const AUTHORIZATION = /^authorization$/i;

/**
 * Whether the request has more than one Authorization header (`rawHeaders`: Node's name, value, name, ...
 * list, names as sent). Node keeps only the first in `request.headers` and drops the others.
 */
export function hasRepeatedAuthorization(rawHeaders: readonly string[]): boolean {
  let seen = false;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    if (name.length === 13 && AUTHORIZATION.test(name)) {
      if (seen) return true;
      seen = true;
    }
  }
  return false;
}

/**
 * Refuses a request with more than one Authorization header, whatever they hold: 400
 * `auth.multiple_authorization_headers` with a `Bearer error="invalid_request"` challenge, set on `reply`.
 * Using the first (what `request.headers` gives) would silently ignore the one a proxy or client added, and
 * another hop might use the other: ambiguous credentials are no credentials. Every service that takes a
 * Bearer token (the api's API keys, the registry's operator token) calls this before reading it.
 */
export function assertSingleAuthorizationHeader(rawHeaders: readonly string[], reply: ChallengeHeaderTarget): void {
  if (!hasRepeatedAuthorization(rawHeaders)) return;
  reply.header('www-authenticate', INVALID_REQUEST_CHALLENGE);
  throw new DomainError('invalid_input', 'auth.multiple_authorization_headers', 'Send one Authorization header, not several.');
}
