import { z } from 'zod';
import { canonicalEntitySchema } from '../entities/canonical-entity.schema';
import { defineEvent } from './event-contract';

const uploadOrigin = z.object({
  kind: z.literal('upload'),
  /** Where the uploaded file is stored: `gs://bucket/key` in production, `file:///...` locally. */
  objectUri: z.string(),
  format: z.enum(['csv', 'ndjson']),
});

const sourceSyncOrigin = z.object({
  kind: z.literal('source-sync'),
  sourceId: z.string(),
  syncId: z.string(),
});

export const ingestionRequestedV1 = defineEvent({
  topic: 'ingestion.requested.v1',
  description: 'Data waits to be loaded into a tenant: an uploaded file or a source sync run.',
  payload: z.object({
    importId: z.string(),
    entity: canonicalEntitySchema,
    origin: z.discriminatedUnion('kind', [uploadOrigin, sourceSyncOrigin]),
    mode: z.enum(['upsert', 'replace']),
    /** Source column -> canonical field, with optional transforms; absent when the header is canonical. */
    mapping: z.record(z.string(), z.unknown()).optional(),
  }),
});

const rowCounts = {
  rowsReceived: z.number().int().nonnegative(),
  rowsLoaded: z.number().int().nonnegative(),
  rowsRejected: z.number().int().nonnegative(),
};

export const ingestionCompletedV1 = defineEvent({
  topic: 'ingestion.completed.v1',
  description: "An import finished and its good rows are in the tenant's database and warehouse.",
  payload: z.object({
    importId: z.string(),
    entity: canonicalEntitySchema,
    status: z.enum(['succeeded', 'partially_succeeded']),
    ...rowCounts,
    startedAt: z.iso.datetime(),
    finishedAt: z.iso.datetime(),
  }),
});

export const ingestionFailedV1 = defineEvent({
  topic: 'ingestion.failed.v1',
  description: 'An import failed as a whole (unreadable file, too many rejected rows); nothing of it was loaded.',
  payload: z.object({
    importId: z.string(),
    entity: canonicalEntitySchema,
    /** Stable reason code, e.g. `rejected_share_exceeded`, `unreadable_file`. */
    reason: z.string(),
    message: z.string(),
    ...rowCounts,
    failedAt: z.iso.datetime(),
  }),
});
