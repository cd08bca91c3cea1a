import { createTestDatabase, withClient, type TestDatabase } from '@pulse/testing';
import { ConnectorError } from '../connector-errors';
import { openSource } from '../open-source';
import { LOCAL_TEST_ADDRESSES } from '../network/local-networks.int-kit';

describe('schema drift on a PostgreSQL source (through openSource)', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase({ prefix: 'conn_drift' });
    await withClient(database.url, (client) =>
      client.query("CREATE TABLE customers (id integer PRIMARY KEY, email text, total numeric(12,2), updated_at timestamptz NOT NULL DEFAULT '2026-01-01Z'); INSERT INTO customers (id, email, total) VALUES (1, 'a@x.test', 10)"),
    );
  });
  afterAll(() => database.drop());

  const open = () => {
    const url = new URL(database.url);
    return openSource(
      {
        kind: 'postgres', host: url.hostname, port: Number(url.port || 5432), database: url.pathname.slice(1), user: decodeURIComponent(url.username),
        table: { name: 'customers' }, syncMode: 'incremental', cursorColumns: ['updated_at'], primaryKey: ['id'], lookbackSeconds: 0, pageSize: 100,
      },
      // The embedded test server has a password; the machine's PostgreSQL trusts local connections.
      url.password ? { password: decodeURIComponent(url.password) } : {},
      {
        expectedColumns: [{ name: 'id', type: 'integer' }, { name: 'email', type: 'text' }, { name: 'total', type: 'decimal' }, { name: 'updated_at', type: 'timestamptz' }],
        mappedColumns: ['id', 'email', 'total'],
        addresses: LOCAL_TEST_ADDRESSES,
      },
    );
  };

  it('lets a new column through to the records, then fails with a diff when mapped columns are dropped or retyped', async () => {
    await withClient(database.url, (client) => client.query("ALTER TABLE customers ADD COLUMN loyalty_tier text DEFAULT 'gold'"));
    const source = await open();
    try {
      const page = await source.connector.readPage(null, { syncStart: true });
      expect(page.kind === 'records' && page.records).toEqual([{ id: 1, email: 'a@x.test', total: '10.00', updated_at: '2026-01-01T00:00:00Z', loyalty_tier: 'gold' }]);
    } finally {
      await source.close();
    }

    await withClient(database.url, (client) => client.query('ALTER TABLE customers DROP COLUMN email, ALTER COLUMN total TYPE text'));
    const drifted = await open();
    try {
      const failure = await drifted.connector.readPage(null, { syncStart: true }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ConnectorError);
      expect((failure as ConnectorError).code).toBe('schema_drift');
      expect((failure as ConnectorError).message).toBe(
        'The source schema changed under mapped columns: email: text -> absent, total: decimal -> text; nothing was loaded. ' +
          'To go on without a column, add it to the source\'s mapping as null (mapping.columns: { "email": null, "total": null }) and PATCH the source with that mapping. ' +
          'To keep loading a column whose type changed, PATCH the source with its mapping (the same one if it still fits). ' +
          "A PATCH of the mapping makes the next sync record the source's columns as they are then, and keeps the sync position. " +
          'Or restore the columns in the source. Then sync again.',
      );
    } finally {
      await drifted.close();
    }
  });
});
