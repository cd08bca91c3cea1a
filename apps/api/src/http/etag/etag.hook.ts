import { hash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Weak: the tag names the JSON, whichever content-coding (gzip or none) carries it. One-shot
 * crypto.hash: about half the cost of createHash().update().digest() for a single resource's JSON.
 */
export function weakEtag(body: string | Buffer): string {
  return `W/"${hash('sha256', body, 'base64url').slice(0, 32)}"`;
}

/** RFC 9110 If-None-Match: `*` or a list of tags, compared weakly (the W/ prefix is ignored). */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => opaque(tag) === opaque(etag));
}

/**
 * The probes are not tagged: a kubelet or load balancer never sends If-None-Match, so hashing their
 * body every few seconds would buy nothing, and /readyz's body is the live state of its checks, not a
 * representation to cache. (The same routes are untagged in the other services, which have no hook.)
 */
const UNTAGGED_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/readyz']);

/** Whether the hook tags a JSON GET of this route (its path as routed); the OpenAPI document declares ETag/304 by it. */
export function isTaggedRoute(path: string | undefined): boolean {
  return !UNTAGGED_ROUTES.has(path ?? '');
}

/**
 * Fastify onSend hook: every successful JSON GET (but the probes) gets an ETag of its body, and a
 * matching If-None-Match gets 304 without the body. Runs on the serialised JSON, before compression.
 * A callback hook, not an async one: it runs on every response, and an async hook costs a promise and
 * a turn of the microtask queue each time.
 */
export function etagHook(request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: null, payload: unknown) => void): void {
  done(null, taggedPayload(request, reply, payload));
}

function taggedPayload(request: FastifyRequest, reply: FastifyReply, payload: unknown): unknown {
  if ((request.method !== 'GET' && request.method !== 'HEAD') || reply.statusCode !== 200) return payload;
  if (!isTaggedRoute(request.routeOptions.url)) return payload;
  if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
  if (!String(reply.getHeader('content-type') ?? '').includes('json')) return payload;

  const etag = weakEtag(payload);
  void reply.header('etag', etag);
  if (!matchesIfNoneMatch(request.headers['if-none-match'], etag)) return payload;
  void reply.code(304);
  void reply.removeHeader('content-type');
  void reply.removeHeader('content-length');
  return '';
}
