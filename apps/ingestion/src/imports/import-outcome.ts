import type { CanonicalEntity, ImportStatus } from '@pulse/contracts';

/** How an import ended (also what ingestion.completed.v1 / ingestion.failed.v1 say). */
export interface ImportOutcome {
  importId: string;
  entity: CanonicalEntity;
  status: Extract<ImportStatus, 'succeeded' | 'partially_succeeded' | 'failed'>;
  rowsReceived: number;
  rowsLoaded: number;
  rowsRejected: number;
  /** Rows a replace or a source's delete detection deleted (not counted for an import found already finished). */
  rowsDeleted?: number;
  /** Stable reason of a failure: `rejected_share_exceeded`, `empty_replace`, or the parser's/storage's code. */
  errorCode: string | null;
  error: string | null;
  startedAt: Date;
  finishedAt: Date;
  /** false when this call found the import already finished (a redelivery) and did nothing. */
  ranNow: boolean;
}
