import { withClient } from '@pulse/testing';
import { IngestionUnderTest } from '../ingestion.int-kit';

// A tenant's first load of orders (or order lines) goes in bulk into the empty table, its secondary
// indexes rebuilt after the insert. Its foreign keys stay: dropping one takes ACCESS EXCLUSIVE on the
// table it references until COMMIT, so every api read of the tenant's customers (or products, orders)
// waited for the whole load, and one reader holding customers blocked the load itself.

describe('a bulk load into an empty table and the readers of the tables it references', () => {
  let ingestion: IngestionUnderTest;

  beforeAll(async () => {
    ingestion = await IngestionUnderTest.start({ INGESTION_BULK_LOAD_MIN_ROWS: '1' });
  }, 120_000);

  afterAll(async () => {
    await ingestion?.stop();
  });

  it('loads the first orders while a reader holds customers, and takes no lock on customers that readers wait for', async () => {
    const tenant = await ingestion.seedTenant('bulkreaders');
    await ingestion.importFile(tenant, { entity: 'customers', content: 'external_id\nc1\nc2' });

    await withClient(tenant.databaseUrl, async (reader) => {
      // An api read in progress: ACCESS SHARE on customers until its transaction ends.
      await reader.query('BEGIN');
      await reader.query('SELECT count(*) FROM customers');
      const loaded = ingestion.importFile(tenant, { entity: 'orders', content: 'external_id,customer_external_id,ordered_at\no1,c1,2026-01-01T00:00:00Z\no2,c2,2026-01-02T00:00:00Z' });
      const outcome = await Promise.race([loaded, new Promise<'blocked'>((resolve) => setTimeout(() => resolve('blocked'), 10_000))]);
      await reader.query('COMMIT');
      // Before: 'blocked' (the load waited to drop orders' foreign key to customers behind this reader).
      expect(outcome).toMatchObject({ status: 'succeeded', rowsLoaded: 2 });
      await loaded;
    });

    // It was a bulk load (the empty-table path), and the table has its foreign key as the schema defines it.
    expect(await ingestion.rows(tenant, `SELECT (timings ? 'insertIntoEmptyTable') AS bulk FROM imports WHERE entity = 'orders'`)).toEqual([{ bulk: true }]);
    expect(await ingestion.rows(tenant, `SELECT conname FROM pg_constraint WHERE conrelid = 'orders'::regclass AND contype = 'f'`)).toEqual([{ conname: 'orders_customer_id_fkey' }]);
  });
});
