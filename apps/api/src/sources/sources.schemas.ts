import { z } from 'zod';
import { isPostgresInstant } from '../request-input/postgres-values';
import { queryInteger } from '@pulse/service-runtime';

/** Path and query parameters of /v1/sources (bodies are in @pulse/contracts). */
export const sourceIdParams = z.strictObject({ id: z.uuid() });

export const listQuery = z.strictObject({
  limit: queryInteger(z.number().int().min(1).max(200).default(50)),
  cursor: z.string().max(1024).optional(),
});

// Form and range: an edited cursor must not carry a time its timestamptz column cannot hold (month 13).
export const PAGE_CURSOR = z.strictObject({
  at: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
    .refine(isPostgresInstant),
  id: z.uuid(),
});
