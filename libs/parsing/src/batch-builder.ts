import type { CanonicalRow, ParsedBatch, RowRejection } from './parse-types';

/** Small, so that a consumer turning each batch into output at once keeps its rows short-lived (README, "Batch size"). */
export const DEFAULT_BATCH_SIZE = 1000;

/** Collects rows and rejects and cuts them into batches of `batchSize` items. */
export class BatchBuilder {
  rows: CanonicalRow[] = [];
  rejects: RowRejection[] = [];
  recordsRead = 0;
  lastLine = 0;
  fieldColumns: Readonly<Record<string, string>> = {};
  private emitted = false;

  constructor(private readonly batchSize: number) {}

  get full(): boolean {
    return this.rows.length + this.rejects.length >= this.batchSize;
  }

  take(): ParsedBatch {
    const batch: ParsedBatch = { rows: this.rows, rejects: this.rejects, recordsRead: this.recordsRead, lastLine: this.lastLine, fieldColumns: this.fieldColumns };
    this.rows = [];
    this.rejects = [];
    this.emitted = true;
    return batch;
  }

  /** The last batch: what is pending, or an empty batch if nothing was ever emitted (so callers get the counts). */
  final(): ParsedBatch | undefined {
    return this.rows.length + this.rejects.length > 0 || !this.emitted ? this.take() : undefined;
  }
}
