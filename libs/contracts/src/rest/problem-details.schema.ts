import { z } from 'zod';

/** One field-level reason a request was refused (RFC 9457 extension member `errors`). */
export const fieldErrorSchema = z.object({
  /** Where the bad value was: `body.slug`, `query.limit`, `header.idempotency-key`, ... */
  field: z.string(),
  code: z.string(),
  message: z.string(),
});

/**
 * RFC 9457 problem details, the body of every error response (`application/problem+json`). Open to
 * extension members (RFC 9457, 3.2), as some answers carry one: the readiness probe's `checks`.
 */
export const problemDetailsSchema = z.looseObject({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  /** Stable, documented, machine-readable error code; clients branch on this, not on `detail`. */
  code: z.string(),
  instance: z.string().optional(),
  errors: z.array(fieldErrorSchema).optional(),
});

export type FieldError = z.infer<typeof fieldErrorSchema>;
export type ProblemDetails = z.infer<typeof problemDetailsSchema>;

export const PROBLEM_JSON_CONTENT_TYPE = 'application/problem+json';
