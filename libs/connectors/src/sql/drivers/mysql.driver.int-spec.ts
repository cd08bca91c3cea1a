import { mariadbTestUrl, MARIADB_SKIP_REASON } from '@pulse/testing';
import { randomBytes } from 'node:crypto';
import { createConnection, type Connection } from 'mysql2/promise';
import { describeKeysetScenario, type SourceEngine } from '../keyset-scenario.int-kit';
import { SqlConnector } from '../sql-connector';
import type { DatabaseEndpoint } from './database-endpoint';
import { MysqlDriver } from './mysql.driver';
import { LOCAL_TEST_ADDRESSES } from '../../network/local-networks.int-kit';

const serverUrl = mariadbTestUrl();

function endpointOf(url: string, database: string): DatabaseEndpoint {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 3306),
    database,
    user: decodeURIComponent(parsed.username),
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
  };
}

/** A fresh database on the MariaDB/MySQL server, dropped afterwards. */
async function createMysqlDatabase(url: string): Promise<{ name: string; connection: Connection; drop(): Promise<void> }> {
  const name = `pulse_conn_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = await createConnection({ uri: url, multipleStatements: true });
  await admin.query(`CREATE DATABASE \`${name}\``);
  await admin.query(`USE \`${name}\``);
  return {
    name,
    connection: admin,
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.end();
    },
  };
}

function mysqlEngine(): SourceEngine | null {
  if (!serverUrl) return null;
  const url = serverUrl;
  let database: Awaited<ReturnType<typeof createMysqlDatabase>> | null = null;
  const db = () => database as NonNullable<typeof database>;
  return {
    async setup() {
      database = await createMysqlDatabase(url);
      await db().connection.query('CREATE TABLE events (id int PRIMARY KEY, updated_at datetime(6) NOT NULL, name varchar(100), amount decimal(12,4))');
    },
    exec: async (sql) => void (await db().connection.query(sql)),
    connect: () => MysqlDriver.connect(endpointOf(url, db().name), LOCAL_TEST_ADDRESSES),
    async sourceRows() {
      const [rows] = await db().connection.query(
        "SELECT CAST(id AS CHAR) AS id, name, CAST(amount AS CHAR) AS amount, DATE_FORMAT(updated_at, '%Y-%m-%dT%H:%i:%s.%f') AS updated_at FROM events ORDER BY events.id",
      );
      return (rows as Record<string, string>[]).map((row) => [row['id'], row['name'], row['amount'], row['updated_at']] as string[]);
    },
    teardown: async () => database?.drop(),
  };
}

describeKeysetScenario('MariaDB', mysqlEngine, () => MARIADB_SKIP_REASON);

(serverUrl ? describe : describe.skip)('MySQL driver', () => {
  let database: Awaited<ReturnType<typeof createMysqlDatabase>>;
  beforeAll(async () => {
    database = await createMysqlDatabase(serverUrl as string);
    await database.connection.query(`CREATE TABLE accounts (
      tenant varchar(20) NOT NULL, id bigint NOT NULL, seen_at timestamp(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), born date,
      score double, active tinyint(1), photo varbinary(10), balance decimal(30,10), PRIMARY KEY (tenant, id))`);
    await database.connection.query(`SET time_zone = '+00:00'`);
    await database.connection.query(`INSERT INTO accounts VALUES ('t', 9007199254740993, '2026-01-02 01:04:05.678901', '1990-05-06', 0.5, 1, x'0102ff', 12345678901234567890.0123456789)`);
  });
  afterAll(() => database.drop());

  it('pages on a TIMESTAMP cursor through ties, binding the server text of the cursor', async () => {
    await database.connection.query('CREATE TABLE visits (id int PRIMARY KEY, at timestamp(6) NOT NULL)');
    await database.connection.query("INSERT INTO visits VALUES (1, '2026-01-01 00:00:00.000001'), (2, '2026-01-01 00:00:00.000001'), (3, '2026-01-01 00:00:00.000002')");
    const connector = new SqlConnector(await MysqlDriver.connect(endpointOf(serverUrl as string, database.name), LOCAL_TEST_ADDRESSES), {
      source: { table: { name: 'visits' } }, mode: 'incremental', cursorColumns: ['at'], primaryKey: ['id'], pageSize: 2,
    });
    try {
      const first = await connector.readPage(null, { syncStart: true });
      const second = await connector.readPage(first.state, { syncStart: false });
      expect([first, second].flatMap((page) => (page.kind === 'records' ? page.records : []))).toEqual([
        { id: 1, at: '2026-01-01T00:00:00.000001Z' }, { id: 2, at: '2026-01-01T00:00:00.000001Z' }, { id: 3, at: '2026-01-01T00:00:00.000002Z' },
      ]);
      expect(second.state['highWater']).toEqual(['2026-01-01 00:00:00.000002', 3]);
    } finally {
      await connector.close();
    }
  });

  it('discovers tables with normalised column types and reads exact values', async () => {
    const connector = new SqlConnector(await MysqlDriver.connect(endpointOf(serverUrl as string, database.name), LOCAL_TEST_ADDRESSES), {
      source: { table: { name: 'accounts' } }, mode: 'full_refresh', cursorColumns: [], primaryKey: ['tenant', 'id'],
    });
    try {
      const [stream] = await connector.discover();
      expect(stream?.name).toBe(`${database.name}.accounts`);
      expect(stream?.primaryKey).toEqual(['tenant', 'id']);
      expect(stream?.columns.map((column) => [column.name, column.type, column.nullable])).toEqual([
        ['tenant', 'text', false], ['id', 'integer', false], ['seen_at', 'timestamptz', false], ['born', 'date', true],
        ['score', 'float', true], ['active', 'boolean', true], ['photo', 'binary', true], ['balance', 'decimal', true],
      ]);
      expect(await connector.preview(10)).toEqual([
        {
          tenant: 't', id: '9007199254740993', seen_at: '2026-01-02T01:04:05.678901Z', born: '1990-05-06', score: 0.5,
          active: true, photo: Buffer.from([1, 2, 255]).toString('base64'), balance: '12345678901234567890.0123456789',
        },
      ]);
      // Describing a result set (how a configured SELECT is typed) agrees with the catalog.
      expect((await connector.describeSource()).map((column) => column.type)).toEqual(stream?.columns.map((column) => column.type));
    } finally {
      await connector.close();
    }
  });
});

(serverUrl ? describe : describe.skip)('MySQL driver: refused connections', () => {
  it('reports a wrong password as source_auth_failed (ER_ACCESS_DENIED_ERROR), not as unreachable', async () => {
    const endpoint = { ...endpointOf(serverUrl as string, 'mysql'), password: 'wrong-password' };
    await expect(MysqlDriver.connect(endpoint, LOCAL_TEST_ADDRESSES)).rejects.toMatchObject({
      code: 'source_auth_failed',
      kind: 'unprocessable',
      message: expect.stringMatching(/refused the user or password: Access denied/),
    });
  });

  it('reports a database that does not exist as invalid_source_config', async () => {
    await expect(MysqlDriver.connect(endpointOf(serverUrl as string, 'pulse_no_such_database'), LOCAL_TEST_ADDRESSES)).rejects.toMatchObject({ code: 'invalid_source_config' });
  });
});
