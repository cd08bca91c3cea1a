import { z } from 'zod';

/** Path and query parameters of /v1/sources (bodies are in @pulse/contracts). */
export const sourceIdParams = z.strictObject({ id: z.uuid() });

export const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().optional(),
});

export const PAGE_CURSOR = z.strictObject({ at: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/), id: z.uuid() });
