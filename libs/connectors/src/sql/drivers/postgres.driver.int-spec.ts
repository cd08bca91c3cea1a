import { createTestDatabase, withClient, type TestDatabase } from '@pulse/testing';
import { describeKeysetScenario, type SourceEngine } from '../keyset-scenario.int-kit';
import { SqlConnector } from '../sql-connector';
import { PostgresDriver } from './postgres.driver';
import { LOCAL_TEST_ADDRESSES } from '../../network/local-networks.int-kit';

function endpointOf(url: string) {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 5432),
    database: decodeURIComponent(parsed.pathname.slice(1)),
    user: decodeURIComponent(parsed.username),
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
  };
}

function postgresEngine(): SourceEngine {
  let database: TestDatabase | null = null;
  const url = () => (database as TestDatabase).url;
  return {
    async setup() {
      database = await createTestDatabase({ prefix: 'conn_src' });
      await withClient(url(), (client) =>
        client.query('CREATE TABLE events (id integer PRIMARY KEY, updated_at timestamp(6) NOT NULL, name text, amount numeric(12,4))'),
      );
    },
    exec: (sql) => withClient(url(), async (client) => void (await client.query(sql))),
    connect: () => PostgresDriver.connect(endpointOf(url()), LOCAL_TEST_ADDRESSES),
    sourceRows: () =>
      withClient(url(), async (client) => {
        const result = await client.query<{ row: string[] }>(
          `SELECT ARRAY[id::text, name, amount::text, to_char(updated_at, 'YYYY-MM-DD"T"HH24:MI:SS.US')] AS row FROM events ORDER BY id`,
        );
        return result.rows.map(({ row }) => row);
      }),
    teardown: async () => database?.drop(),
  };
}

describeKeysetScenario('PostgreSQL', postgresEngine, () => 'unreachable');

