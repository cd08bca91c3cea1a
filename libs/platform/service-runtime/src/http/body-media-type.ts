import { Injectable, UnsupportedMediaTypeException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';

/** Requests whose body is of a media type the route does not take: left unread, refused once the key is checked. */
const unreadBodies = new WeakSet<FastifyRequest>();
/** The Content-Type of requests whose header is no media type at all, as sent (moved aside: see moveInvalidContentTypeAside). */
const invalidContentTypes = new WeakMap<FastifyRequest, string>();

/** Leaves the request's body unread, for BodyMediaTypeGuard (or a route's own media-type guard) to refuse after authentication. */
export function leaveBodyUnread(request: FastifyRequest): void {
  unreadBodies.add(request);
}

/** The Content-Type header as the client sent it (undefined: none). */
export function contentTypeAsSent(request: FastifyRequest): string | undefined {
  return invalidContentTypes.get(request) ?? request.headers['content-type'];
}

const TOKEN = /^[\w!#$%&'*+.^`|~-]+$/;

/**
 * Whether Fastify takes a Content-Type header for a media type (`type/subtype`, tokens, parameters
 * after `;`): the rule of its ContentType class, which answers a header that is not one with 415 as it
 * starts reading the body, before any guard.
 */
export function isMediaType(header: string): boolean {
  if (header === '' || header === 'undefined') return false;
  const mediaType = header.split(';', 1)[0] as string;
  const slash = mediaType.indexOf('/');
  return slash !== -1 && TOKEN.test(mediaType.slice(0, slash).trimStart()) && TOKEN.test(mediaType.slice(slash + 1).trimEnd());
}

/**
 * A Content-Type that is no media type (`nonsense`) is moved aside: kept for the 415, and removed from
 * the headers, so that Fastify takes the body as one without a media type (the catch-all parser's)
 * instead of answering 415 before authentication. A request without a body then has none, as with no
 * header.
 */
const moveInvalidContentTypeAside: onRequestHookHandler = (request, _reply, done) => {
  const header = request.headers['content-type'];
  if (header !== undefined && !isMediaType(header)) {
    invalidContentTypes.set(request, header);
    delete request.raw.headers['content-type'];
  }
  done();
};

/**
 * Fastify reads a body before any guard runs, and answers 415 for a media type it has no parser for:
 * a client without credentials would learn what the route takes before its 401. A catch-all parser takes
 * every media type no other parser takes (a form, `text/plain`, XML, a body without a Content-Type),
 * without reading a byte, and marks the request for BodyMediaTypeGuard, which the service registers
 * after its authentication guard (and, on the api, the rate limit and the key's scope) to refuse it with
 * 415. The body is never buffered: Node discards what is left of it once the answer is sent. JSON keeps
 * its parser (a body over the limit is still 413 before authentication: the limit is what keeps the
 * server from reading it), and a route that takes other media types registers parsers of its own (the
 * api's CSV and NDJSON upload: apps/api/src/imports/upload-content-type.ts).
 */
export function leaveOtherMediaTypesUnread(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', moveInvalidContentTypeAside);
  fastify.addContentTypeParser('*', (request, _payload, done) => {
    leaveBodyUnread(request);
    done(null, undefined);
  });
}

/** The 415 of a route whose body is JSON. */
export function unsupportedBodyType(contentType: string | undefined): UnsupportedMediaTypeException {
  return new UnsupportedMediaTypeException(
    contentType === undefined ? 'Send the body as application/json, with a Content-Type header saying so.' : `Send the body as application/json, not ${contentType}.`,
  );
}

/**
 * Refuses, with 415, a body the catch-all parser (or a route's own parser, on another route) left
 * unread. Every service whose routes take a body registers it as a global guard after its authentication
 * guard (and after any route's own media-type guard, which names the types that route takes); without
 * it, such a body would reach the route as no body at all.
 */
@Injectable()
export class BodyMediaTypeGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (!unreadBodies.has(request)) return true;
    throw unsupportedBodyType(contentTypeAsSent(request));
  }
}
