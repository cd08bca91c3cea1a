import type { Readable } from 'node:stream';

/**
 * Source column types reduced to what the pipeline distinguishes. `timestamp` has no zone (read in the
 * tenant's timezone downstream); `timestamptz` is an instant. The driver's own name stays in `sourceType`.
 */
export type NormalisedType =
  | 'text'
  | 'integer'
  | 'decimal'
  | 'float'
  | 'boolean'
  | 'date'
  | 'timestamp'
  | 'timestamptz'
  | 'time'
  | 'json'
  | 'binary'
  | 'unknown';

export interface DiscoveredColumn {
  name: string;
  type: NormalisedType;
  sourceType: string;
  nullable: boolean;
}

/** A table, sheet tab, endpoint or file set: something a source can be asked to read. */
export interface DiscoveredStream {
  name: string;
  columns: DiscoveredColumn[];
  primaryKey: string[];
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * One source row. Values are JSON: exact numbers and instants that JavaScript cannot hold (bigint,
 * numeric, microsecond timestamps) arrive as text, so nothing is rounded on the way to the loader.
 */
export type SourceRecord = Record<string, JsonValue>;

/** Per-stream resume position, stored as JSON in `sync_states.cursor`; each connector owns its shape. */
export type StreamState = { [key: string]: JsonValue };

/** A file found by a storage connector: handed to the import parser as is (same path as an upload). */
export interface SourceFile {
  /** gs://bucket/name, s3://bucket/key or the https URL. */
  uri: string;
  format: 'csv' | 'ndjson';
  /** GCS generation, S3/HTTP ETag: what makes this version of the file distinct. */
  version: string;
  size: number | null;
  open(): Promise<Readable>;
}

export type SourcePage =
  | { kind: 'records'; records: SourceRecord[]; state: StreamState; done: boolean }
  | { kind: 'file'; file: SourceFile; state: StreamState; done: boolean }
  | { kind: 'empty'; state: StreamState; done: true };

export interface ReadOptions {
  /** True on the first page of a sync run: connectors restart full reads and rewind for the lookback here. */
  syncStart: boolean;
}

/**
 * The one interface every connector implements. A sync is a loop of `readPage` calls, each given the
 * state returned by the previous page, until `done`. The caller commits a page's data and its state in
 * the same transaction, so a crash replays at most the uncommitted page and never skips one.
 */
export interface SourceConnector {
  readonly kind: string;
  discover(): Promise<DiscoveredStream[]>;
  readPage(state: StreamState | null, options: ReadOptions): Promise<SourcePage>;
  close(): Promise<void>;
}
