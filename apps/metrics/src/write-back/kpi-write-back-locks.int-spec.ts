import { DEFAULT_SCORECARD } from '@pulse/contracts';
import { createTestDatabase, type TestDatabase } from '@pulse/testing';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { PoolClient } from 'pg';
import { runFailureOf } from '../runs/run-failure';
import { writeBackKpis, type WriteBackInput, type WriteBackOptions } from './kpi-write-back';
import { CUSTOMER_HEADER, PRODUCT_HEADER, SERIES_HEADER, SingleConnections, writeKpiFile } from './write-back.int-kit';

// The write-back against readers that run at the same time, as the api's do (one autocommit statement
// each). Every interleaving is forced through pg_locks: a step starts once the previous one is seen
// waiting for its lock, never after a sleep.

const CUSTOMERS = 20;

/** GET /v1/customers' statement: customers first, then customer_kpis (customer-list.sql.ts). */
const LIST_PAGE = `SELECT c.external_id, k.revenue_90d, k.health_band FROM customers c LEFT JOIN customer_kpis k ON k.customer_id = c.id
  ORDER BY c.name ASC NULLS LAST, c.id ASC LIMIT 51`;

let database: TestDatabase;
let dir: string;
let files: Pick<WriteBackInput, 'customerKpis' | 'productKpis' | 'metricSeries'>;
const connections = new SingleConnections();

/** A connection of its own (a pool of one: the write-back takes a pool's client). */
function connect(): Promise<PoolClient> {
  return connections.connect(database.url);
}

async function pidOf(client: PoolClient): Promise<number> {
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  return (rows[0] as { pid: number }).pid;
}

/** Polls pg_locks (from `observer`) until backend `pid` waits for a lock on `table`. */
async function untilWaitingFor(observer: PoolClient, pid: number, table: string): Promise<void> {
  for (let polls = 0; polls < 6_000; polls++) {
    const { rowCount } = await observer.query(`SELECT 1 FROM pg_locks WHERE pid = $1 AND NOT granted AND relation = $2::regclass`, [pid, table]);
    if (rowCount) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`backend ${pid} never waited for a lock on ${table}`);
}

async function newRun(client: PoolClient): Promise<string> {
  const { rows } = await client.query<{ id: string }>(`INSERT INTO metric_runs (status, reason, as_of) VALUES ('running', 'manual', '2026-03-01') RETURNING id`);
  return (rows[0] as { id: string }).id;
}

