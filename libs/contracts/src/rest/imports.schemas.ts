import { z } from 'zod';
import { canonicalEntitySchema } from '../entities/canonical-entity.schema';

/** REST DTOs of the imports resource (POST /v1/imports/{entity}, GET /v1/imports...). camelCase. */

export const importStatusSchema = z.enum(['queued', 'running', 'succeeded', 'partially_succeeded', 'failed']);
export type ImportStatus = z.infer<typeof importStatusSchema>;

export const importModeSchema = z.enum(['upsert', 'replace']);
export type ImportMode = z.infer<typeof importModeSchema>;

export const importFormatSchema = z.enum(['csv', 'ndjson']);
export type ImportFormat = z.infer<typeof importFormatSchema>;

/** What a row whose customer/order reference matches nothing becomes: a rejection (default) or a stub parent. */
export const unknownReferencePolicySchema = z.enum(['reject', 'create_stub']);
export type UnknownReferencePolicy = z.infer<typeof unknownReferencePolicySchema>;

/** Share of rejected rows above which an import fails and applies nothing (10 % unless the upload says otherwise). */
export const DEFAULT_MAX_REJECTED_SHARE = 0.1;

/** Options of one import, stored with it (imports.options) and applied by the loader. */
export const importOptionsSchema = z.object({
  onUnknownReference: unknownReferencePolicySchema.default('reject'),
  maxRejectedShare: z.number().min(0).max(1).default(DEFAULT_MAX_REJECTED_SHARE),
});
export type ImportOptions = z.output<typeof importOptionsSchema>;

export const importLinksSchema = z.object({
  self: z.string(),
  errors: z.string(),
});

/** The 202 of an upload (and its Idempotency-Key replays, which return the first answer): always queued. */
export const importAcceptedSchema = z.object({
  importId: z.uuid(),
  status: z.literal('queued'),
  links: importLinksSchema,
});
export type ImportAcceptedDto = z.infer<typeof importAcceptedSchema>;

export const importSchema = z.object({
  id: z.uuid(),
  entity: canonicalEntitySchema,
  status: importStatusSchema,
  mode: importModeSchema,
  format: importFormatSchema.nullable(),
  /** `upload`, or `source-sync` for imports made by a source's sync. */
  origin: z.enum(['upload', 'source-sync']),
  sourceId: z.uuid().nullable(),
  onUnknownReference: unknownReferencePolicySchema,
  maxRejectedShare: z.number(),
  /** Data records read from the file (the header is not a record). */
  rowsReceived: z.number().int().nonnegative(),
  rowsLoaded: z.number().int().nonnegative(),
  rowsRejected: z.number().int().nonnegative(),
  /**
   * Rows of the entity the import deleted: with mode=replace, those the file does not have; for a source's
   * full read, those the source no longer has. Rows of other entities deleted with them (a customer's
   * orders, by cascade) are not counted. 0 for an upsert.
   */
  rowsDeleted: z.number().int().nonnegative(),
  createdAt: z.iso.datetime(),
  startedAt: z.iso.datetime().nullable(),
  finishedAt: z.iso.datetime().nullable(),
  /** Milliseconds from start to finish; null until finished. */
  durationMs: z.number().int().nonnegative().nullable(),
  timings: z
    .record(z.string(), z.number().int().nonnegative())
    .describe(
      'Milliseconds per loading step of the run that finished the import (staging, resolveReferences, validate, upsert or insertIntoEmptyTable, stagedFileAndWarehouse, and the steps an import needs: aliases, createStubs, replaceDelete, ...); empty until finished.',
    ),
  /** Why the import failed as a whole (stable code, e.g. `rejected_share_exceeded`, `unreadable_file`). */
  errorCode: z.string().nullable(),
  error: z.string().nullable(),
  links: importLinksSchema,
});
export type ImportDto = z.infer<typeof importSchema>;

export const importPageSchema = z.object({
  items: z.array(importSchema),
  nextCursor: z.string().nullable().describe('Pass as `cursor` to read the next page; null on the last page.'),
});
export type ImportPageDto = z.infer<typeof importPageSchema>;

export const importErrorSchema = z.object({
  /** 1-based physical line where the record starts (the header is line 1); 0 for the whole file. */
  line: z.number().int().nonnegative(),
  /** The file's name for the field at fault (CSV header as written, NDJSON key); null when the row as a whole is. */
  column: z.string().nullable(),
  reasonCode: z.string(),
  message: z.string(),
  /** The record as the file has it; for rows the loader rejects, the row as staged (JSON): docs/ingestion.md. */
  rawRow: z.string().nullable(),
});
export type ImportErrorDto = z.infer<typeof importErrorSchema>;

export const importErrorPageSchema = z.object({
  items: z.array(importErrorSchema),
  nextCursor: z.string().nullable().describe('Pass as `cursor` to read the next page; null on the last page.'),
});
export type ImportErrorPageDto = z.infer<typeof importErrorPageSchema>;
