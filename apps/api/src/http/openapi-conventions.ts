import type { OpenApiInfo, ResponseHeaderDoc } from '@pulse/service-runtime';
import { z } from 'zod';

type RouteConventions = NonNullable<OpenApiInfo['responseHeaders']>;

const integer = { type: 'integer', minimum: 0 };

/** The rate-limit headers of every authenticated response (RateLimitGuard), errors included. */
const RATE_LIMIT_HEADERS: Record<string, ResponseHeaderDoc> = {
  'RateLimit-Limit': { description: "The tenant plan's burst: requests allowed at once.", schema: integer },
  'RateLimit-Remaining': { description: 'Requests left before the limit.', schema: integer },
  'RateLimit-Reset': { description: 'Seconds until the full burst is available again.', schema: integer },
};

const RETRY_AFTER: Record<string, ResponseHeaderDoc> = {
  'Retry-After': { description: 'On a 429: seconds until a request is allowed again; on a 503: seconds to wait before retrying.', schema: integer },
};

const ETAG: Record<string, ResponseHeaderDoc> = {
  ETag: { description: 'A weak tag of the JSON body; send it as If-None-Match to get 304 while it is unchanged.', schema: { type: 'string' } },
};

/**
 * What any authenticated route may answer before it runs (TenantAuthGuard, ApiKeyScopeGuard, RateLimitGuard),
 * and the 503 any of them may answer when a database (the control plane resolving the key, or the
 * tenant's) cannot be reached or does not answer in time (ProblemDetailsFilter).
 */
const AUTHENTICATED_ROUTE_RESPONSES: Record<number, { description: string }> = {
  401: { description: 'auth.missing_api_key or auth.invalid_api_key: no valid tenant API key' },
  403: {
    description:
      'tenant.suspended or tenant.offboarded; auth.host_mismatch (the host names another tenant); auth.tenant_not_served_here ' +
      '(a dedicated workload); auth.insufficient_scope (the key lacks the scope of the method)',
  },
  429: { description: "rate_limited: over the tenant plan's rate; retry after Retry-After seconds" },
  503: {
    description:
      'database_unavailable: the database cannot be reached or does not answer in time; tenant_database_busy: no connection ' +
      'to it became free in time. Retry after Retry-After seconds',
  },
};

const NOT_MODIFIED: Record<number, { description: string }> = { 304: { description: 'Not Modified: If-None-Match matched the ETag; no body' } };

/** Whether the route's success is JSON: the ETag hook tags only JSON (etag.hook.ts). */
function answersJson(responses: Record<number, { contentType?: string }>): boolean {
  return Object.entries(responses).some(([status, response]) => Number(status) < 300 && (response.contentType ?? 'application/json').includes('json'));
}

/**
 * The headers and responses the api gives across routes, for its OpenAPI document
 * (OpenApiInfo.responseHeaders): on every authenticated route the rate-limit headers and 401/403/429;
 * on its JSON GETs also the ETag and 304. Public routes (health, the document, /docs) get none of them.
 */
export const apiResponseHeaders: RouteConventions = (route) => {
  if (route.public) return {};
  const tagged = route.method === 'get' && answersJson(route.doc.responses);
  return {
    success: { ...RATE_LIMIT_HEADERS, ...(tagged ? ETAG : {}) },
    error: { ...RATE_LIMIT_HEADERS, ...RETRY_AFTER },
    responses: { ...AUTHENTICATED_ROUTE_RESPONSES, ...(tagged ? NOT_MODIFIED : {}) },
  };
};

/** The header of the POSTs marked @Idempotent, for their @ApiRoute `headers`. */
export const idempotencyKeyHeader = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255)
    .optional()
    .describe('Makes a retry safe: the same key with the same request replays the first response; with another request it is a 422.'),
});