/** One write-back in its own transaction, as a run does it. */
async function writeBack(client: PoolClient, options?: WriteBackOptions) {
  const runId = await newRun(client);
  await client.query('BEGIN');
  try {
    const result = await writeBackKpis(client, { runId, asOf: '2026-03-01', ...files, scorecard: { version: null, definition: DEFAULT_SCORECARD } }, options);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

/** Settles to its value or its error, so a test can look at both sides of a race. */
function settled<T>(work: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  return work.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

beforeAll(async () => {
  database = await createTestDatabase({ prefix: 'metrics_write_back_locks', migrationsDir: path.resolve(__dirname, '../../../../libs/tenancy/prisma/migrations') });
  dir = await mkdtemp(path.join(os.tmpdir(), 'pulse-write-back-locks-'));
  const setup = await connect();
  await setup.query(`INSERT INTO customers (external_id, name) SELECT 'c' || i, 'Customer ' || lpad(i::text, 3, '0') FROM generate_series(1, ${CUSTOMERS}) i`);
  await setup.query(`INSERT INTO products (sku, name) VALUES ('SKU-A', 'A')`);
  const write = (file: string, header: string, lines: string[]) => writeKpiFile(path.join(dir, `${file}.csv`), header, lines);
  files = {
    customerKpis: await write(
      'customers',
      CUSTOMER_HEADER,
      Array.from({ length: CUSTOMERS }, (_, i) => `c${i + 1},${i + 1},,,${i},${i}0.0000,0.0000,${i}.5000,0.0000,,,,,,0.0000,,0,false`),
    ),
    productKpis: await write('products', PRODUCT_HEADER, ['SKU-A,,,,3.0000,30.0000,1,0.000000,']),
    metricSeries: await write('series', SERIES_HEADER, ['revenue,day,2026-03-01,10.000000']),
  };
  // Previous results, so that a reader has something to wait for.
  await writeBack(setup);
});

afterAll(async () => {
  await connections.closeAll();
  await database?.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('write-back vs the api readers', () => {
  it('a list read waiting behind the write-back is not killed as a deadlock victim (and neither is the write-back)', async () => {
    const [writer, reader, gate, observer] = [await connect(), await connect(), await connect(), await connect()];
    const [writerPid, readerPid] = [await pidOf(writer), await pidOf(reader)];

    // 1. A reader of metric_series holds the write-back up once it has locked customer_kpis.
    await gate.query('BEGIN');
    await gate.query('SELECT count(*) FROM metric_series');
    // One long attempt: the write-back keeps customer_kpis while the reader comes.
    const writing = settled(writeBack(writer, { lockAttemptTimeoutMs: 30_000 }));
    await untilWaitingFor(observer, writerPid, 'metric_series');
    // 2. A list read: it holds customers and waits for customer_kpis.
    const reading = settled(reader.query(LIST_PAGE));
    await untilWaitingFor(observer, readerPid, 'customer_kpis');
    // 3. The write-back goes on while the list read still waits.
    await gate.query('COMMIT');

    const [write, read] = [await writing, await reading];
    expect(read.error).toBeUndefined();
    expect(write.error).toBeUndefined();
    expect(read.value?.rows).toHaveLength(CUSTOMERS);
    expect(write.value?.rowCounts).toMatchObject({ customer_kpis: CUSTOMERS, product_kpis: 1, metric_series: 1 });
  });

  it('a read that comes while the write-back waits for a long reader is not queued behind it', async () => {
    const [writer, reader, longReader, observer] = [await connect(), await connect(), await connect(), await connect()];
    const writerPid = await pidOf(writer);

    await longReader.query('BEGIN');
    await longReader.query('SELECT count(*) FROM customer_kpis');
    const writing = settled(writeBack(writer));
    await untilWaitingFor(observer, writerPid, 'customer_kpis');
    // Behind a queued ACCESS EXCLUSIVE request this read would wait for the long reader, then for the
    // whole write-back: its lock_timeout (far above the write-back's attempts) says it did not.
    await reader.query(`SET lock_timeout = '3s'`);
    const { rows } = await reader.query(LIST_PAGE);
    expect(rows).toHaveLength(CUSTOMERS);

    await longReader.query('COMMIT');
    const write = await writing;
    expect(write.error).toBeUndefined();
    expect(write.value?.rowCounts.customer_kpis).toBe(CUSTOMERS);
  });

  it('a write-back that cannot lock the KPI tables in time fails database_unavailable and leaves the previous results', async () => {
    const [writer, longReader, observer] = [await connect(), await connect(), await connect()];
    const { rows: before } = await observer.query(LIST_PAGE);

    await longReader.query('BEGIN');
    await longReader.query('SELECT count(*) FROM metric_series');
    const write = await settled(writeBack(writer, { lockWaitLimitMs: 500 }));
    await longReader.query('COMMIT');

    expect(write.error).toMatchObject({ code: '55P03' });
    expect(runFailureOf(write.error).code).toBe('database_unavailable');
    expect((await observer.query(LIST_PAGE)).rows).toEqual(before);
  });

  it('takes no lock on customers or products that a reader waits for', async () => {
    const [writer, gate, observer] = [await connect(), await connect(), await connect()];
    const writerPid = await pidOf(writer);
    const runId = await newRun(observer);
    // Holds the write-back after its last statement (the run's own record, as finishRuns writes it).
    await gate.query('BEGIN');
    await gate.query('LOCK TABLE metric_runs IN SHARE MODE');
    const writing = settled(
      (async () => {
        await writer.query('BEGIN');
        await writeBackKpis(writer, { runId, asOf: '2026-03-01', ...files, scorecard: { version: null, definition: DEFAULT_SCORECARD } });
        await writer.query(`UPDATE metric_runs SET status = 'succeeded' WHERE id = $1`, [runId]);
        await writer.query('COMMIT');
      })(),
    );
    await untilWaitingFor(observer, writerPid, 'metric_runs');
    const { rows } = await observer.query<{ lock: string }>(
      `SELECT relation::regclass::text || ' ' || mode AS lock FROM pg_locks
        WHERE pid = $1 AND granted AND relation IN ('customers'::regclass, 'products'::regclass) ORDER BY 1`,
      [writerPid],
    );
    await gate.query('COMMIT');
    expect((await writing).error).toBeUndefined();
    // SHARE keeps writers of customers and products out (their deletes cascade into the KPI tables);
    // readers (ACCESS SHARE) pass it, and SHARE ROW EXCLUSIVE on customers (adding the new
    // customer_kpis' foreign key takes it).
    const readerBlocking = rows.map((row) => row.lock).filter((lock) => !/ (AccessShareLock|RowShareLock|ShareLock|ShareRowExclusiveLock)$/.test(lock));
    expect(readerBlocking).toEqual([]);
  });
});
