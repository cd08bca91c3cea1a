import type { ApiResponseDoc, OpenApiInfo, ResponseHeaderDoc, ResponseHeaderSpec } from '@pulse/service-runtime';
import { z } from 'zod';
import { PRIVATE_RESPONSE_HEADER_DOCS, privateResponseHeaders } from './cache-control/private-response.hook';
import { isTaggedRoute } from './etag/etag.hook';

type RouteConventions = NonNullable<OpenApiInfo['responseHeaders']>;

const integer = { type: 'integer', minimum: 0 };
const ref = (name: string): ResponseHeaderSpec => ({ $ref: `#/components/headers/${name}` });

/**
 * The headers the api's responses refer to (components.headers of the document). Which response carries
 * which follows the order a request goes through: Fastify refuses a JSON body over the limit (413) before
 * any guard; then TenantAuthGuard (401, 403 tenant/host, 400 for two Authorization headers, 503 when the
 * control plane does not answer), RateLimitGuard (sets the RateLimit-* headers, or 429), ApiKeyScopeGuard
 * (403 insufficient_scope), the media-type guards (415 for a body Fastify left unread), the body and query
 * guards (400) and the route. Only what comes after RateLimitGuard carries its headers.
 */
export const API_RESPONSE_HEADERS: Record<string, ResponseHeaderDoc> = {
  'X-Correlation-Id': {
    description: "The request's correlation id: the one the client sent in X-Correlation-Id, or a new one. It names the request in the api's logs.",
    schema: { type: 'string' },
    required: true,
  },
  'RateLimit-Limit': {
    description: "Requests allowed at once by the replica that answered: its share of the tenant plan's burst (the burst divided by the api replicas live).",
    schema: integer,
    required: true,
  },
  'RateLimit-Remaining': { description: 'Requests left before the limit.', schema: integer, required: true },
  'RateLimit-Reset': { description: 'Seconds until the full burst is available again.', schema: integer, required: true },
  'Retry-After': { description: 'On a 429: seconds until a request is allowed again; on a 503: seconds to wait before retrying.', schema: integer, required: true },
  ETag: { description: 'A weak tag of the JSON body; send it as If-None-Match to get 304 while it is unchanged.', schema: { type: 'string' }, required: true },
  'WWW-Authenticate': {
    description: 'The RFC 6750 Bearer challenge: `Bearer` (no key), `Bearer error="invalid_token"` (a key that is not valid), `Bearer error="insufficient_scope", scope="write"` (a 403 for the scope), `Bearer error="invalid_request"` (a 400 for two Authorization headers).',
    schema: { type: 'string' },
    required: true,
  },
  'Idempotent-Replayed': {
    description: '`true` when the response is the replay of the first response to the same Idempotency-Key; absent otherwise.',
    schema: { type: 'string', enum: ['true'] },
  },
  ...PRIVATE_RESPONSE_HEADER_DOCS,
};

const CORRELATION: Record<string, ResponseHeaderSpec> = { 'X-Correlation-Id': ref('X-Correlation-Id') };
const RATE_LIMIT: Record<string, ResponseHeaderSpec> = { 'RateLimit-Limit': ref('RateLimit-Limit'), 'RateLimit-Remaining': ref('RateLimit-Remaining'), 'RateLimit-Reset': ref('RateLimit-Reset') };

/** The same headers on a status some of whose answers come before RateLimitGuard: declared, not required. */
function sometimes(headers: Record<string, ResponseHeaderSpec>, when: string): Record<string, ResponseHeaderSpec> {
  return Object.fromEntries(
    Object.keys(headers).map((name) => {
      const doc = API_RESPONSE_HEADERS[name] as ResponseHeaderDoc;
      return [name, { description: `${doc.description} ${when}`, schema: doc.schema, required: false }];
    }),
  );
}

const RATE_LIMIT_AFTER_AUTH_ONLY = (when: string) => sometimes(RATE_LIMIT, when);

/**
 * What any authenticated route may answer before it runs (TenantAuthGuard, RateLimitGuard, ApiKeyScopeGuard,
 * the query guard), and the 503 any of them may answer when a database (the control plane resolving the
 * key, or the tenant's) cannot be reached or does not answer in time (ProblemDetailsFilter).
 */