describe('PostgreSQL driver', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase({ prefix: 'conn_pgtypes' });
    await withClient(database.url, (client) =>
      client.query(`CREATE TABLE accounts (
        tenant text, id bigint, seen_at timestamptz(6) NOT NULL, born date, score double precision, active boolean,
        tags jsonb, photo bytea, balance numeric(30,10), PRIMARY KEY (tenant, id));
        INSERT INTO accounts VALUES ('t', 9007199254740993, '2026-01-02 03:04:05.678901+02', '1990-05-06', 0.5, true,
          '{"a":[1,2]}', '\\x0102ff', 12345678901234567890.0123456789)`),
    );
  });
  afterAll(() => database.drop());

  it('discovers tables with normalised column types and the composite primary key in key order', async () => {
    const connector = new SqlConnector(await PostgresDriver.connect(endpointOf(database.url), LOCAL_TEST_ADDRESSES), {
      source: { table: { name: 'accounts' } }, mode: 'full_refresh', cursorColumns: [], primaryKey: ['tenant', 'id'],
    });
    try {
      const streams = await connector.discover();
      expect(streams).toEqual([
        {
          name: 'public.accounts',
          primaryKey: ['tenant', 'id'],
          columns: [
            { name: 'tenant', type: 'text', sourceType: 'text', nullable: false },
            { name: 'id', type: 'integer', sourceType: 'bigint', nullable: false },
            { name: 'seen_at', type: 'timestamptz', sourceType: 'timestamp with time zone', nullable: false },
            { name: 'born', type: 'date', sourceType: 'date', nullable: true },
            { name: 'score', type: 'float', sourceType: 'double precision', nullable: true },
            { name: 'active', type: 'boolean', sourceType: 'boolean', nullable: true },
            { name: 'tags', type: 'json', sourceType: 'jsonb', nullable: true },
            { name: 'photo', type: 'binary', sourceType: 'bytea', nullable: true },
            { name: 'balance', type: 'decimal', sourceType: 'numeric', nullable: true },
          ],
        },
      ]);
      // Values JavaScript cannot hold exactly arrive as text: 2^53 + 1, 30 significant digits, microseconds in UTC.
      expect(await connector.preview(10)).toEqual([
        {
          tenant: 't', id: '9007199254740993', seen_at: '2026-01-02T01:04:05.678901Z', born: '1990-05-06', score: 0.5,
          active: true, tags: { a: [1, 2] }, photo: Buffer.from([1, 2, 255]).toString('base64'), balance: '12345678901234567890.0123456789',
        },
      ]);
    } finally {
      await connector.close();
    }
  });

  it("reads the same values whatever output settings the source database has as defaults", async () => {
    await withClient(database.url, async (client) => {
      const name = (await client.query<{ db: string }>('SELECT current_database() AS db')).rows[0]?.db as string;
      await client.query(`ALTER DATABASE "${name}" SET DateStyle = 'SQL, DMY'`);
      await client.query(`ALTER DATABASE "${name}" SET bytea_output = 'escape'`);
      await client.query(`ALTER DATABASE "${name}" SET extra_float_digits = -3`);
    });
    const connector = new SqlConnector(await PostgresDriver.connect(endpointOf(database.url), LOCAL_TEST_ADDRESSES), {
      source: { table: { name: 'accounts' } }, mode: 'full_refresh', cursorColumns: [], primaryKey: ['tenant', 'id'],
    });
    try {
      // Before: born '06/05/1990', the photo's escape text decoded as hex, seen_at not ISO-8601.
      expect(await connector.preview(10)).toEqual([
        expect.objectContaining({ seen_at: '2026-01-02T01:04:05.678901Z', born: '1990-05-06', score: 0.5, photo: Buffer.from([1, 2, 255]).toString('base64') }),
      ]);
    } finally {
      await connector.close();
    }
  });

  it('refuses to page by a binary key, which repeated pages without end (its values came back as base64 text)', async () => {
    await withClient(database.url, (client) =>
      client.query(`CREATE TABLE devices (id bytea PRIMARY KEY, name text);
        INSERT INTO devices SELECT decode(lpad(to_hex(n * 7919), 32, '0'), 'hex'), 'device ' || n FROM generate_series(1, 23) AS n`),
    );
    const connector = new SqlConnector(await PostgresDriver.connect(endpointOf(database.url), LOCAL_TEST_ADDRESSES), {
      source: { table: { name: 'devices' } }, mode: 'full_refresh', cursorColumns: [], primaryKey: ['id'], pageSize: 5,
    });
    try {
      await expect(connector.readPage(null, { syncStart: true })).rejects.toMatchObject({
        code: 'invalid_source_config',
        message: expect.stringContaining('Column "id" is binary (bytea): a read cannot page by it'),
      });
    } finally {
      await connector.close();
    }
  });

  it('refuses to write: the session is read-only', async () => {
    const driver = await PostgresDriver.connect(endpointOf(database.url), LOCAL_TEST_ADDRESSES);
    try {
      await expect(driver.query('DELETE FROM accounts', [])).rejects.toThrow('read-only transaction');
    } finally {
      await driver.close();
    }
  });

  it('runs one statement only, so a source query cannot end the read-only transaction and write', async () => {
    const accounts = () => withClient(database.url, async (client) => (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM accounts')).rows[0]?.n);
    const before = await accounts();
    expect(before).toBeGreaterThan(0);
    const escape = 'COMMIT; START TRANSACTION READ WRITE; DELETE FROM accounts; COMMIT';
    const driver = await PostgresDriver.connect(endpointOf(database.url), LOCAL_TEST_ADDRESSES);
    try {
      // Before: without parameters pg used the simple protocol, which ran every statement of the text.
      await expect(driver.describe(`SELECT 1; ${escape}`)).rejects.toThrow('cannot insert multiple commands into a prepared statement');
      await expect(driver.query(`SELECT 1; ${escape}`, [])).rejects.toThrow('cannot insert multiple commands into a prepared statement');
    } finally {
      await driver.close();
    }
    // The source query as a tenant would store it: refused before anything is sent.
    const connector = new SqlConnector(await PostgresDriver.connect(endpointOf(database.url), LOCAL_TEST_ADDRESSES), {
      source: { query: `SELECT id FROM accounts) src; ${escape}; SELECT * FROM (SELECT id FROM accounts` }, mode: 'full_refresh', cursorColumns: [], primaryKey: ['id'],
    });
    try {
      await expect(connector.describeSource()).rejects.toMatchObject({ code: 'invalid_source_config', message: expect.stringContaining('closes a parenthesis it did not open') });
    } finally {
      await connector.close();
    }
    expect(await accounts()).toBe(before);
  });
});

describe('PostgreSQL driver: refused connections', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase({ prefix: 'conn_pgauth' });
  });
  afterAll(() => database.drop());

  // A role the server does not know is refused at authentication (28000 with trust auth, 28P01 with password auth).
  it('reports a user or password the server refuses as source_auth_failed, not as unreachable', async () => {
    const endpoint = { ...endpointOf(database.url), user: 'pulse_no_such_role', password: 'wrong-password' };
    await expect(PostgresDriver.connect(endpoint, LOCAL_TEST_ADDRESSES)).rejects.toMatchObject({
      code: 'source_auth_failed',
      kind: 'unprocessable',
      message: expect.stringMatching(/refused the user or password: .*pulse_no_such_role/),
    });
  });

  it('reports a database that does not exist as invalid_source_config', async () => {
    const endpoint = { ...endpointOf(database.url), database: 'pulse_no_such_database' };
    await expect(PostgresDriver.connect(endpoint, LOCAL_TEST_ADDRESSES)).rejects.toMatchObject({ code: 'invalid_source_config' });
  });
});
