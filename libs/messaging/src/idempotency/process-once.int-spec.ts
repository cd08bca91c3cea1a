import { createTestDatabase, type TestDatabase } from '@pulse/testing';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { PROCESSED_EVENTS_TABLE_SQL, processOnce } from './process-once';

describe('processOnce (real PostgreSQL)', () => {
  let database: TestDatabase;
  let pool: Pool;

  const ledgerRows = async (eventId: string) =>
    (await pool.query<{ amount: number }>('SELECT amount FROM ledger WHERE event_id = $1', [eventId])).rows;
  const credit = (eventId: string) =>
    processOnce(pool, { consumer: 'billing', eventId }, async (client) => {
      await client.query('INSERT INTO ledger (event_id, amount) VALUES ($1, 10)', [eventId]);
      return 'credited';
    });

  beforeAll(async () => {
    database = await createTestDatabase({ prefix: 'process_once' });
    pool = new Pool({ connectionString: database.url, max: 10 });
    await pool.query(PROCESSED_EVENTS_TABLE_SQL);
    await pool.query('CREATE TABLE ledger (id serial PRIMARY KEY, event_id uuid NOT NULL, amount int NOT NULL)');
  });

  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  it('applies a redelivered event once', async () => {
    const eventId = randomUUID();
    expect(await credit(eventId)).toEqual({ processed: true, result: 'credited' });
    expect(await credit(eventId)).toEqual({ processed: false });
    expect(await ledgerRows(eventId)).toEqual([{ amount: 10 }]);
  });

  it('applies concurrent duplicate deliveries once', async () => {
    const eventId = randomUUID();
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => credit(eventId)));
    expect(outcomes.filter((o) => o.processed)).toHaveLength(1);
    expect(await ledgerRows(eventId)).toHaveLength(1);
  });

  it('forgets a failed attempt entirely, so the retry applies it', async () => {
    const eventId = randomUUID();
    await expect(
      processOnce(pool, { consumer: 'billing', eventId }, async (client) => {
        await client.query('INSERT INTO ledger (event_id, amount) VALUES ($1, 10)', [eventId]);
        throw new Error('crash after the write');
      }),
    ).rejects.toThrow('crash after the write');
    expect(await ledgerRows(eventId)).toEqual([]);

    expect(await credit(eventId)).toEqual({ processed: true, result: 'credited' });
    expect(await ledgerRows(eventId)).toHaveLength(1);
  });

  it('keeps consumers apart: the same event may matter to two of them', async () => {
    const eventId = randomUUID();
    await credit(eventId);
    const other = await processOnce(pool, { consumer: 'analytics', eventId }, async () => 'counted');
    expect(other).toEqual({ processed: true, result: 'counted' });
  });
});