const AUTHENTICATED_ROUTE_RESPONSES: Record<number, ApiResponseDoc> = {
  400: {
    additive: true,
    description:
      'validation_failed: a path or query parameter that is not valid, or one the route does not take (each field named in `errors`); ' +
      'auth.multiple_authorization_headers: two Authorization headers; invalid_host: a Host, X-Forwarded-Host or Forwarded host that is not host[:port], two Host headers, ' +
      'or more than 5 hosts in X-Forwarded-Host or Forwarded',
  },
  401: { description: 'auth.missing_api_key or auth.invalid_api_key: no valid tenant API key' },
  403: {
    description:
      'tenant.suspended or tenant.offboarded; tenant.not_ready (the tenant is still being provisioned, or its provisioning failed); ' +
      'tenant_database_unavailable (the tenant stopped being live a moment ago, while its key was still cached); ' +
      'auth.host_mismatch (the host names another tenant); auth.tenant_not_served_here ' +
      '(a dedicated workload); auth.insufficient_scope (the key lacks the scope of the method)',
  },
  429: { description: "rate_limited: over the tenant plan's rate; retry after Retry-After seconds" },
  503: {
    description:
      'database_unavailable: the database cannot be reached or does not answer in time, or (on a GET or HEAD) the read lost a ' +
      'deadlock or serialization conflict with a concurrent write; tenant_database_busy: no connection to it became free in time. ' +
      'Retry after Retry-After seconds',
  },
};

/**
 * What a route answers for a body it does not take, on every method Fastify reads a body for: 413 before
 * any guard (so before authentication), 415 once the key is checked (service-runtime's body-media-type.ts).
 */
const BODY_RESPONSES: Record<number, ApiResponseDoc> = {
  413: { description: 'payload_too_large: the body is over the limit (1 MiB of JSON), refused before authentication' },
  415: { description: 'unsupported_media_type: a body that is not application/json, refused once the key is checked' },
};
const BODY_METHODS = new Set(['post', 'put', 'patch', 'delete']);

const NOT_MODIFIED: Record<number, ApiResponseDoc> = { 304: { description: 'Not Modified: If-None-Match matched the ETag; no body' } };

/** What a route that takes an Idempotency-Key answers for it (idempotency-store.ts usableClaim). */
const IDEMPOTENCY_RESPONSES: Record<number, ApiResponseDoc> = {
  409: { additive: true, description: 'idempotency_key_in_progress: a request with this Idempotency-Key is still being processed; retry shortly' },
  422: { additive: true, description: 'idempotency_key_reused: this Idempotency-Key was used with a different request' },
};

/** Public routes take no query parameters (UndeclaredQueryGuard). */
const PUBLIC_ROUTE_RESPONSES: Record<number, ApiResponseDoc> = { 400: { description: 'validation_failed: a query parameter (these routes take none)' } };

/** Whether the route's success is JSON: the ETag hook tags only JSON (etag.hook.ts). */
function answersJson(responses: Record<number, ApiResponseDoc>): boolean {
  return Object.entries(responses).some(([status, response]) => Number(status) < 300 && (response.mediaTypes ?? [response.contentType ?? 'application/json']).some((type) => type.includes('json')));
}

