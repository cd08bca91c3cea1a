import { createTestDatabase, testPostgresUrlOrThrow, type TestDatabase } from '@pulse/testing';
import { Client } from 'pg';
import type { SourceConnector, SourcePage, StreamState } from '../connector';
import { FullReadKeys, recordKey } from '../incremental/delete-detection';
import { runSync, type PageSink } from '../sync-runner';

/**
 * A stand-in for the ingestion loader with the same contract: a page's rows and the stream state are
 * written in one PostgreSQL transaction. Rows are upserted by key (as the loader does); a completed
 * full read deletes the keys it did not see. `crashOnNextPageWithRecords` simulates a crash part-way through a page.
 */
export class CollectingSink implements PageSink {
  /** Keys of the records in every committed page, in commit order (duplicates show up here). */
  readonly committedKeys: string[] = [];
  /** Simulates a crash: the next page with 2+ records dies after writing half of them (rolled back). */
  crashOnNextPageWithRecords = false;
  private fullRead: FullReadKeys | null = null;

  private constructor(
    private readonly client: Client,
    private readonly primaryKey: string[],
  ) {}

  static async open(url: string, primaryKey: string[]): Promise<CollectingSink> {
    const client = new Client({ connectionString: url });
    await client.connect();
    await client.query('CREATE TABLE IF NOT EXISTS collected (key text PRIMARY KEY, record jsonb NOT NULL)');
    await client.query('CREATE TABLE IF NOT EXISTS stream_state (stream text PRIMARY KEY, cursor jsonb)');
    return new CollectingSink(client, primaryKey);
  }

  async reset(): Promise<void> {
    await this.client.query('TRUNCATE collected, stream_state');
  }

  startFullRead(): void {
    this.fullRead = new FullReadKeys(this.primaryKey);
  }

  async state(): Promise<StreamState | null> {
    const result = await this.client.query<{ cursor: StreamState | null }>("SELECT cursor FROM stream_state WHERE stream = 'main'");
    return result.rows[0]?.cursor ?? null;
  }

  async commit(page: SourcePage): Promise<void> {
    if (page.kind === 'file') throw new Error('This sink collects records only');
    const records = page.kind === 'records' ? page.records : [];
    const crash = this.crashOnNextPageWithRecords && records.length >= 2;
    if (crash) this.crashOnNextPageWithRecords = false;
    await this.client.query('BEGIN');
    try {
      let written = 0;
      for (const record of records) {
        if (crash && written === Math.floor(records.length / 2)) {
          throw new Error('simulated crash in the middle of a page');
        }
        await this.client.query(
          'INSERT INTO collected (key, record) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET record = EXCLUDED.record',
          [recordKey(record, this.primaryKey), JSON.stringify(record)],
        );
        written += 1;
      }
      if (this.fullRead && page.done) {
        this.fullRead.observe(records);
        this.fullRead.markComplete();
        const existing = await this.client.query<{ key: string }>('SELECT key FROM collected');
        const deleted = this.fullRead.deletedAmong(existing.rows.map((row) => JSON.parse(row.key) as string[]));
        await this.client.query('DELETE FROM collected WHERE key = ANY($1)', [deleted]);
      }
      await this.client.query(
        "INSERT INTO stream_state (stream, cursor) VALUES ('main', $1) ON CONFLICT (stream) DO UPDATE SET cursor = EXCLUDED.cursor",
        [JSON.stringify(page.state)],
      );
      await this.client.query('COMMIT');
    } catch (error) {
      await this.client.query('ROLLBACK');
      throw error;
    }
    if (this.fullRead && !page.done) this.fullRead.observe(records);
    for (const record of records) this.committedKeys.push(recordKey(record, this.primaryKey));
  }

  /** The collected rows, keyed and sorted like the source comparison. */
  async rows(columns: string[]): Promise<string[][]> {
    const result = await this.client.query<{ record: Record<string, unknown> }>('SELECT record FROM collected');
    return result.rows
      .map(({ record }) => columns.map((column) => (record[column] === null ? 'NULL' : String(record[column]))))
      .sort(compareRows);
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}

export function compareRows(a: string[], b: string[]): number {
  return Number(a[0]) - Number(b[0]);
}

export async function syncOnce(connector: SourceConnector, sink: CollectingSink): Promise<string[]> {
  const before = sink.committedKeys.length;
  await runSync(connector, await sink.state(), sink);
  return sink.committedKeys.slice(before);
}

/** A tenant-side database for the collecting sink. */
export async function destinationDatabase(): Promise<TestDatabase> {
  testPostgresUrlOrThrow();
  return createTestDatabase({ prefix: 'conn_dest' });
}
