import type { Pool, PoolClient } from 'pg';

export interface ProcessOnceKey {
  /** Who processes (a service or handler name): the same event may matter to several consumers. */
  consumer: string;
  eventId: string;
}

export type ProcessOnceResult<T> = { processed: true; result: T } | { processed: false };

/**
 * Runs `work` and records the event as processed in one transaction: a redelivered event finds its record
 * and has no second effect; a failed `work` rolls back the record too, so the retry runs it again.
 * Concurrent deliveries of one event serialise on the record's primary key; the second sees it and skips.
 */
export async function processOnce<T>(
  pool: Pool,
  key: ProcessOnceKey,
  work: (client: PoolClient) => Promise<T>,
): Promise<ProcessOnceResult<T>> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const recorded = await client.query(
      'INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
      [key.consumer, key.eventId],
    );
    if (recorded.rowCount === 0) {
      await client.query('ROLLBACK');
      return { processed: false };
    }
    const result = await work(client);
    await client.query('COMMIT');
    return { processed: true, result };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** The table processOnce needs, for databases whose migrations are not Prisma's (tests, tools). */
export const PROCESSED_EVENTS_TABLE_SQL = `
CREATE TABLE IF NOT EXISTS processed_events (
  consumer      TEXT NOT NULL,
  event_id      UUID NOT NULL,
  processed_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);
`;