/** The headers of one status of an authenticated route. */
function authenticatedHeaders(status: string, route: { tagged: boolean; idempotent: boolean; upload: boolean }): Record<string, ResponseHeaderSpec> {
  const code = Number(status);
  if (status === 'default') {
    return { ...CORRELATION, ...RATE_LIMIT_AFTER_AUTH_ONLY('Absent on answers given before the rate limit is counted.'), ...sometimes({ 'Retry-After': ref('Retry-After') }, 'On a 429 or 503 only.') };
  }
  if (code < 300) {
    return { ...CORRELATION, ...RATE_LIMIT, ...(route.tagged ? { ETag: ref('ETag') } : {}), ...(route.idempotent ? { 'Idempotent-Replayed': ref('Idempotent-Replayed') } : {}) };
  }
  switch (code) {
    case 304:
      return { ...CORRELATION, ...RATE_LIMIT, ETag: ref('ETag') };
    case 400:
      return {
        ...CORRELATION,
        ...RATE_LIMIT_AFTER_AUTH_ONLY('Absent on the 400 for two Authorization headers or for the hosts (invalid_host), refused before the rate limit.'),
        ...sometimes({ 'WWW-Authenticate': ref('WWW-Authenticate') }, 'Only on the 400 for two Authorization headers.'),
      };
    case 401:
      // Refused before the tenant (and so its rate limit) is known.
      return { ...CORRELATION, 'WWW-Authenticate': ref('WWW-Authenticate') };
    case 403:
      return {
        ...CORRELATION,
        ...RATE_LIMIT_AFTER_AUTH_ONLY('Only on auth.insufficient_scope and auth.host_mismatch: the other 403s come before the rate limit.'),
        ...sometimes({ 'WWW-Authenticate': ref('WWW-Authenticate') }, 'Only on auth.insufficient_scope.'),
      };
    case 413:
      // Fastify's refusal comes before any guard; the upload route's own 413 comes after the rate limit.
      return route.upload ? { ...CORRELATION, ...RATE_LIMIT_AFTER_AUTH_ONLY("Only on the upload route's own refusal, after authentication.") } : CORRELATION;
    case 415:
      // The media-type guards run after the rate limit, on every route.
      return { ...CORRELATION, ...RATE_LIMIT };
    case 429:
      return { ...CORRELATION, ...RATE_LIMIT, 'Retry-After': ref('Retry-After') };
    case 503:
      return { ...CORRELATION, ...RATE_LIMIT_AFTER_AUTH_ONLY("Absent when the control plane (resolving the key) did not answer."), 'Retry-After': ref('Retry-After') };
    default:
      // The route's own errors (404, 409, 422, its validation): after every guard.
      return { ...CORRELATION, ...RATE_LIMIT };
  }
}

/**
 * The headers and responses the api gives across routes, for its OpenAPI document
 * (OpenApiInfo.responseHeaders): X-Correlation-Id on every response; on every authenticated route
 * 400/401/403/429/503, for a method with a body 413/415, for one that takes an Idempotency-Key 409/422,
 * each with the headers it carries (see API_RESPONSE_HEADERS); on tagged JSON GETs the ETag and 304. A
 * route's own 400, 409 or 422 adds its codes to these (additive); its own 413, 415 or 429 replaces them.
 */
export const apiResponseHeaders: RouteConventions = (route) => {
  const tagged = route.method === 'get' && answersJson(route.doc.responses) && isTaggedRoute(route.path);
  const taggedResponses = tagged ? NOT_MODIFIED : {};
  if (route.public) {
    return {
      headersFor: (status) => ({ ...CORRELATION, ...(tagged && (status === '304' || (status !== 'default' && Number(status) < 300)) ? { ETag: ref('ETag') } : {}) }),
      responses: { ...(route.doc.query ? {} : PUBLIC_ROUTE_RESPONSES), ...taggedResponses },
    };
  }
  const facts = { tagged, idempotent: Boolean(route.doc.headers?.shape['idempotency-key']), upload: Boolean(route.doc.fileBody) };
  return {
    headersFor: (status) => ({ ...authenticatedHeaders(status, facts), ...privateResponseHeaders(status) }),
    responses: {
      ...AUTHENTICATED_ROUTE_RESPONSES,
      ...(BODY_METHODS.has(route.method) ? BODY_RESPONSES : {}),
      ...(facts.idempotent ? IDEMPOTENCY_RESPONSES : {}),
      ...taggedResponses,
    },
  };
};

/** The header of the POSTs marked @Idempotent, for their @ApiRoute `headers`. */
export const idempotencyKeyHeader = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255)
    // Visible ASCII, as the interceptor checks (idempotency.interceptor.ts).
    .regex(/^[\x21-\x7e]+$/)
    .optional()
    .describe('Makes a retry safe: the same key with the same request replays the first response; with another request it is a 422.'),
});
