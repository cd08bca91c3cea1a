import { z } from 'zod';
import type { JsonValue, NormalisedType, SourceRecord, StreamState } from '../connector';
import { ConnectorError } from '../connector-errors';
import { compareCursorValues, shiftCursorBack } from './cursor-values';

export type SyncMode = 'incremental' | 'full_refresh';

export interface KeysetConfig {
  mode: SyncMode;
  /** Types of the ordering columns: cursor column(s) first, then the primary key column(s). */
  orderTypes: NormalisedType[];
  /** How many leading ordering columns are cursor columns (0 in full refresh: ordered by key only). */
  cursorColumns: number;
  /** Re-read window behind the high-water mark on each sync: seconds (temporal cursor) or units (numeric). */
  lookback: number;
}

const jsonScalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/**
 * What `sync_states.cursor` holds for a keyset stream:
 * - after:     the (cursor..., key...) tuple of the last row read by the scan in progress;
 * - from:      the lookback lower bound this scan started at (first cursor column, inclusive);
 * - highWater: the last tuple of the last completed scan, where the next sync starts;
 * - recent:    key -> cursor of rows already delivered inside the lookback window, so a re-read row
 *              that has not changed is not delivered twice (late rows and updates have no entry or a
 *              different cursor, and are).
 */
export const keysetStateSchema = z.object({
  v: z.literal(1),
  mode: z.enum(['incremental', 'full_refresh']),
  after: z.array(jsonScalar).nullable(),
  from: jsonScalar.nullable(),
  highWater: z.array(jsonScalar).nullable(),
  recent: z.record(z.string(), z.string()),
});
export type KeysetState = z.infer<typeof keysetStateSchema>;

export interface KeysetRow {
  record: SourceRecord;
  /** Exact values of the ordering columns, as the database will compare them. */
  tuple: JsonValue[];
}

export function parseKeysetState(state: StreamState | null, config: KeysetConfig): KeysetState | null {
  if (state === null) return null;
  const parsed = keysetStateSchema.safeParse(state);
  if (!parsed.success) throw new ConnectorError('invalid_sync_state', `The saved sync state is not a keyset position: ${parsed.error.message}`);
  // A mode change (e.g. incremental -> full refresh) starts over rather than misreading the old tuple.
  if (parsed.data.mode !== config.mode) return null;
  const width = config.orderTypes.length;
  for (const tuple of [parsed.data.after, parsed.data.highWater]) {
    if (tuple && tuple.length !== width) return null; // cursor or key columns were reconfigured: start over
  }
  return parsed.data;
}

/** Where the next page starts. A new sync rewinds: full refresh to the start, incremental by the lookback. */
export function positionScan(previous: KeysetState | null, config: KeysetConfig, syncStart: boolean): KeysetState {
  const empty: KeysetState = { v: 1, mode: config.mode, after: null, from: null, highWater: null, recent: {} };
  if (previous === null) return empty;
  if (!syncStart) return previous;
  if (config.mode === 'full_refresh') return { ...empty };
  if (config.lookback > 0 && previous.highWater) {
    const cursor = previous.highWater[0] as JsonValue;
    return { ...previous, after: null, from: shiftCursorBack(cursor, config.orderTypes[0] as NormalisedType, config.lookback) as string | number };
  }
  // Without a lookback the position never rewinds, so an interrupted scan simply continues.
  return previous;
}

function keyOf(tuple: JsonValue[], cursorColumns: number): string {
  return JSON.stringify(tuple.slice(cursorColumns));
}

function cursorOf(tuple: JsonValue[], cursorColumns: number): string {
  return JSON.stringify(tuple.slice(0, cursorColumns));
}

/**
 * Folds one page of rows (in keyset order) into the state: skips rows the lookback window already
 * delivered, advances the position, and on the last page moves the high-water mark.
 *
 * `recent` only ever holds the keys inside the window behind the last row read: rows arrive in cursor
 * order, so a key older than that can neither be re-read by this scan nor by the next one (which starts
 * at high-water - lookback, and the high-water mark is at or after the last row read). Trimming on every
 * page keeps the state, which is saved with every batch, as small as the window, not as the table.
 */
export function advanceScan(
  state: KeysetState,
  rows: KeysetRow[],
  pageSize: number,
  config: KeysetConfig,
): { records: SourceRecord[]; state: KeysetState; done: boolean } {
  const dedup = config.mode === 'incremental' && config.lookback > 0;
  // This page's deliveries, by key; a key read again later in the scan (an update) replaces its entry.
  const delivered = new Map<string, string>();
  const records: SourceRecord[] = [];
  for (const row of rows) {
    if (dedup) {
      const key = keyOf(row.tuple, config.cursorColumns);
      const cursor = cursorOf(row.tuple, config.cursorColumns);
      const known = delivered.get(key) ?? (Object.hasOwn(state.recent, key) ? state.recent[key] : undefined);
      if (known === cursor) continue;
      delivered.set(key, cursor);
    }
    records.push(row.record);
  }
  const last = rows.at(-1)?.tuple;
  const after = (last ?? state.after) as KeysetState['after'];
  const done = rows.length < pageSize;
  const highWater = done && config.mode === 'incremental' ? (after ?? state.highWater) : state.highWater;
  // The window's upper end is the last row read; at the end of a scan that is the new high-water mark.
  const windowEnd = done ? highWater : after;
  const recent = dedup && windowEnd ? keysInWindow(state.recent, delivered, windowEnd, config) : {};
  const next: KeysetState = { ...state, after, recent };
  if (done) {
    next.highWater = config.mode === 'incremental' ? highWater : null;
    next.from = null;
    if (config.mode === 'full_refresh') next.after = null;
  }
  return { records, state: next, done };
}

/** The known keys (this page's deliveries over the saved ones) whose cursor is at or after `windowEnd` - lookback. */
function keysInWindow(
  saved: Record<string, string>,
  delivered: Map<string, string>,
  windowEnd: JsonValue[],
  config: KeysetConfig,
): Record<string, string> {
  const type = config.orderTypes[0] as NormalisedType;
  const bound = shiftCursorBack(windowEnd[0] as JsonValue, type, config.lookback);
  const inWindow = (cursor: string): boolean => compareCursorValues((JSON.parse(cursor) as JsonValue[])[0] as JsonValue, bound, type) >= 0;
  // Only the kept part is copied: the saved keys are already limited to the previous page's window.
  const kept: Record<string, string> = {};
  for (const [key, cursor] of Object.entries(saved)) {
    if (!delivered.has(key) && inWindow(cursor)) kept[key] = cursor;
  }
  for (const [key, cursor] of delivered) {
    if (inWindow(cursor)) kept[key] = cursor;
  }
  return kept;
}
