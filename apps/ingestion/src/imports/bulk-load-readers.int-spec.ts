import { testPostgresUrlOrThrow, waitFor, withClient } from '@pulse/testing';
import type { Client } from 'pg';
import { IngestionUnderTest, type SeededTenant } from '../ingestion.int-kit';

// A tenant's first load of orders (or order lines) goes in bulk into the empty table: secondary indexes
// rebuilt after the insert, foreign keys dropped before it and added back after it (one validating join
// instead of a query per row). Dropping a foreign key takes ACCESS EXCLUSIVE on the table it references:
// inside the load that lock lasted the whole load, and every api read of the tenant's customers waited for
// it. So the keys are dropped in a short transaction of their own, recorded on the import, and added back
// in the load's transaction; a reader holding customers makes the load keep them instead of waiting.

const ORDERS = 'external_id,customer_external_id,ordered_at\no1,c1,2026-01-01T00:00:00Z\no2,c2,2026-01-02T00:00:00Z';

describe('a bulk load into an empty table and the readers of the tables it references', () => {
  let ingestion: IngestionUnderTest;

  beforeAll(async () => {
    ingestion = await IngestionUnderTest.start({ INGESTION_BULK_LOAD_MIN_ROWS: '1' });
  }, 120_000);

  afterAll(async () => {
    await ingestion?.stop();
  });

  const foreignKeys = (tenant: SeededTenant, table: string) =>
    ingestion.rows<{ name: string; definition: string; validated: boolean }>(
      tenant,
      `SELECT conname AS name, pg_get_constraintdef(oid) AS definition, convalidated AS validated FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'f' ORDER BY conname`,
      [table],
    );

  const ordersImport = async (tenant: SeededTenant) =>
    (await ingestion.rows<{ timings: Record<string, number>; checkpoint: Record<string, unknown> }>(tenant, `SELECT timings, checkpoint FROM imports WHERE entity = 'orders'`))[0];

  /** A tenant with customers c1 and c2 and no orders. */
  async function tenantWithCustomers(prefix: string): Promise<SeededTenant> {
    const tenant = await ingestion.seedTenant(prefix);
    await ingestion.importFile(tenant, { entity: 'customers', content: 'external_id\nc1\nc2' });
    return tenant;
  }

  it("loads the first customers' aliases with their foreign key dropped inside the load (customers are locked by it already) and added back", async () => {
    const tenant = await ingestion.seedTenant('bulkaliases');
    const keys = await foreignKeys(tenant, 'customer_aliases');
    expect(keys.map((key) => key.name)).toEqual(['customer_aliases_customer_id_fkey']);

    const outcome = await ingestion.importFile(tenant, { entity: 'customers', content: 'external_id,aliases\nc1,crm-1|erp-1\nc2,crm-2' });

    expect(outcome).toMatchObject({ status: 'succeeded', rowsLoaded: 2 });
    expect(await foreignKeys(tenant, 'customer_aliases')).toEqual(keys);
    expect(await ingestion.rows(tenant, 'SELECT a.source_id AS alias, c.external_id AS customer FROM customer_aliases a JOIN customers c ON c.id = a.customer_id ORDER BY 1')).toEqual([
      { alias: 'crm-1', customer: 'c1' },
      { alias: 'crm-2', customer: 'c2' },
      { alias: 'erp-1', customer: 'c1' },
    ]);
    await expect(ingestion.rows(tenant, `INSERT INTO customer_aliases (customer_id, source_id) VALUES (-1, 'x')`)).rejects.toMatchObject({ code: '23503' });
  });

  /**
   * Runs `work` while the import's final transaction is held at its first step (ANALYZE of the tables it
   * reads, customer_aliases among them), which comes after the foreign keys were dropped.
   */
  async function withFinalTransactionHeld(tenant: SeededTenant, work: () => Promise<void>): Promise<void> {
    await withClient(tenant.databaseUrl, async (holder: Client) => {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE customer_aliases IN SHARE UPDATE EXCLUSIVE MODE');
      try {
        await work();
      } finally {
        await holder.query('COMMIT');
      }
    });
  }

  const ordersKeyDropped = (tenant: SeededTenant) =>
    waitFor(async () => (await foreignKeys(tenant, 'orders')).length === 0, { description: "orders' foreign key to be dropped", timeoutMs: 20_000 });

  it('loads the first orders while a reader holds customers, and takes no lock on customers that readers wait for', async () => {
    const tenant = await tenantWithCustomers('bulkreaders');
    const keys = await foreignKeys(tenant, 'orders');

    await withClient(tenant.databaseUrl, async (reader) => {
      // An api read in progress: ACCESS SHARE on customers until its transaction ends.
      await reader.query('BEGIN');
      await reader.query('SELECT count(*) FROM customers');
      const loaded = ingestion.importFile(tenant, { entity: 'orders', content: ORDERS });
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([loaded, new Promise<'blocked'>((resolve) => (timer = setTimeout(() => resolve('blocked'), 30_000)))]);
      clearTimeout(timer);
      await reader.query('COMMIT');
      // Before: 'blocked' (the load waited to drop orders' foreign key to customers behind this reader).
      expect(outcome).toMatchObject({ status: 'succeeded', rowsLoaded: 2 });
      await loaded;
    });

    // It was a bulk load (the empty-table path) that tried to drop the key, gave up while the reader
    // stayed, and kept it: the table has its foreign key as the schema defines it.
    const { timings } = await ordersImport(tenant);
    expect(timings).toHaveProperty('insertIntoEmptyTable');
    expect(timings['dropForeignKeys']).toBeGreaterThanOrEqual(1_000);
    expect(await foreignKeys(tenant, 'orders')).toEqual(keys);
  });

  it("drops orders' foreign key in a transaction of its own and adds it back with the rows; readers and writers of customers pass meanwhile", async () => {
    const tenant = await tenantWithCustomers('bulkfk');
    const keys = await foreignKeys(tenant, 'orders');
    expect(keys).toEqual([{ name: 'orders_customer_id_fkey', definition: 'FOREIGN KEY (customer_id) REFERENCES customers(id) ON UPDATE CASCADE ON DELETE CASCADE', validated: true }]);

    let loaded!: ReturnType<IngestionUnderTest['importFile']>;
    await withFinalTransactionHeld(tenant, async () => {
      loaded = ingestion.importFile(tenant, { entity: 'orders', content: ORDERS });
      loaded.catch(() => undefined);
      await ordersKeyDropped(tenant);
      // Recorded on the import, committed with the drop.
      expect((await ordersImport(tenant))?.checkpoint['droppedForeignKeys']).toEqual([{ table: 'orders', name: keys[0]?.name, definition: keys[0]?.definition }]);
      await withClient(tenant.databaseUrl, async (other) => {
        await other.query(`SET lock_timeout = '1s'`);
        expect((await other.query('SELECT count(*)::int AS n FROM customers')).rows).toEqual([{ n: 2 }]);
        expect((await other.query(`UPDATE customers SET name = 'Renamed' WHERE external_id = 'c1'`)).rowCount).toBe(1);
      });
    });

    expect(await loaded).toMatchObject({ status: 'succeeded', rowsLoaded: 2 });
    expect(await foreignKeys(tenant, 'orders')).toEqual(keys);
    expect(await ingestion.rows(tenant, 'SELECT o.external_id, c.external_id AS customer FROM orders o JOIN customers c ON c.id = o.customer_id ORDER BY 1')).toEqual([
      { external_id: 'o1', customer: 'c1' },
      { external_id: 'o2', customer: 'c2' },
    ]);
    const { timings, checkpoint } = await ordersImport(tenant);
    expect(Object.keys(timings)).toEqual(expect.arrayContaining(['dropForeignKeys', 'insertIntoEmptyTable', 'restoreForeignKeys']));
    expect(checkpoint).not.toHaveProperty('droppedForeignKeys');
    // The key is enforced again.
    await expect(ingestion.rows(tenant, `INSERT INTO orders (external_id, customer_id, ordered_at) VALUES ('o3', -1, now())`)).rejects.toMatchObject({ code: '23503' });
  });

  it('adds the foreign keys back at once when the final transaction fails', async () => {
    const tenant = await ingestion.seedTenant('bulkfkfail');
    await ingestion.importFile(tenant, { entity: 'customers', content: 'external_id\nc1\nc2' });
    await ingestion.importFile(tenant, { entity: 'orders', content: ORDERS });
    await ingestion.importFile(tenant, { entity: 'products', content: 'sku\ns1' });
    const keys = await foreignKeys(tenant, 'order_items');
    expect(keys.map((key) => key.name)).toEqual(['order_items_order_id_fkey', 'order_items_product_id_fkey']);

    const objectUri = await ingestion.upload(tenant, 'order_external_id,sku,quantity,unit_price\no1,s1,1,10\no2,s1,2,10');
    let keysOutsideTheLoad: unknown;
    const failing = ingestion.loader.load(
      tenant.context,
      'UTC',
      { entity: 'order_items', format: 'csv', objectUri, mode: 'upsert', options: { onUnknownReference: 'reject', maxRejectedShare: 0.5 } },
      async () => {
        // Seen from another connection, the load's transaction not committed: the keys were dropped.
        keysOutsideTheLoad = await foreignKeys(tenant, 'order_items');
        throw new Error('connection lost before COMMIT');
      },
    );
    await expect(failing).rejects.toThrow('connection lost before COMMIT');

    expect(keysOutsideTheLoad).toEqual([]);
    expect(await foreignKeys(tenant, 'order_items')).toEqual(keys);
    // No request will come to finish a load's import: it is failed at once (ImportLoader.load).
    expect(await ingestion.rows(tenant, `SELECT status, checkpoint ? 'droppedForeignKeys' AS recorded FROM imports WHERE entity = 'order_items'`)).toEqual([
      { status: 'failed', recorded: false },
    ]);
    expect(await ingestion.rows(tenant, 'SELECT count(*)::int AS n FROM order_items')).toEqual([{ n: 0 }]);
  });

  it('a worker that dies after dropping the keys leaves them recorded on the import, and its next run adds them back with the rows', async () => {
    const tenant = await tenantWithCustomers('bulkfkcrash');
    const keys = await foreignKeys(tenant, 'orders');
    const objectUri = await ingestion.upload(tenant, ORDERS);
    const importId = await ingestion.loader.createImport(tenant.context, {
      entity: 'orders',
      format: 'csv',
      objectUri,
      mode: 'upsert',
      options: { onUnknownReference: 'reject', maxRejectedShare: 0.5 },
    });

    await withFinalTransactionHeld(tenant, async () => {
      const run = ingestion.loader.run({ tenant: tenant.context, timezone: 'UTC', importId }).then(
        () => 'finished',
        (error: unknown) => error,
      );
      await ordersKeyDropped(tenant);
      // The worker's connection goes (its process killed) while its final transaction waits.
      await withClient(testPostgresUrlOrThrow(), async (admin) => {
        const waiting = async () =>
          (await admin.query(`SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE query LIKE 'ANALYZE%' AND wait_event_type = 'Lock' AND datname = $1`, [new URL(tenant.databaseUrl).pathname.slice(1)])).rows.length > 0;
        await waitFor(waiting, { description: "the import's final transaction to wait for its lock" });
      });
      expect(await run).toBeInstanceOf(Error);
    });

    // Nothing loaded, the key still dropped and recorded: nothing else knows to add it back.
    expect(await ingestion.rows(tenant, 'SELECT count(*)::int AS n FROM orders')).toEqual([{ n: 0 }]);
    expect(await foreignKeys(tenant, 'orders')).toEqual([]);
    expect(await ingestion.rows(tenant, `SELECT status, checkpoint->'droppedForeignKeys' AS keys FROM imports WHERE id = $1`, [importId])).toEqual([
      { status: 'running', keys: [{ table: 'orders', name: keys[0]?.name, definition: keys[0]?.definition }] },
    ]);

    const rerun = await ingestion.loader.run({ tenant: tenant.context, timezone: 'UTC', importId });
    expect(rerun).toMatchObject({ status: 'succeeded', rowsLoaded: 2 });
    expect(await foreignKeys(tenant, 'orders')).toEqual(keys);
    expect(await ingestion.rows(tenant, 'SELECT count(*)::int AS n FROM orders')).toEqual([{ n: 2 }]);
  });
});
