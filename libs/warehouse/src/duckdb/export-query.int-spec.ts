import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { createTestDatabase, withClient, type TestDatabase } from '@pulse/testing';
import { from as copyFrom } from 'pg-copy-streams';
import { DuckDbWarehouse } from './duckdb-warehouse';
import { loadDuckDbRows } from './load-duckdb-rows';
import type { WarehouseTenant } from '../warehouse';

const tenant: WarehouseTenant = { tenantId: '3c1d2e4f-aaaa-4bbb-8ccc-0123456789ab', slug: 'acme' };

/** Awkward texts, each of which a CSV round trip can get wrong. */
const TEXTS: { external_id: string; name: string | null }[] = [
  { external_id: 'c-01', name: '' },
  { external_id: 'c-02', name: null },
  { external_id: 'c-03', name: 'She said "hi"' },
  { external_id: 'c-04', name: 'Smith, John' },
  { external_id: 'c-05', name: 'line one\nline two' },
  { external_id: 'c-06', name: 'São Paulo — 東京 🎉' },
  { external_id: 'c-07', name: 'NULL' },
  { external_id: 'c-08', name: '\\N' },
  { external_id: 'c-09', name: ' padded ' },
  { external_id: 'c-10', name: 'windows\r\nline' },
];

describe('DuckDbWarehouse.exportQuery', () => {
  let dir: string;
  let warehouse: DuckDbWarehouse;
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase({ prefix: 'warehouse_export' });
  });

  afterAll(async () => {
    await database.drop();
  });

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pulse-export-'));
    warehouse = new DuckDbWarehouse({ directory: path.join(dir, 'warehouse'), threads: 1 });
  });

  afterEach(async () => {
    await warehouse.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function copyIntoPostgres(table: string, file: string): Promise<void> {
    await withClient(database.url, async (client) => {
      const header = (await readFile(file, 'utf8')).split('\n', 1)[0];
      await pipeline(createReadStream(file), client.query(copyFrom(`COPY ${table} (${header}) FROM STDIN WITH (FORMAT csv, HEADER true)`)));
    });
  }

  it('writes a CSV that PostgreSQL COPY reads back value for value: empty vs NULL, quotes, commas, newlines, unicode', async () => {
    await loadDuckDbRows(warehouse, tenant, 'customers', TEXTS);
    const destination = path.join(dir, 'out', 'customers.csv');

    const result = await warehouse.exportQuery(tenant, 'SELECT external_id, name FROM customers ORDER BY external_id;', {
      label: 'export-texts',
      destination,
    });

    expect(result).toEqual({ rows: TEXTS.length, location: destination });
    const csv = await readFile(destination, 'utf8');
    // NULL is empty and unquoted; the empty string is quoted.
    expect(csv.split('\n').slice(0, 3)).toEqual(['external_id,name', 'c-01,""', 'c-02,']);
    await withClient(database.url, (client) => client.query('CREATE TABLE texts (external_id text PRIMARY KEY, name text)'));
    await copyIntoPostgres('texts', destination);
    const back = await withClient(database.url, (client) => client.query('SELECT external_id, name FROM texts ORDER BY external_id'));
    expect(back.rows).toEqual(TEXTS);
    expect(await readdir(path.dirname(destination))).toEqual(['customers.csv']);
  });

  it('round-trips JSON, instants with time zone, decimals, dates and integers into typed PostgreSQL columns', async () => {
    await loadDuckDbRows(warehouse, tenant, 'orders', [
      { external_id: 'o-1', customer_external_id: 'c-1', ordered_at: '2024-02-29T23:59:59.123456Z', total: '-1234.5678', custom: { tags: ['a', 'b'], note: 'x,"y"' } },
      { external_id: 'o-2', customer_external_id: 'c-1', ordered_at: '1999-12-31T00:00:00Z', total: '0.0001', custom: null },
    ]);
    const destination = pathToFileURL(path.join(dir, 'typed.csv')).href;
    const result = await warehouse.exportQuery(
      tenant,
      `SELECT external_id, ordered_at, total, custom, CAST(ordered_at AS DATE) AS ordered_on, 9007199254740993::BIGINT AS big, total * 3 AS tripled
       FROM orders ORDER BY external_id`,
      { label: 'export-typed', destination },
    );
    expect(result).toEqual({ rows: 2, location: path.join(dir, 'typed.csv') });

    await withClient(database.url, (client) =>
      client.query(
        'CREATE TABLE typed (external_id text, ordered_at timestamptz, total numeric(18,4), custom jsonb, ordered_on date, big bigint, tripled numeric)',
      ),
    );
    await copyIntoPostgres('typed', result.location);
    const back = await withClient(database.url, (client) =>
      client.query(
        `SELECT external_id, to_char(ordered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS ordered_at, total::text,
                custom, ordered_on::text, big::text, tripled::text
         FROM typed ORDER BY external_id`,
      ),
    );
    expect(back.rows).toEqual([
      {
        external_id: 'o-1',
        ordered_at: '2024-02-29T23:59:59.123456',
        total: '-1234.5678',
        custom: { tags: ['a', 'b'], note: 'x,"y"' },
        ordered_on: '2024-02-29',
        big: '9007199254740993',
        // -1234.5678 * 3, exact in DECIMAL(18,4)
        tripled: '-3703.7034',
      },
      { external_id: 'o-2', ordered_at: '1999-12-31T00:00:00.000000', total: '0.0001', custom: null, ordered_on: '1999-12-31', big: '9007199254740993', tripled: '0.0003' },
    ]);
  });

  it('refuses a gs:// destination (that is the BigQuery adapter) and leaves no partial file when the query fails', async () => {
    await expect(
      warehouse.exportQuery(tenant, 'SELECT 1', { label: 'x', destination: 'gs://bucket/out.csv' }),
    ).rejects.toMatchObject({ code: 'warehouse_invalid_request' });
    const destination = path.join(dir, 'fail', 'x.csv');
    await expect(warehouse.exportQuery(tenant, "SELECT error('boom') AS a", { label: 'failing', destination })).rejects.toMatchObject({
      code: 'warehouse_query_failed',
      message: expect.stringContaining('boom'),
    });
    expect(await readdir(path.dirname(destination))).toEqual([]);
  });
});
