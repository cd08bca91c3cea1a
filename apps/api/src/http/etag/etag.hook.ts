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
 * Fastify onSend hook: every successful JSON GET gets an ETag of its body, and a matching
 * If-None-Match gets 304 without the body. Runs on the serialised JSON, before compression.
 */
export async function etagHook(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  if ((request.method !== 'GET' && request.method !== 'HEAD') || reply.statusCode !== 200) return payload;
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
