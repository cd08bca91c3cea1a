import type { ResponseHeaderDoc } from '@pulse/service-runtime';
import { z } from 'zod';

const integer = { type: 'integer', minimum: 0 };

/** The rate-limit headers of every authenticated response (RateLimitGuard), errors included. */
const RATE_LIMIT_HEADERS: Record<string, ResponseHeaderDoc> = {
  'RateLimit-Limit': { description: "The tenant plan's burst: requests allowed at once.", schema: integer },
  'RateLimit-Remaining': { description: 'Requests left before the limit.', schema: integer },
  'RateLimit-Reset': { description: 'Seconds until the full burst is available again.', schema: integer },
};

const RETRY_AFTER: Record<string, ResponseHeaderDoc> = {
  'Retry-After': { description: 'On a 429: seconds until a request is allowed again.', schema: integer },
};

const ETAG: Record<string, ResponseHeaderDoc> = {
  ETag: { description: 'A weak tag of the JSON body; send it as If-None-Match to get 304 while it is unchanged.', schema: { type: 'string' } },
};

/** The response headers the api sets across routes, for its OpenAPI document (OpenApiInfo.responseHeaders). */
export function apiResponseHeaders(route: { method: string; public: boolean }) {
  if (route.public) return {};
  return {
    success: { ...RATE_LIMIT_HEADERS, ...(route.method === 'get' ? ETAG : {}) },
    error: { ...RATE_LIMIT_HEADERS, ...RETRY_AFTER },
  };
}

/** The header of the POSTs marked @Idempotent, for their @ApiRoute `headers`. */
export const idempotencyKeyHeader = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255)
    .optional()
    .describe('Makes a retry safe: the same key with the same request replays the first response; with another request it is a 422.'),
});
