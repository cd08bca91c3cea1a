import type { JsonValue, SourceRecord } from '../connector';
import { ConnectorError } from '../connector-errors';

/**
 * A record's primary key as one comparable string. Values are compared as text so a key read back
 * from the tenant database as a string ("42") matches the source's number (42).
 */
export function recordKey(record: SourceRecord, primaryKey: readonly string[]): string {
  return keyOfValues(
    primaryKey.map((column) => {
      const value = record[column];
      if (value === undefined || value === null) {
        throw new ConnectorError('source_request_failed', `A source row has no value for primary key column ${JSON.stringify(column)}`);
      }
      return value;
    }),
  );
}

export function keyOfValues(values: readonly JsonValue[]): string {
  return JSON.stringify(values.map((value) => (typeof value === 'string' ? value : JSON.stringify(value))));
}

/**
 * Delete detection for full refresh: every key seen during one complete read; afterwards, the keys the
 * destination holds for this source that the read did not see are the rows deleted at the source.
 * Only a read that reached its last page may be used (a partial read would "delete" everything unread).
 */
export class FullReadKeys {
  private readonly seen = new Set<string>();
  private complete = false;

  constructor(private readonly primaryKey: readonly string[]) {}

  observe(records: readonly SourceRecord[]): void {
    if (this.complete) throw new Error('The full read is already complete');
    for (const record of records) this.seen.add(recordKey(record, this.primaryKey));
  }

  markComplete(): void {
    this.complete = true;
  }

  get size(): number {
    return this.seen.size;
  }

  /** Keys (as `keyOfValues` strings) present at the destination and absent from the source. */
  deletedAmong(destinationKeys: Iterable<readonly JsonValue[]>): string[] {
    if (!this.complete) throw new Error('Deletes can only be detected after a complete full read');
    const deleted: string[] = [];
    for (const values of destinationKeys) {
      const key = keyOfValues(values);
      if (!this.seen.has(key)) deleted.push(key);
    }
    return deleted;
  }
}
