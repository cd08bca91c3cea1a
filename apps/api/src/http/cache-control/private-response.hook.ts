import type { ResponseHeaderDoc, ResponseHeaderSpec } from '@pulse/service-runtime';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TenantRequest } from '../../auth/tenant-auth.guard';

/**
 * Any cache may keep an answer only for the client that asked (`private`: never a shared cache or CDN),
 * and must revalidate it before reuse (`no-cache`), which the ETag makes a cheap 304.
 */
export const PRIVATE_CACHE_CONTROL = 'private, no-cache';

/**
 * Fastify onSend hook: every answer of a tenant-authenticated route (TenantAuthGuard marks the request
 * `tenantRoute` before it looks at the key), refusals included, gets `Cache-Control: private, no-cache`
 * and `Vary: Authorization`, so no cache in front of the api can serve one tenant's answer to another
 * key. Public routes (probes, /openapi.json, /docs) keep their own headers, as do requests refused
 * before the guard (no route, or a JSON body over the limit). A callback hook, as etagHook is.
 */
export function privateResponseHook(request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: null, payload: unknown) => void): void {
  if ((request as TenantRequest).tenantRoute) {
    void reply.header('cache-control', PRIVATE_CACHE_CONTROL);
    void reply.header('vary', withVary(reply.getHeader('vary'), 'Authorization'));
  }
  done(null, payload);
}

/** A Vary value with `name` added, unless it is there already (in any letter case) or Vary is `*`. */
export function withVary(current: string | number | string[] | undefined, name: string): string {
  // Most answers have no Vary yet (an uncompressed body): skip the parsing, on every request.
  if (current === undefined || current === '') return name;
  const tokens = (Array.isArray(current) ? current : [String(current ?? '')])
    .flatMap((value) => value.split(','))
    .map((token) => token.trim())
    .filter(Boolean);
  const present = tokens.some((token) => token === '*' || token.toLowerCase() === name.toLowerCase());
  return (present ? tokens : [...tokens, name]).join(', ');
}

/** The two headers as the OpenAPI document describes them (components.headers). */
export const PRIVATE_RESPONSE_HEADER_DOCS: Record<string, ResponseHeaderDoc> = {
  'Cache-Control': {
    description: '`private, no-cache`: the answer is for this API key only; no shared cache may store it, and a client revalidates it (If-None-Match) before reusing it.',
    schema: { type: 'string', enum: [PRIVATE_CACHE_CONTROL] },
    required: true,
  },
  Vary: {
    description: 'Names `Authorization` (and `accept-encoding` when the body is compressed): the answer depends on the API key.',
    schema: { type: 'string' },
    required: true,
  },
};

const ref = (name: string): ResponseHeaderSpec => ({ $ref: `#/components/headers/${name}` });

/**
 * The two headers on one status of an authenticated route: on every answer, but a 413 may lack them
 * when Fastify gave it before any guard, for a JSON body over its limit (a 415 comes after the guards:
 * libs/platform/service-runtime/src/http/body-media-type.ts).
 */
export function privateResponseHeaders(status: string): Record<string, ResponseHeaderSpec> {
  if (status === '413') {
    const absent = ' Absent when the body was refused before authentication.';
    return Object.fromEntries(
      Object.entries(PRIVATE_RESPONSE_HEADER_DOCS).map(([name, doc]) => [name, { description: `${doc.description}${absent}`, schema: doc.schema, required: false }]),
    );
  }
  return { 'Cache-Control': ref('Cache-Control'), Vary: ref('Vary') };
}
