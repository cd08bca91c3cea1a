import { CANONICAL_ENTITIES, importModeSchema, importStatusSchema, unknownReferencePolicySchema, DEFAULT_MAX_REJECTED_SHARE } from '@pulse/contracts';
import { z } from 'zod';
import { queryDecimal, queryInteger } from '@pulse/service-runtime';

/** Request shapes of the imports routes (the response DTOs are in @pulse/contracts). */

export const uploadParams = z.strictObject({ entity: z.enum(CANONICAL_ENTITIES) });

export const uploadQuery = z.strictObject({
  mode: importModeSchema.default('upsert').describe('upsert (default) or replace: see docs/ingestion.md for what replace deletes.'),
  onUnknownReference: unknownReferencePolicySchema
    .default('reject')
    .describe('A row whose customer/order reference matches nothing is rejected (default) or its parent is created as a stub.'),
  maxRejectedShare: queryDecimal(z.number().min(0).max(1).default(DEFAULT_MAX_REJECTED_SHARE)).describe('Share of rejected rows (0-1) above which the import fails and loads nothing. Default 0.1.'),
  mapping: z
    .string()
    .max(16_384)
    .optional()
    .describe('Column mapping as JSON (importMappingSchema); may also be sent in the Import-Mapping header.'),
});

export const importIdParams = z.strictObject({ id: z.uuid() });

export const listImportsQuery = z.strictObject({
  limit: queryInteger(z.number().int().min(1).max(200).default(50)),
  cursor: z.string().max(1024).optional(),
  entity: z.enum(CANONICAL_ENTITIES).optional(),
  status: importStatusSchema.optional(),
});

export const listImportErrorsQuery = z.strictObject({
  limit: queryInteger(z.number().int().min(1).max(1000).default(100)),
  cursor: z.string().max(1024).optional(),
});
