import type { CanonicalEntity, ImportMapping } from '@pulse/contracts';

export interface ParseOptions {
  readonly entity: CanonicalEntity;
  readonly format: 'csv' | 'ndjson';
  readonly mapping?: ImportMapping;
  /** IANA timezone (the tenant's setting) in which timestamps without an offset are read. */
  readonly timezone: string;
  /** Data records to skip (already loaded before a crash); they are read, counted, not converted. */
  readonly skipRecords?: number;
  /** Rows + rejects per batch; default 5000. */
  readonly batchSize?: number;
}

export interface CanonicalRow {
  /** 1-based physical line where the record starts; the CSV header is line 1. */
  readonly line: number;
  /** Canonical field -> normalised text (see README); null when empty. */
  readonly values: Record<string, string | null>;
  /** Unmapped columns by key: typed scalars (see README), and NDJSON objects and arrays as they were. */
  readonly custom: Record<string, JsonValue>;
}

/** A JSON value, as `custom` holds it (it is stored as JSON). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface RowRejection {
  readonly line: number;
  /** The column as written in the file's header (or the canonical field when no column feeds it). */
  readonly column: string | null;
  readonly reasonCode: RejectionReason;
  readonly message: string;
  /** The record as text: the CSV record (re-quoted) or the NDJSON line. */
  readonly raw: string;
  /**
   * The entity's key fields the record does give readably (normalised like a row's values), when any:
   * the row the record was meant for, which a replace must keep and an order's line numbering must count.
   */
  readonly key?: Readonly<Record<string, string>>;
}

export type RejectionReason =
  | 'missing_required'
  | 'invalid_number'
  | 'invalid_integer'
  | 'invalid_date'
  | 'invalid_timestamp'
  | 'ambiguous_date'
  | 'invalid_json'
  | 'invalid_encoding'
  | 'invalid_value'
  | 'out_of_range'
  | 'too_long'
  | 'wrong_field_count';

export interface ParsedBatch {
  readonly rows: CanonicalRow[];
  readonly rejects: RowRejection[];
  /** Data records consumed so far, skipped ones included (blank lines are not records). */
  readonly recordsRead: number;
  /** Last physical line consumed so far. */
  readonly lastLine: number;
  /**
   * The file's own name for each canonical field a column feeds: the CSV header as written, or for NDJSON
   * the key as the mapping writes it (records may spell an unmapped key differently, so those are left
   * out). Known once the sample is read; the same object in every batch after that. For the loader's own
   * rejects (duplicate keys, unknown references), which name the field as the file does.
   */
  readonly fieldColumns: Readonly<Record<string, string>>;
}
