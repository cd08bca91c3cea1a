import { CANONICAL_ENTITIES, CANONICAL_ENTITY_SPECS, type CanonicalEntity } from '@pulse/contracts';
import { indexedTextFields } from '@pulse/parsing';
import { createDuckDbWarehouse, type DuckDbWarehouse } from '@pulse/warehouse';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { Readable } from 'node:stream';
import { IngestionUnderTest, type SeededTenant } from '../ingestion.int-kit';

// Expected rows are worked out by hand from the files below (line 1 is the header).

const CUSTOMERS = [
  'external_id,name,email,segment,aliases,tier',
  'c1,Ana,ana@example.com,smb,legacy-1|shop-001,gold', // line 2: superseded by line 4
  'c2,Bruno,,enterprise,,silver',
  'c1,Ana Maria,ana@example.com,smb,legacy-1,gold', // line 4: wins
  'c3,Carla,carla@example.com,,legacy-3,bronze',
].join('\n');

const ORDERS = [
  'external_id,customer_external_id,ordered_at,status,currency,total',
  'o1,c1,2026-01-05T10:00:00Z,paid,BRL,100.50',
  'o2,legacy-3,2026-01-06T11:00:00Z,paid,BRL,20', // an alias of c3
  'o3,nobody,2026-01-07T12:00:00Z,paid,BRL,5', // unknown customer
].join('\n');

/** A table's indexes and foreign keys as the catalog defines them. */
const SCHEMA_OBJECTS_SQL = `
  SELECT tablename AS "table", indexname AS name, indexdef AS definition FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY($1)
  UNION ALL
  SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY($1)
  ORDER BY 1, 2`;

// Every case runs twice: with the default threshold (these small files upsert row by row) and with a
// bulk-load threshold of one row, so that every load into an empty table drops and rebuilds its
// indexes (its foreign keys stay); both must give the same rows, rejects and schema.
describe.each<{ loads: string; env: Record<string, string> }>([
  { loads: 'row by row', env: {} },
  { loads: 'in bulk into empty tables', env: { INGESTION_BULK_LOAD_MIN_ROWS: '1' } },
])('ImportLoader, loading $loads (real PostgreSQL, DuckDB warehouse)', ({ env }) => {
  let ingestion: IngestionUnderTest;

  beforeAll(async () => {
    ingestion = await IngestionUnderTest.start(env);
  }, 120_000);

  afterAll(async () => {
    await ingestion?.stop();
  });

  const customers = (tenant: SeededTenant) =>
    ingestion.rows(tenant, `SELECT external_id, name, email, segment, custom FROM customers ORDER BY external_id`);
  const aliases = (tenant: SeededTenant) =>
    ingestion.rows(tenant, `SELECT a.source_id AS alias, c.external_id FROM customer_aliases a JOIN customers c ON c.id = a.customer_id ORDER BY a.source_id`);
  const errors = (tenant: SeededTenant, importId: string) =>
    ingestion.rows(tenant, `SELECT line_number::int AS line, "column", reason_code, message FROM import_errors WHERE import_id = $1 ORDER BY line_number`, [importId]);

  describe("another tenant's stored file", () => {
    it("is never loaded into a tenant whose import row names it: the import fails and nothing of it is read", async () => {
      const owner = await ingestion.seedTenant('file-owner');
      const other = await ingestion.seedTenant('file-other');
      const ownersFile = await ingestion.upload(owner, 'external_id,name\nsecret-1,Owner customer\n');
      // An import row of `other` naming `owner`'s object (only a writer bug or a tampered row could make one).
      const importId = await ingestion.loader.createImport(other.context, {
        entity: 'customers',
        format: 'csv',
        objectUri: ownersFile,
        mode: 'upsert',
        options: { onUnknownReference: 'reject', maxRejectedShare: 0.5 },
      });
      const outcome = await ingestion.loader.run({ tenant: other.context, timezone: 'UTC', importId });
      expect(outcome).toMatchObject({ status: 'failed', errorCode: 'import.foreign_object', rowsReceived: 0, rowsLoaded: 0 });
      expect(await customers(other)).toEqual([]);
    });

    it("is never handed to the warehouse as a tenant's staged load: the next import's hand-over fails, visibly, and the warehouse gets nothing", async () => {
      const owner = await ingestion.seedTenant('staged-owner');
      const other = await ingestion.seedTenant('staged-other');
      const ownersFile = await ingestion.upload(owner, 'external_id,name\nsecret-1,Owner customer\n');
      // A finished import of `other` whose pending warehouse load names `owner`'s object (a tampered row).
      const first = await ingestion.importFile(other, { entity: 'customers', content: 'external_id,name\nmine-1,Mine\n' });
      expect(first).toMatchObject({ status: 'succeeded' });
      await ingestion.rows(other, `UPDATE imports SET checkpoint = jsonb_build_object('warehouse', jsonb_build_array(jsonb_build_object('entity', 'customers', 'mode', 'upsert', 'objectUri', $2::text))) WHERE id = $1`, [
        first.importId,
        ownersFile,
      ]);

      // The next import commits its rows, then hands the tenant's pending loads over, oldest first: as when
      // the warehouse refuses a load, its run fails (the request is redelivered) and the loads stay pending.
      await expect(ingestion.importFile(other, { entity: 'customers', content: 'external_id,name\nmine-2,Also mine\n' })).rejects.toMatchObject({
        code: 'import.foreign_object',
        message: `A staged warehouse load of import ${first.importId} is not stored under this tenant; nothing was read.`,
      });
      expect(await customers(other)).toEqual([
        expect.objectContaining({ external_id: 'mine-1' }),
        expect.objectContaining({ external_id: 'mine-2' }),
      ]);
      const warehouse: DuckDbWarehouse = createDuckDbWarehouse({ directory: path.join(ingestion.folder, 'warehouse') });
      try {
        const target = { tenantId: other.tenantId, slug: other.slug };
        await warehouse.applyPendingLoads(target);
        const names = await warehouse.query(target, 'SELECT external_id FROM customers ORDER BY external_id', { label: 'test' });
        expect(names.map((row) => row['external_id'])).not.toContain('secret-1');
      } finally {
        await warehouse.close();
      }
    });
  });

  describe("a source sync's import whose source was deleted", () => {
    it('is failed, not applied as an upload, when a worker picks it up after its sync died', async () => {
      const tenant = await ingestion.seedTenant('orphaned-sync');
      // The batch a sync wrote under the source's folder; the source is gone (imports.source_id SET NULL).
      const key = `tenants/${tenant.tenantId}/sources/${randomUUID()}/syncs/${randomUUID()}/00001.ndjson`;
      const stored = await ingestion.storage.put(key, Readable.from([Buffer.from('{"external_id":"c1","name":"Stale"}\n')]));
      const importId = await ingestion.loader.createImport(tenant.context, {
        entity: 'customers',
        format: 'ndjson',
        objectUri: stored.uri,
        mode: 'upsert',
        options: { onUnknownReference: 'reject', maxRejectedShare: 0.5 },
      });
      expect(await ingestion.loader.unfinishedUploads(tenant.context)).toEqual([importId]);

      const outcome = await ingestion.loader.run({ tenant: tenant.context, timezone: 'UTC', importId });

      expect(outcome).toMatchObject({
        status: 'failed',
        errorCode: 'source_deleted',
        error: 'The source this import was read from was deleted before the import finished; nothing of it was applied.',
        rowsLoaded: 0,
      });
      expect(await customers(tenant)).toEqual([]);
      expect(await ingestion.loader.unfinishedUploads(tenant.context)).toEqual([]);
    });
  });

  describe('customers, then orders referencing them', () => {
    let tenant: SeededTenant;

    beforeAll(async () => {
      tenant = await ingestion.seedTenant('loader');
    });

    it('loads customers: the last of duplicate keys wins, the earlier row is rejected, aliases are recorded', async () => {
      const outcome = await ingestion.importFile(tenant, { entity: 'customers', content: CUSTOMERS });
      expect(outcome).toMatchObject({ status: 'partially_succeeded', rowsReceived: 4, rowsLoaded: 3, rowsRejected: 1, errorCode: null });
      expect(await customers(tenant)).toEqual([
        { external_id: 'c1', name: 'Ana Maria', email: 'ana@example.com', segment: 'smb', custom: { tier: 'gold' } },
        { external_id: 'c2', name: 'Bruno', email: null, segment: 'enterprise', custom: { tier: 'silver' } },
        { external_id: 'c3', name: 'Carla', email: 'carla@example.com', segment: null, custom: { tier: 'bronze' } },
      ]);
      // shop-001 was only on the superseded line 2.
      expect(await aliases(tenant)).toEqual([
        { alias: 'legacy-1', external_id: 'c1' },
        { alias: 'legacy-3', external_id: 'c3' },
      ]);
      expect(await errors(tenant, outcome.importId)).toEqual([
        { line: 2, column: 'external_id', reason_code: 'duplicate_key', message: 'The key c1 appears again on line 4; the last occurrence is loaded.' },
      ]);
      const [record] = await ingestion.rows<{ timings: Record<string, number> }>(
        tenant,
        `SELECT status, rows_received, rows_loaded, rows_rejected, started_at, finished_at, timings FROM imports WHERE id = $1`,
        [outcome.importId],
      );
      expect(record).toMatchObject({ status: 'partially_succeeded', rows_received: '4', rows_loaded: '3', rows_rejected: '1' });
      // The step timings show the duplicate key's path: loaded as if keys were unique, undone, ranked, loaded again.
      expect(Object.keys(record?.timings ?? {})).toEqual(
        expect.arrayContaining(['staging', 'resolveReferences', 'validate', 'unrankedAttemptUndone', 'rankAndValidate', 'recordRejects', 'stagedFileAndWarehouse']),
      );
      expect(Object.values(record?.timings ?? {}).every((ms) => Number.isInteger(ms) && ms >= 0)).toBe(true);
      // ingestion.completed.v1 is in the outbox, in the same transaction as the rows.
      const events = await ingestion.rows(tenant, `SELECT topic, payload FROM outbox WHERE payload->>'importId' = $1`, [outcome.importId]);
      expect(events).toEqual([
        {
          topic: 'ingestion.completed.v1',
          payload: expect.objectContaining({ importId: outcome.importId, entity: 'customers', status: 'partially_succeeded', rowsReceived: 4, rowsLoaded: 3, rowsRejected: 1 }),
        },
      ]);
    });

    it('resolves an order to its customer through an alias, and rejects an unknown customer', async () => {
      const outcome = await ingestion.importFile(tenant, { entity: 'orders', content: ORDERS });
      expect(outcome).toMatchObject({ status: 'partially_succeeded', rowsReceived: 3, rowsLoaded: 2, rowsRejected: 1 });
      expect(
        await ingestion.rows(tenant, `SELECT o.external_id, c.external_id AS customer, o.total::text, o.ordered_at FROM orders o JOIN customers c ON c.id = o.customer_id ORDER BY 1`),
      ).toEqual([
        { external_id: 'o1', customer: 'c1', total: '100.5000', ordered_at: new Date('2026-01-05T10:00:00Z') },
        { external_id: 'o2', customer: 'c3', total: '20.0000', ordered_at: new Date('2026-01-06T11:00:00Z') },
      ]);
      expect(await errors(tenant, outcome.importId)).toEqual([
        { line: 4, column: 'customer_external_id', reason_code: 'unknown_reference', message: 'No customer has the external id or alias "nobody".' },
      ]);
    });

    it('queues the loaded rows for the warehouse with canonical customer ids (DuckDB)', async () => {
      const warehouse: DuckDbWarehouse = createDuckDbWarehouse({ directory: path.join(ingestion.folder, 'warehouse') });
      try {
        const target = { tenantId: tenant.tenantId, slug: tenant.slug };
        expect((await warehouse.applyPendingLoads(target)).applied).toBe(2);
        const rows = await warehouse.query(target, 'SELECT external_id, customer_external_id, CAST(total AS VARCHAR) AS total FROM orders ORDER BY external_id', { label: 'test' });
        expect(rows).toEqual([
          { external_id: 'o1', customer_external_id: 'c1', total: '100.5000' },
          { external_id: 'o2', customer_external_id: 'c3', total: '20.0000' },
        ]);
        expect(await warehouse.query(target, 'SELECT count(*)::INTEGER AS n FROM customers', { label: 'test' })).toEqual([{ n: 3 }]);
      } finally {
        await warehouse.close();
      }
    });

    it('creates a stub customer for an unknown reference when the import asks for it', async () => {
      const outcome = await ingestion.importFile(tenant, { entity: 'orders', content: ORDERS, options: { onUnknownReference: 'create_stub' } });
      expect(outcome).toMatchObject({ status: 'succeeded', rowsReceived: 3, rowsLoaded: 3, rowsRejected: 0 });
      expect(await ingestion.rows(tenant, `SELECT external_id, name FROM customers WHERE external_id = 'nobody'`)).toEqual([{ external_id: 'nobody', name: null }]);
      expect(await ingestion.rows(tenant, `SELECT c.external_id FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.external_id = 'o3'`)).toEqual([{ external_id: 'nobody' }]);
    });

    it('reloading the same file changes nothing (same rows, same updated_at)', async () => {
      const before = await ingestion.rows(tenant, 'SELECT external_id, updated_at FROM orders ORDER BY external_id');
      const outcome = await ingestion.importFile(tenant, { entity: 'orders', content: ORDERS, options: { onUnknownReference: 'create_stub' } });
      expect(outcome.status).toBe('succeeded');
      expect(await ingestion.rows(tenant, 'SELECT external_id, updated_at FROM orders ORDER BY external_id')).toEqual(before);
    });
  });

  describe('a duplicate key whose earlier row has an unknown reference', () => {
    it('creates no stub for the rejected row: only loaded rows make parents', async () => {
      const tenant = await ingestion.seedTenant('dupstub');
      await ingestion.importFile(tenant, { entity: 'customers', content: 'external_id\nc1' });
      const content = ['external_id,customer_external_id,ordered_at', 'o1,typo-cust,2026-01-01T00:00:00Z', 'o1,c1,2026-01-02T00:00:00Z'].join('\n');
      const outcome = await ingestion.importFile(tenant, { entity: 'orders', content, options: { onUnknownReference: 'create_stub' } });
      expect(outcome).toMatchObject({ status: 'partially_succeeded', rowsLoaded: 1, rowsRejected: 1 });
      expect(await ingestion.rows(tenant, 'SELECT external_id FROM customers ORDER BY 1')).toEqual([{ external_id: 'c1' }]);

      // An order line whose order is unknown is rejected; its SKU does not become a product.
      const items = ['order_external_id,line_number,sku,quantity,unit_price', 'o1,1,SKU-REAL,1,10', 'no-such-order,1,SKU-TYPO,1,10'].join('\n');
      const lines = await ingestion.importFile(tenant, { entity: 'order_items', content: items, options: { onUnknownReference: 'create_stub', maxRejectedShare: 0.9 } });
      expect(lines).toMatchObject({ rowsLoaded: 1, rowsRejected: 1 });
      expect(await ingestion.rows(tenant, 'SELECT sku FROM products ORDER BY 1')).toEqual([{ sku: 'SKU-REAL' }]);
    });

    it('still ranks it: the earlier row is the duplicate, the later one loads', async () => {
      const tenant = await ingestion.seedTenant('dupref');
      await ingestion.importFile(tenant, { entity: 'customers', content: 'external_id\nc1' });
      const content = ['external_id,customer_external_id,ordered_at', 'o1,ghost,2026-01-01T00:00:00Z', 'o2,c1,2026-01-02T00:00:00Z', 'o1,c1,2026-01-03T00:00:00Z'].join('\n');
      const outcome = await ingestion.importFile(tenant, { entity: 'orders', content });
      expect(outcome).toMatchObject({ status: 'partially_succeeded', rowsReceived: 3, rowsLoaded: 2, rowsRejected: 1 });
      expect(await ingestion.rows(tenant, `SELECT external_id, ordered_at FROM orders ORDER BY 1`)).toEqual([
        { external_id: 'o1', ordered_at: new Date('2026-01-03T00:00:00Z') },
        { external_id: 'o2', ordered_at: new Date('2026-01-02T00:00:00Z') },
      ]);
      expect(await errors(tenant, outcome.importId)).toEqual([
        { line: 2, column: 'external_id', reason_code: 'duplicate_key', message: 'The key o1 appears again on line 4; the last occurrence is loaded.' },
      ]);
    });

    it('when the last occurrence is rejected by the loader, the earlier one does not load in its place, and its error says so', async () => {
      const tenant = await ingestion.seedTenant('duplast');
      await ingestion.importFile(tenant, { entity: 'customers', content: 'external_id\nc1' });
      const content = ['external_id,customer_external_id,ordered_at', 'o1,c1,2026-01-01T00:00:00Z', 'o1,ghost,2026-01-02T00:00:00Z', 'o2,c1,2026-01-03T00:00:00Z'].join('\n');
      const outcome = await ingestion.importFile(tenant, { entity: 'orders', content, options: { maxRejectedShare: 0.9 } });
      expect(outcome).toMatchObject({ status: 'partially_succeeded', rowsReceived: 3, rowsLoaded: 1, rowsRejected: 2 });
      expect(await ingestion.rows(tenant, `SELECT external_id FROM orders ORDER BY 1`)).toEqual([{ external_id: 'o2' }]);
      expect(await errors(tenant, outcome.importId)).toEqual([
        // Before: "...; the last occurrence is loaded.", while neither line was.
        { line: 2, column: 'external_id', reason_code: 'duplicate_key', message: 'The key o1 appears again on line 3; that last occurrence is rejected too, so no line with this key is loaded.' },
        { line: 3, column: 'customer_external_id', reason_code: 'unknown_reference', message: 'No customer has the external id or alias "ghost".' },
      ]);
    });

    it('when the last occurrence is rejected by the parser (a bad cell), the earlier one does not load in its place', async () => {
      const tenant = await ingestion.seedTenant('dupparse');
      await ingestion.importFile(tenant, { entity: 'customers', content: 'external_id,name,customer_since\nr3,Old,2019-01-01' });
      const content = ['external_id,name,customer_since', 'r3,Stale,2020-01-01', 'r3,Latest,2020-99-99', 'r4,Other,'].join('\n');
      const outcome = await ingestion.importFile(tenant, { entity: 'customers', content, options: { maxRejectedShare: 0.9 } });
      expect(outcome).toMatchObject({ status: 'partially_succeeded', rowsReceived: 3, rowsLoaded: 1, rowsRejected: 2 });
      // Before: r3 became "Stale", a line the file itself had replaced.
      expect(await ingestion.rows(tenant, `SELECT external_id, name FROM customers ORDER BY 1`)).toEqual([
        { external_id: 'r3', name: 'Old' },
        { external_id: 'r4', name: 'Other' },
      ]);
      const recorded = await errors(tenant, outcome.importId);
      expect(recorded.map(({ line, reason_code }) => ({ line, reason_code }))).toEqual([
        { line: 2, reason_code: 'duplicate_key' },
        { line: 3, reason_code: 'invalid_date' },
      ]);
      expect(recorded[0]).toMatchObject({ column: 'external_id', message: 'The key r3 appears again on line 3, which was rejected (see its error); no line with this key is loaded.' });
    });
  });

  describe('a duplicate key whose earlier line equals the stored row', () => {
    it('is still a duplicate: the earlier line is rejected and its aliases are not recorded', async () => {
      const tenant = await ingestion.seedTenant('dupsame');
      await ingestion.importFile(tenant, { entity: 'customers', content: 'external_id,name\nk1,Kim\nk2,Lia' });
      // Line 2 changes nothing stored (its alias aside); line 3 renames k1.
      const content = ['external_id,name,aliases', 'k1,Kim,kim-old', 'k1,Kim Lee,', 'k2,Lia,'].join('\n');
      const outcome = await ingestion.importFile(tenant, { entity: 'customers', content, options: { maxRejectedShare: 0.9 } });
      expect(outcome).toMatchObject({ status: 'partially_succeeded', rowsReceived: 3, rowsLoaded: 2, rowsRejected: 1 });
      expect(await errors(tenant, outcome.importId)).toEqual([
        { line: 2, column: 'external_id', reason_code: 'duplicate_key', message: 'The key k1 appears again on line 3; the last occurrence is loaded.' },
      ]);
      expect((await customers(tenant)).map((row) => (row as { name: string }).name)).toEqual(['Kim Lee', 'Lia']);
      // Before: the unchanged line 2 was skipped by the upsert, line 3 updated k1 alone, and the superseded line's alias loaded.
      expect(await aliases(tenant)).toEqual([]);
    });

    it('is still a duplicate when both lines equal the stored row', async () => {
      const tenant = await ingestion.seedTenant('dupboth');
      await ingestion.importFile(tenant, { entity: 'products', content: 'sku,name\nP1,Pen\nP2,Ink' });
      const outcome = await ingestion.importFile(tenant, { entity: 'products', content: 'sku,name\nP1,Pen\nP1,Pen\nP2,Ink', options: { maxRejectedShare: 0.9 } });
      expect(outcome).toMatchObject({ status: 'partially_succeeded', rowsReceived: 3, rowsLoaded: 2, rowsRejected: 1 });
      expect((await errors(tenant, outcome.importId)).map(({ line, reason_code }) => ({ line, reason_code }))).toEqual([{ line: 2, reason_code: 'duplicate_key' }]);
    });
  });

  describe('two customers of one file given the same alias', () => {
    it('the last line that gives it wins; the earlier one is rejected duplicate_alias instead of losing its alias silently', async () => {
      const tenant = await ingestion.seedTenant('alias-conflict');
      const content = ['external_id,name,aliases', 'AL1,Ana,shared|al1x', 'AL2,Bia,shared', 'AL3,Caio,al3x'].join('\n');
      const outcome = await ingestion.importFile(tenant, { entity: 'customers', content, options: { maxRejectedShare: 0.9 } });
      expect(outcome).toMatchObject({ status: 'partially_succeeded', rowsReceived: 3, rowsLoaded: 2, rowsRejected: 1 });
      expect(await errors(tenant, outcome.importId)).toEqual([
        {
          line: 2,
          column: 'aliases',
          reason_code: 'duplicate_alias',
          message: 'The alias "shared" is also given to customer AL2 on line 3; an alias names one customer, and the last line that gives it wins.',
        },
      ]);
      expect(await aliases(tenant)).toEqual([
        { alias: 'al3x', external_id: 'AL3' },
        { alias: 'shared', external_id: 'AL2' },
      ]);
      expect((await customers(tenant)).map((row) => (row as { external_id: string }).external_id)).toEqual(['AL2', 'AL3']);
    });
  });

  describe('order items', () => {
    it('numbers lines by position within their order, links known SKUs, rejects lines of unknown orders', async () => {
      const tenant = await ingestion.seedTenant('items');
      await ingestion.importFile(tenant, { entity: 'customers', content: 'external_id\nc1' });
      await ingestion.importFile(tenant, { entity: 'orders', content: 'external_id,customer_external_id,ordered_at\no1,c1,2026-02-01T00:00:00Z\no2,c1,2026-02-02T00:00:00Z' });
      await ingestion.importFile(tenant, { entity: 'products', content: 'sku,name,price\nSKU-1,Widget,10' });
      const outcome = await ingestion.importFile(tenant, {
        entity: 'order_items',
        content: ['order_external_id,sku,quantity,unit_price', 'o1,SKU-1,2,10.00', 'o2,SKU-2,1,20', 'o1,SKU-3,1.5,80.5', 'o9,SKU-1,1,1'].join('\n'),
      });
      expect(outcome).toMatchObject({ status: 'partially_succeeded', rowsReceived: 4, rowsLoaded: 3, rowsRejected: 1 });
      expect(
        await ingestion.rows(
          tenant,
          `SELECT o.external_id AS "order", i.line_number, i.sku, p.sku AS product, i.quantity::text, i.unit_price::text
             FROM order_items i JOIN orders o ON o.id = i.order_id LEFT JOIN products p ON p.id = i.product_id ORDER BY 1, 2`,
        ),
      ).toEqual([
        { order: 'o1', line_number: 1, sku: 'SKU-1', product: 'SKU-1', quantity: '2.0000', unit_price: '10.0000' },
        { order: 'o1', line_number: 2, sku: 'SKU-3', product: null, quantity: '1.5000', unit_price: '80.5000' },
        { order: 'o2', line_number: 1, sku: 'SKU-2', product: null, quantity: '1.0000', unit_price: '20.0000' },
      ]);
      const [rejected] = await errors(tenant, outcome.importId);
      expect(rejected).toEqual({ line: 5, column: 'order_external_id', reason_code: 'unknown_reference', message: 'No order has the external id "o9".' });

      // Line numbers given by the file are kept; one beyond the column's range is rejected.
      const numbered = await ingestion.importFile(tenant, {
        entity: 'order_items',
        content: ['order_external_id,line_number,sku,quantity,unit_price', 'o2,7,SKU-1,3,9.5', 'o2,3000000000,SKU-1,1,1'].join('\n'),
      });
      expect(numbered).toMatchObject({ status: 'partially_succeeded', rowsReceived: 2, rowsLoaded: 1, rowsRejected: 1 });
      expect(await ingestion.rows(tenant, `SELECT i.line_number, i.quantity::text FROM order_items i JOIN orders o ON o.id = i.order_id WHERE o.external_id = 'o2' ORDER BY 1`)).toEqual([
        { line_number: 1, quantity: '1.0000' },
        { line_number: 7, quantity: '3.0000' },
      ]);
      expect(await errors(tenant, numbered.importId)).toEqual([
        { line: 3, column: 'line_number', reason_code: 'out_of_range', message: 'The line number 3000000000 is too large.' },
      ]);

      // The loaded tables keep exactly the indexes and foreign keys of a tenant that loaded nothing.
      const tables = ['customers', 'customer_aliases', 'orders', 'products', 'order_items'];
      const fresh = await ingestion.seedTenant('schema');
      expect(await ingestion.rows(tenant, SCHEMA_OBJECTS_SQL, [tables])).toEqual(await ingestion.rows(fresh, SCHEMA_OBJECTS_SQL, [tables]));
      expect(await ingestion.rows(tenant, SCHEMA_OBJECTS_SQL, [tables])).toHaveLength(25);
    });
  });

  describe('upsert vs replace, and the rejected-share threshold', () => {
    let tenant: SeededTenant;

    beforeAll(async () => {
      tenant = await ingestion.seedTenant('replace');
      await ingestion.importFile(tenant, { entity: 'customers', content: 'external_id,name\nc1,One\nc2,Two\nc3,Three' });
      await ingestion.importFile(tenant, { entity: 'orders', content: 'external_id,customer_external_id,ordered_at\no1,c1,2026-03-01T00:00:00Z\no3,c3,2026-03-03T00:00:00Z' });
    });

    it('upsert updates what the file has and keeps the rest', async () => {
      const outcome = await ingestion.importFile(tenant, { entity: 'customers', content: 'external_id,name\nc2,Two (renamed)\nc4,Four' });
      expect(outcome).toMatchObject({ status: 'succeeded', rowsLoaded: 2 });
      expect((await customers(tenant)).map((c) => [c['external_id'], c['name']])).toEqual([
        ['c1', 'One'],
        ['c2', 'Two (renamed)'],
        ['c3', 'Three'],
        ['c4', 'Four'],
      ]);
    });

    it('upsert leaves the columns a file does not have as they were', async () => {
      const outcome = await ingestion.importFile(tenant, { entity: 'customers', content: 'external_id,segment\nc1,vip\nc5,smb' });
      expect(outcome).toMatchObject({ status: 'succeeded', rowsLoaded: 2 });
      const rows = await ingestion.rows(tenant, `SELECT external_id, name, segment FROM customers WHERE external_id IN ('c1', 'c5') ORDER BY 1`);
      expect(rows).toEqual([
        { external_id: 'c1', name: 'One', segment: 'vip' },
        { external_id: 'c5', name: null, segment: 'smb' },
      ]);
    });

    it('upsert from NDJSON: a key a record leaves out keeps its stored value, an explicit null clears it', async () => {
      await ingestion.importFile(tenant, { entity: 'customers', content: 'external_id,name,email\nn1,Ana,ana@example.com\nn2,Bruno,bruno@example.com\nn3,Carla,carla@example.com' });
      const content = ['{"external_id":"n1","name":"Ana 2"}', '{"external_id":"n2","email":"bruno2@example.com"}', '{"external_id":"n3","email":null}', '{"external_id":"n4","name":"Dora"}'].join('\n');
      const outcome = await ingestion.importFile(tenant, { entity: 'customers', format: 'ndjson', content });
      expect(outcome).toMatchObject({ status: 'succeeded', rowsLoaded: 4 });
      expect(await ingestion.rows(tenant, `SELECT external_id, name, email FROM customers WHERE external_id LIKE 'n%' ORDER BY 1`)).toEqual([
        { external_id: 'n1', name: 'Ana 2', email: 'ana@example.com' },
        { external_id: 'n2', name: 'Bruno', email: 'bruno2@example.com' },
        { external_id: 'n3', name: 'Carla', email: null },
        { external_id: 'n4', name: 'Dora', email: null },
      ]);
    });

    it('fails an import whose rejected share exceeds the threshold, changing nothing but recording why', async () => {
      const content = 'external_id,customer_external_id,ordered_at\no5,c1,2026-03-05T00:00:00Z\no6,ghost,2026-03-06T00:00:00Z\no7,ghost,not-a-date';
      const outcome = await ingestion.importFile(tenant, { entity: 'orders', content, options: { maxRejectedShare: 0.5 } });
      expect(outcome).toMatchObject({ status: 'failed', rowsReceived: 3, rowsLoaded: 0, rowsRejected: 2, errorCode: 'rejected_share_exceeded' });
      expect(outcome.error).toContain('2 of 3 rows were rejected, more than the 50 % allowed');
      expect((await ingestion.rows(tenant, 'SELECT external_id FROM orders ORDER BY 1')).map((o) => o['external_id'])).toEqual(['o1', 'o3']);
      expect((await errors(tenant, outcome.importId)).map((e) => [e['line'], e['reason_code']])).toEqual([
        [3, 'unknown_reference'],
        [4, 'invalid_timestamp'],
      ]);
      const failed = await ingestion.rows(tenant, `SELECT topic, payload->>'reason' AS reason FROM outbox WHERE payload->>'importId' = $1`, [outcome.importId]);
      expect(failed).toEqual([{ topic: 'ingestion.failed.v1', reason: 'rejected_share_exceeded' }]);
    });

    it('loads an import whose rejected share is exactly the threshold (63 of 90 at 0.7)', async () => {
      // 0.7 x 90 is 62.99999999999999 in floating point: the import at the limit used to fail.
      const own = await ingestion.seedTenant('share');
      await ingestion.importFile(own, { entity: 'customers', content: 'external_id\nc1' });
      const lines = Array.from({ length: 90 }, (_, i) => `s${i},${i < 27 ? 'c1' : 'ghost'},2026-03-07T00:00:00Z`);
      const content = ['external_id,customer_external_id,ordered_at', ...lines].join('\n');
      const outcome = await ingestion.importFile(own, { entity: 'orders', content, options: { maxRejectedShare: 0.7 } });
      expect(outcome).toMatchObject({ status: 'partially_succeeded', rowsReceived: 90, rowsLoaded: 27, rowsRejected: 63 });
    });

    it('replace deletes the rows the file does not have, cascading to their orders', async () => {
      const before = (await customers(tenant)).length;
      const outcome = await ingestion.importFile(tenant, { entity: 'customers', mode: 'replace', content: 'external_id,name\nc1,One\nc2,Two' });
      expect(outcome).toMatchObject({ status: 'succeeded', rowsLoaded: 2 });
      expect((await customers(tenant)).map((c) => c['external_id'])).toEqual(['c1', 'c2']);
      // What GET /v1/imports/{id} shows as rowsDeleted: the customers deleted (all but c1 and c2; at least
      // c3), not their cascaded orders (o3).
      expect(before).toBeGreaterThanOrEqual(3);
      expect(await ingestion.rows(tenant, 'SELECT rows_deleted::int AS n FROM imports WHERE id = $1', [outcome.importId])).toEqual([{ n: before - 2 }]);
      expect((await ingestion.rows(tenant, 'SELECT external_id FROM orders ORDER BY 1')).map((o) => o['external_id'])).toEqual(['o1']);
    });

    it('refuses a replace without a single valid row instead of emptying the table', async () => {
      const outcome = await ingestion.importFile(tenant, { entity: 'customers', mode: 'replace', content: 'external_id,name\n' });
      expect(outcome).toMatchObject({ status: 'failed', rowsReceived: 0, errorCode: 'empty_replace' });
      expect((await customers(tenant)).map((c) => c['external_id'])).toEqual(['c1', 'c2']);
    });
  });
  describe('a line the parser rejected still names its row', () => {
    it('a replace keeps the row of a rejected line, and its orders, instead of deleting them', async () => {
      const tenant = await ingestion.seedTenant('kept');
      await ingestion.importFile(tenant, { entity: 'customers', content: 'external_id,name\nc1,One\nc2,Two\nc3,Three' });
      await ingestion.importFile(tenant, { entity: 'orders', content: 'external_id,customer_external_id,ordered_at\no1,c1,2026-01-01T00:00:00Z\no2,c2,2026-01-02T00:00:00Z' });

      const outcome = await ingestion.importFile(tenant, { entity: 'customers', mode: 'replace', content: 'external_id,name,customer_since\nc1,Uno,2024-01-01\nc2,Dos,2024-13-45' });
      expect(outcome).toMatchObject({ status: 'partially_succeeded', rowsLoaded: 1, rowsRejected: 1 });
      // c3 is in no line: deleted. c2's line was rejected for its date: c2 stays as it was, with its order.
      expect(await ingestion.rows(tenant, 'SELECT external_id, name FROM customers ORDER BY 1')).toEqual([
        { external_id: 'c1', name: 'Uno' },
        { external_id: 'c2', name: 'Two' },
      ]);
      expect(await ingestion.rows(tenant, 'SELECT external_id FROM orders ORDER BY 1')).toEqual([{ external_id: 'o1' }, { external_id: 'o2' }]);
    });

    it('so does a row rejected for a NUL character, which PostgreSQL cannot store: a replace keeps its row', async () => {
      const tenant = await ingestion.seedTenant('nul');
      await ingestion.importFile(tenant, { entity: 'customers', content: 'external_id,name\nc1,One\nc2,Two\nc3,Three' });
      const content = ['{"external_id":"c1","name":"Uno"}', '{"external_id":"c2","name":"Do\\u0000s"}'].join('\n');
      const outcome = await ingestion.importFile(tenant, { entity: 'customers', format: 'ndjson', mode: 'replace', content });
      expect(outcome).toMatchObject({ status: 'partially_succeeded', rowsLoaded: 1, rowsRejected: 1 });
      // Before: the rejection named no row, so the replace deleted c2 (and would have cascaded to its orders).
      expect(await ingestion.rows(tenant, 'SELECT external_id, name FROM customers ORDER BY 1')).toEqual([
        { external_id: 'c1', name: 'Uno' },
        { external_id: 'c2', name: 'Two' },
      ]);
      expect(await errors(tenant, outcome.importId)).toEqual([{ line: 2, column: 'name', reason_code: 'invalid_value', message: 'The value contains a NUL character, which cannot be stored.' }]);
    });

    it('an order line numbered by position counts a rejected line before it, so no line takes another one’s number', async () => {
      const tenant = await ingestion.seedTenant('positions');
      await ingestion.importFile(tenant, { entity: 'customers', content: 'external_id\nc1' });
      await ingestion.importFile(tenant, { entity: 'orders', content: 'external_id,customer_external_id,ordered_at\no1,c1,2026-01-01T00:00:00Z' });
      const lines = (second: string) => ['order_external_id,sku,quantity,unit_price', 'o1,A,1,10', `o1,B,${second},20`, 'o1,C,3,30'].join('\n');
      await ingestion.importFile(tenant, { entity: 'order_items', content: lines('2') });

      const outcome = await ingestion.importFile(tenant, { entity: 'order_items', content: lines('one') });
      expect(outcome).toMatchObject({ status: 'partially_succeeded', rowsLoaded: 2, rowsRejected: 1 });
      // Line 2 (B) was rejected: the stored B stays line 2, C stays line 3.
      expect(await ingestion.rows(tenant, 'SELECT line_number, sku, quantity::int FROM order_items ORDER BY 1')).toEqual([
        { line_number: 1, sku: 'A', quantity: 1 },
        { line_number: 2, sku: 'B', quantity: 2 },
        { line_number: 3, sku: 'C', quantity: 3 },
      ]);
    });
  });

  describe('a value PostgreSQL refuses', () => {
    it('fails the import at once (unstorable_value, ingestion.failed.v1) and changes nothing, instead of retrying or staying running', async () => {
      const tenant = await ingestion.seedTenant('refused');
      await ingestion.importFile(tenant, { entity: 'customers', content: 'external_id,name\nc1,One' });
      // A rule the parser cannot know: the tenant's table refuses what the file says.
      await ingestion.rows(tenant, `ALTER TABLE customers ADD CONSTRAINT test_refuses CHECK (name IS DISTINCT FROM 'refused')`);

      const outcome = await ingestion.importFile(tenant, { entity: 'customers', content: 'external_id,name\nc1,Renamed\nc2,refused' });
      expect(outcome).toMatchObject({ status: 'failed', rowsReceived: 2, rowsLoaded: 0, errorCode: 'unstorable_value' });
      expect(outcome.error).toContain('SQLSTATE 23514');
      expect(await ingestion.rows(tenant, 'SELECT external_id, name FROM customers ORDER BY 1')).toEqual([{ external_id: 'c1', name: 'One' }]);
      const [record] = await ingestion.rows(tenant, 'SELECT status, error_code FROM imports WHERE id = $1', [outcome.importId]);
      expect(record).toEqual({ status: 'failed', error_code: 'unstorable_value' });
      const events = await ingestion.rows(tenant, `SELECT topic, payload->>'reason' AS reason FROM outbox WHERE payload->>'importId' = $1`, [outcome.importId]);
      expect(events).toEqual([{ topic: 'ingestion.failed.v1', reason: 'unstorable_value' }]);
    });
  });

  describe('the errors of rows the loader rejects', () => {
    it('name the column as the file writes it and give the row as staged: the fields the file has, normalised, and custom', async () => {
      const tenant = await ingestion.seedTenant('loader-rejects');
      await ingestion.importFile(tenant, { entity: 'customers', content: 'external_id,name\nc1,Ana' });
      const mapping = { columns: { Pedido: 'external_id', Cliente: 'customer_external_id', Data: 'ordered_at', Valor: 'total' }, locale: { dateFormat: 'dd/mm/yyyy' as const } };
      const file = ['Pedido;Cliente;Data;Valor;Canal', 'P1;c1;01/02/2026;1.234,50;web', 'P2;ninguém;01/02/2026;10;app', 'P1;c1;02/02/2026;5;web'].join('\n');
      const outcome = await ingestion.importFile(tenant, { entity: 'orders', content: file, mapping, options: { maxRejectedShare: 0.9 } });
      expect(outcome).toMatchObject({ status: 'partially_succeeded', rowsReceived: 3, rowsLoaded: 1, rowsRejected: 2 });
      const rejected = await ingestion.rows<{ line: number; column: string; reason_code: string; raw_row: string }>(
        tenant,
        'SELECT line_number::int AS line, "column", reason_code, raw_row FROM import_errors WHERE import_id = $1 ORDER BY line_number',
        [outcome.importId],
      );
      expect(rejected.map(({ raw_row: raw, ...error }) => ({ ...error, raw: JSON.parse(raw) as unknown }))).toEqual([
        {
          line: 2,
          column: 'Pedido',
          reason_code: 'duplicate_key',
          raw: { external_id: 'P1', customer_external_id: 'c1', ordered_at: '2026-02-01T00:00:00.000Z', total: '1234.5000', custom: { canal: 'web' } },
        },
        {
          line: 3,
          column: 'Cliente',
          reason_code: 'unknown_reference',
          raw: { external_id: 'P2', customer_external_id: 'ninguém', ordered_at: '2026-02-01T00:00:00.000Z', total: '10.0000', custom: { canal: 'app' } },
        },
      ]);

      // A NUL character (staging rejects it): the mapped NDJSON key, and the record's own fields only.
      const ndjson = '{"ID":"k1","Nome":"a\\u0000b"}\n{"ID":"k2","Nome":"Bia","plan":"pro"}';
      const nul = await ingestion.importFile(tenant, { entity: 'customers', format: 'ndjson', content: ndjson, mapping: { columns: { ID: 'external_id', Nome: 'name' } } });
      expect(nul).toMatchObject({ status: 'partially_succeeded', rowsLoaded: 1, rowsRejected: 1 });
      const [nulError] = await ingestion.rows<{ column: string; reason_code: string; raw_row: string }>(tenant, 'SELECT "column", reason_code, raw_row FROM import_errors WHERE import_id = $1', [nul.importId]);
      expect({ ...nulError, raw_row: JSON.parse(String(nulError?.raw_row)) as unknown }).toEqual({
        column: 'Nome',
        reason_code: 'invalid_value',
        raw_row: { external_id: 'k1', name: 'a\u0000b', custom: {} },
      });
    });
  });

  describe('text too long for its index', () => {
    // Random letters and digits: PostgreSQL cannot compress them into an index entry.
    const text = (length: number) => randomBytes(length).toString('base64url').slice(0, length).replace(/[-_]/g, 'x');

    it('rejects the row with its line, column and reason and loads the others; 2600 bytes fit every index', async () => {
      const tenant = await ingestion.seedTenant('long-text');
      const tooLongName = text(3000);
      const customers = [
        'external_id,Nome,segment,aliases',
        `L1,${tooLongName},smb,`, // line 2: customers_name_id_idx refused a 3000-byte name
        `L2,${text(2600)},,${text(2600)}|short-alias`,
        `${text(2600)},Long key,,`,
        `L4,${text(1300)},${text(1300)},`, // segment and name share customers_segment_name_id_idx
        `L5,${text(1301)},${text(1300)},`, // line 6: one byte more than that index takes
        `L6,Ana,,ok|${text(2601)}`, // line 7: one alias too long for customer_aliases
        `L7,${'ç'.repeat(1300)},,`, // 2600 bytes in UTF-8
        `L8,${'ç'.repeat(1301)},,`, // line 9: 2602 bytes
        'L9,Bruno,,',
      ].join('\n');
      const outcome = await ingestion.importFile(tenant, { entity: 'customers', content: customers, mapping: { columns: { Nome: 'name' } } });
      expect(outcome).toMatchObject({ status: 'partially_succeeded', rowsReceived: 9, rowsLoaded: 5, rowsRejected: 4, errorCode: null });
      expect(await errors(tenant, outcome.importId)).toEqual([
        { line: 2, column: 'Nome', reason_code: 'too_long', message: 'Column "Nome": the value is 3000 bytes long (UTF-8); an indexed text field (name) holds at most 2600 bytes.' },
        {
          line: 6,
          column: 'Nome',
          reason_code: 'too_long',
          message: 'Columns "segment" and "Nome": 2601 bytes together (UTF-8); segment and name share an index, which holds at most 2600 bytes of them.',
        },
        { line: 7, column: 'aliases', reason_code: 'too_long', message: 'Column "aliases": an alias is 2601 bytes long (UTF-8); an indexed text field (aliases) holds at most 2600 bytes.' },
        { line: 9, column: 'Nome', reason_code: 'too_long', message: 'Column "Nome": the value is 2602 bytes long (UTF-8); an indexed text field (name) holds at most 2600 bytes.' },
      ]);
      expect(
        await ingestion.rows(tenant, `SELECT external_id, octet_length(name) AS name_bytes, octet_length(segment) AS segment_bytes FROM customers ORDER BY octet_length(external_id), external_id`),
      ).toEqual([
        { external_id: 'L2', name_bytes: 2600, segment_bytes: null },
        { external_id: 'L4', name_bytes: 1300, segment_bytes: 1300 },
        { external_id: 'L7', name_bytes: 2600, segment_bytes: null },
        { external_id: 'L9', name_bytes: 5, segment_bytes: null },
        { external_id: expect.stringMatching(/^.{2600}$/), name_bytes: 8, segment_bytes: null },
      ]);
      expect(await ingestion.rows(tenant, `SELECT octet_length(source_id) AS bytes FROM customer_aliases ORDER BY 1`)).toEqual([{ bytes: 11 }, { bytes: 2600 }]);

      // References, SKUs and categories: what a stub parent or an order line would write into an index.
      const longCustomer = text(2600);
      const orders = ['external_id,customer_external_id,ordered_at', `O1,${longCustomer},2026-01-01T00:00:00Z`, `O2,${text(2601)},2026-01-01T00:00:00Z`].join('\n');
      const ordersOutcome = await ingestion.importFile(tenant, { entity: 'orders', content: orders, options: { onUnknownReference: 'create_stub' } });
      expect(ordersOutcome).toMatchObject({ status: 'partially_succeeded', rowsLoaded: 1, rowsRejected: 1 });
      expect(await errors(tenant, ordersOutcome.importId)).toEqual([
        { line: 3, column: 'customer_external_id', reason_code: 'too_long', message: expect.stringContaining('2601 bytes long') },
      ]);
      expect(await ingestion.rows(tenant, 'SELECT count(*)::int AS n FROM customers WHERE external_id = $1', [longCustomer])).toEqual([{ n: 1 }]);
      const products = ['sku,category', `${text(2600)},${text(2600)}`, `P2,${text(2601)}`].join('\n');
      const productsOutcome = await ingestion.importFile(tenant, { entity: 'products', content: products });
      expect(productsOutcome).toMatchObject({ status: 'partially_succeeded', rowsLoaded: 1, rowsRejected: 1 });
      expect(await errors(tenant, productsOutcome.importId)).toEqual([{ line: 3, column: 'category', reason_code: 'too_long', message: expect.stringContaining('(category)') }]);
      const items = ['order_external_id,sku,quantity,unit_price', `O1,${text(2600)},1,1`, `O1,${text(2601)},1,1`].join('\n');
      const itemsOutcome = await ingestion.importFile(tenant, { entity: 'order_items', content: items, options: { onUnknownReference: 'create_stub' } });
      expect(itemsOutcome).toMatchObject({ status: 'partially_succeeded', rowsLoaded: 1, rowsRejected: 1 });
      expect(await errors(tenant, itemsOutcome.importId)).toEqual([{ line: 3, column: 'sku', reason_code: 'too_long', message: expect.stringContaining('(sku)') }]);
    });

    it("the parser checks exactly the tenant schema's btree indexes over text a file fills (the catalog, not a copy of it)", async () => {
      const tenant = await ingestion.seedTenant('index-catalog');
      const tables = [...CANONICAL_ENTITIES, 'customer_aliases'];
      const indexes = await ingestion.rows<{ table: string; columns: string[] }>(
        tenant,
        `SELECT t.relname AS "table", array_agg(a.attname::text ORDER BY k.ord) AS columns
           FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid JOIN pg_am am ON am.oid = i.relam
           CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, ord) JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
          WHERE am.amname = 'btree' AND t.relname = ANY($1) AND a.atttypid = 'text'::regtype
          GROUP BY t.relname, i.relname`,
        [tables],
      );
      // Each index as the canonical fields that fill it: customer_aliases.source_id holds customers' aliases (its
      // source is ''); columns no file fills (products.external_id) leave the index out.
      const filled = new Set<string>();
      for (const { table, columns } of indexes) {
        const entity = (table === 'customer_aliases' ? 'customers' : table) as CanonicalEntity;
        const names = new Set(CANONICAL_ENTITY_SPECS[entity].fields.map((field) => field.name));
        const fields = columns.map((column) => (table === 'customer_aliases' ? (column === 'source_id' ? 'aliases' : undefined) : column)).filter((field) => field !== undefined && names.has(field));
        if (fields.length > 0) filled.add(`${entity}: ${fields.join(' + ')}`);
      }
      // References are checked as the key they name (a stub parent's, or the parent they must match).
      const references = (entity: CanonicalEntity) => [CANONICAL_ENTITY_SPECS[entity].customerReference, entity === 'order_items' ? 'order_external_id' : undefined];
      const checked = CANONICAL_ENTITIES.flatMap((entity) =>
        indexedTextFields(entity)
          .filter((fields) => !(fields.length === 1 && references(entity).includes(fields[0])))
          .map((fields) => `${entity}: ${fields.join(' + ')}`),
      );
      expect([...checked].sort()).toEqual([...filled].sort());
      for (const entity of CANONICAL_ENTITIES) {
        const reference = CANONICAL_ENTITY_SPECS[entity].customerReference;
        if (reference) expect(indexedTextFields(entity)).toContainEqual([reference]);
      }
      expect(indexedTextFields('order_items')).toContainEqual(['order_external_id']);
    });

    it('a value too long for an index the parser does not know of fails the import at once (unstorable_value), changing nothing', async () => {
      const tenant = await ingestion.seedTenant('extra-index');
      // An index an operator added to the tenant's table: the parser cannot know of it.
      await ingestion.rows(tenant, 'CREATE INDEX test_customers_email_idx ON customers (email)');
      const outcome = await ingestion.importFile(tenant, { entity: 'customers', content: `external_id,email\nE1,ana@example.com\nE2,${text(3000)}\n` });
      expect(outcome).toMatchObject({ status: 'failed', rowsReceived: 2, rowsLoaded: 0, errorCode: 'unstorable_value' });
      expect(outcome.error).toContain('SQLSTATE 54000');
      expect(outcome.error).toContain('test_customers_email_idx');
      expect(await ingestion.rows(tenant, 'SELECT external_id FROM customers')).toEqual([]);
    });
  });

  describe('the warehouse keeps matching the tenant tables', () => {
    // Each step is checked against what the tenant's PostgreSQL tables hold, row for row, and against the
    // values worked out by hand: the warehouse gets the rows as stored, never just the file.
    let tenant: SeededTenant;
    let warehouse: DuckDbWarehouse;

    beforeAll(async () => {
      tenant = await ingestion.seedTenant('mirror');
      warehouse = createDuckDbWarehouse({ directory: path.join(ingestion.folder, 'warehouse') });
    });

    afterAll(async () => {
      await warehouse?.close();
    });

    const inWarehouse = async (sql: string) => {
      const target = { tenantId: tenant.tenantId, slug: tenant.slug };
      await warehouse.applyPendingLoads(target);
      return warehouse.query<Record<string, unknown>>(target, sql, { label: 'test' });
    };
    const warehouseCustomers = async () =>
      (await inWarehouse('SELECT external_id, name, email, segment, CAST(custom AS VARCHAR) AS custom FROM customers ORDER BY external_id')).map((row): Record<string, unknown> => ({
        ...row,
        custom: JSON.parse(row['custom'] as string) as unknown,
      }));
    const tenantCustomers = () => ingestion.rows(tenant, 'SELECT external_id, name, email, segment, custom FROM customers ORDER BY external_id');
    const warehouseOrders = async () => inWarehouse('SELECT external_id, customer_external_id FROM orders ORDER BY external_id');
    const tenantOrders = () =>
      ingestion.rows(tenant, 'SELECT o.external_id, c.external_id AS customer_external_id FROM orders o JOIN customers c ON c.id = o.customer_id ORDER BY 1');

    it('an upsert of some columns: the warehouse has the stored row, other columns and custom fields kept', async () => {
      await ingestion.importFile(tenant, { entity: 'customers', content: 'external_id,name,email,tier\nc1,Ana,ana@example.com,gold\nc2,Bruno,bruno@example.com,silver' });
      const outcome = await ingestion.importFile(tenant, { entity: 'customers', content: 'external_id,segment,region\nc1,smb,north' });
      expect(outcome).toMatchObject({ status: 'succeeded', rowsLoaded: 1 });
      const expected = [
        { external_id: 'c1', name: 'Ana', email: 'ana@example.com', segment: 'smb', custom: { tier: 'gold', region: 'north' } },
        { external_id: 'c2', name: 'Bruno', email: 'bruno@example.com', segment: null, custom: { tier: 'silver' } },
      ];
      expect(await tenantCustomers()).toEqual(expected);
      expect(await warehouseCustomers()).toEqual(expected);
    });

    it('stub customers created for orders reach the warehouse too', async () => {
      const content = 'external_id,customer_external_id,ordered_at\no1,c1,2026-01-01T00:00:00Z\no2,c2,2026-01-02T00:00:00Z\no3,ghost,2026-01-03T00:00:00Z';
      const outcome = await ingestion.importFile(tenant, { entity: 'orders', content, options: { onUnknownReference: 'create_stub' } });
      expect(outcome).toMatchObject({ status: 'succeeded', rowsLoaded: 3 });
      expect((await warehouseCustomers()).map((row) => row['external_id'])).toEqual(['c1', 'c2', 'ghost']);
      expect(await warehouseOrders()).toEqual([
        { external_id: 'o1', customer_external_id: 'c1' },
        { external_id: 'o2', customer_external_id: 'c2' },
        { external_id: 'o3', customer_external_id: 'ghost' },
      ]);
    });

    it('a replace of customers takes the orders of the deleted customers out of the warehouse as well', async () => {
      const outcome = await ingestion.importFile(tenant, { entity: 'customers', mode: 'replace', content: 'external_id,name\nc1,Ana' });
      expect(outcome).toMatchObject({ status: 'succeeded', rowsLoaded: 1 });
      const customer = { external_id: 'c1', name: 'Ana', email: 'ana@example.com', segment: 'smb', custom: { tier: 'gold', region: 'north' } };
      expect(await tenantCustomers()).toEqual([customer]);
      expect(await warehouseCustomers()).toEqual([customer]);
      expect(await tenantOrders()).toEqual([{ external_id: 'o1', customer_external_id: 'c1' }]);
      expect(await warehouseOrders()).toEqual([{ external_id: 'o1', customer_external_id: 'c1' }]);
    });

    it("a replace of events without a key leaves exactly the file's events, in the tenant table and the warehouse", async () => {
      const events = (...lines: string[]) => ['external_id,customer_external_id,type,occurred_at', ...lines].join('\n');
      await ingestion.importFile(tenant, { entity: 'usage_events', content: events(',c1,login,2026-01-01T00:00:00Z', ',c1,login,2026-01-02T00:00:00Z', 'e1,c1,export,2026-01-03T00:00:00Z') });
      const outcome = await ingestion.importFile(tenant, { entity: 'usage_events', mode: 'replace', content: events(',c1,search,2026-02-01T00:00:00Z', 'e2,c1,export,2026-02-02T00:00:00Z') });
      // Before: the file's keyless event matched no line of the file either and was deleted with the old ones.
      expect(outcome).toMatchObject({ status: 'succeeded', rowsLoaded: 2 });
      const expected = [
        { external_id: null, type: 'search' },
        { external_id: 'e2', type: 'export' },
      ];
      expect(await ingestion.rows(tenant, 'SELECT external_id, type FROM usage_events ORDER BY occurred_at')).toEqual(expected);
      expect(await inWarehouse('SELECT external_id, type FROM usage_events ORDER BY occurred_at')).toEqual(expected);
      expect(await ingestion.rows(tenant, 'SELECT rows_deleted::int AS n FROM imports WHERE id = $1', [outcome.importId])).toEqual([{ n: 3 }]);

      const responses = 'external_id,customer_external_id,score,responded_at\n,c1,9,2026-02-03T00:00:00Z';
      await ingestion.importFile(tenant, { entity: 'nps_responses', content: responses.replace(',9,', ',3,') });
      expect(await ingestion.importFile(tenant, { entity: 'nps_responses', mode: 'replace', content: responses })).toMatchObject({ status: 'succeeded', rowsLoaded: 1 });
      expect(await ingestion.rows(tenant, 'SELECT score FROM nps_responses')).toEqual([{ score: 9 }]);
      expect(await inWarehouse('SELECT score FROM nps_responses')).toEqual([{ score: 9 }]);
    });

    it('an import whose final transaction rolls back (its beforeCommit hook fails) leaves nothing queued for the warehouse', async () => {
      const before = await tenantCustomers();
      const failingHook = async () => {
        throw new Error('injected failure before commit');
      };
      for (const [mode, content] of [
        ['upsert', 'external_id,name\nc1,Changed\nc9,Never committed'],
        ['replace', 'external_id,name\nc9,Never committed'],
      ] as const) {
        const objectUri = await ingestion.upload(tenant, content);
        const spec = { entity: 'customers' as const, format: 'csv' as const, objectUri, mode, options: { onUnknownReference: 'reject' as const, maxRejectedShare: 0.5 } };
        await expect(ingestion.loader.load(tenant.context, 'UTC', spec, failingHook)).rejects.toThrow('injected failure before commit');
      }
      expect(await tenantCustomers()).toEqual(before);
      expect(await warehouseCustomers()).toEqual(before);
      // No request will come again to finish them: both are failed, not left running for good.
      const failed = await ingestion.rows(tenant, `SELECT status, error_code FROM imports WHERE error LIKE '%injected failure before commit%'`);
      expect(failed).toEqual([
        { status: 'failed', error_code: 'load_failed' },
        { status: 'failed', error_code: 'load_failed' },
      ]);
    });

    it("fails a source's import left unfinished by a worker that died before loading the source's next file", async () => {
      const [source] = await ingestion.rows<{ id: string }>(tenant, `INSERT INTO sources (name, kind, entity, config) VALUES ('crm', 'postgres', 'customers', '{}'::jsonb) RETURNING id`);
      const sourceId = (source as { id: string }).id;
      const objectUri = await ingestion.upload(tenant, 'external_id,name\nc1,Ana');
      const spec = { entity: 'customers' as const, format: 'csv' as const, objectUri, mode: 'upsert' as const, options: { onUnknownReference: 'reject' as const, maxRejectedShare: 0.5 }, sourceId };
      const orphan = await ingestion.loader.createImport(tenant.context, spec);
      await ingestion.rows(tenant, `UPDATE imports SET status = 'running', started_at = now() WHERE id = $1`, [orphan]);

      const outcome = await ingestion.loader.load(tenant.context, 'UTC', spec);
      expect(outcome).toMatchObject({ status: 'succeeded', rowsLoaded: 1 });
      expect(await ingestion.rows(tenant, 'SELECT status, error_code FROM imports WHERE id = $1', [orphan])).toEqual([{ status: 'failed', error_code: 'load_failed' }]);
    });
  });

  describe('what the tenant sent, kept as sent', () => {
    let tenant: SeededTenant;

    beforeAll(async () => {
      tenant = await ingestion.seedTenant('as-sent');
      await ingestion.importFile(tenant, { entity: 'customers', content: 'external_id,name\nc1,Ana' });
    });

    it('stores every digit of numbers nested in custom and in a json field (as text where a JavaScript number would change them)', async () => {
      const customer = '{"external_id":"c2","meta":{"big":12345678901234567890,"n":1.5,"ids":[9007199254740993]}}';
      expect(await ingestion.importFile(tenant, { entity: 'customers', format: 'ndjson', content: customer })).toMatchObject({ status: 'succeeded', rowsLoaded: 1 });
      expect(await ingestion.rows(tenant, `SELECT custom::text AS custom FROM customers WHERE external_id = 'c2'`)).toEqual([
        { custom: '{"meta": {"n": 1.5, "big": "12345678901234567890", "ids": ["9007199254740993"]}}' },
      ]);
      const event = '{"customer_external_id":"c1","type":"order","occurred_at":"2026-01-01T00:00:00Z","properties":{"order_id":12345678901234567890}}';
      expect(await ingestion.importFile(tenant, { entity: 'usage_events', format: 'ndjson', content: event })).toMatchObject({ status: 'succeeded', rowsLoaded: 1 });
      expect(await ingestion.rows(tenant, `SELECT properties->>'order_id' AS order_id FROM usage_events`)).toEqual([{ order_id: '12345678901234567890' }]);
    });

    it('refuses text it cannot decode faithfully: a CSV in two encodings fails, NDJSON lines that are not UTF-8 are rejected, undefined Windows-1252 bytes fail', async () => {
      // Line 2 UTF-8 ("ã"), line 3 Latin-1 ("ç"): either way one of them would be stored as mojibake.
      const mixed = Buffer.concat([Buffer.from('external_id,name\nm1,São Paulo\nm2,Fran', 'utf8'), Buffer.from([0xe7]), Buffer.from('a\n', 'utf8')]);
      const csv = await ingestion.importFile(tenant, { entity: 'customers', content: mixed });
      expect(csv).toMatchObject({ status: 'failed', errorCode: 'invalid_encoding', rowsLoaded: 0 });
      expect(csv.error).toContain('byte 0xE7 at byte offset 38 (line 3) is not UTF-8, while "ã" at byte offset 21 (line 2) is UTF-8');

      const ndjson = Buffer.concat([Buffer.from('{"external_id":"n1","name":"Fran', 'utf8'), Buffer.from([0xe7]), Buffer.from('a"}\n{"external_id":"n2","name":"São"}\n', 'utf8')]);
      const lines = await ingestion.importFile(tenant, { entity: 'customers', format: 'ndjson', content: ndjson });
      expect(lines).toMatchObject({ status: 'partially_succeeded', rowsReceived: 2, rowsLoaded: 1, rowsRejected: 1 });
      expect(await ingestion.rows(tenant, 'SELECT line_number::int AS line, "column", reason_code, raw_row FROM import_errors WHERE import_id = $1', [lines.importId])).toEqual([
        { line: 1, column: null, reason_code: 'invalid_encoding', raw_row: '{"external_id":"n1","name":"Fran\\xE7a"}' },
      ]);

      const windows1252 = Buffer.concat([Buffer.from('external_id;name\nw1;Fran', 'latin1'), Buffer.from([0xe7]), Buffer.from('ois\nw2;', 'latin1'), Buffer.from([0x81, 0x8d, 0x0a])]);
      const undefinedBytes = await ingestion.importFile(tenant, { entity: 'customers', content: windows1252 });
      expect(undefinedBytes).toMatchObject({ status: 'failed', errorCode: 'invalid_encoding', rowsLoaded: 0 });
      expect(undefinedBytes.error).toContain('byte 0x81 at byte offset 32 (line 3)');
      expect(await ingestion.rows(tenant, `SELECT external_id, name FROM customers WHERE external_id IN ('m1', 'm2', 'n1', 'n2', 'w1', 'w2') ORDER BY 1`)).toEqual([{ external_id: 'n2', name: 'São' }]);
    });

    it('rejects a JSON line or value with an unpaired UTF-16 surrogate escape (no character: neither stored as U+FFFD nor failing the import)', async () => {
      const ndjson = ['{"external_id":"u1","name":"a\\ud800b"}', '{"external_id":"u2","note":"\\udc00"}', '{"external_id":"u3","name":"\\ud83d\\ude00 ok"}'].join('\n');
      const outcome = await ingestion.importFile(tenant, { entity: 'customers', format: 'ndjson', content: ndjson, options: { maxRejectedShare: 0.9 } });
      expect(outcome).toMatchObject({ status: 'partially_succeeded', rowsReceived: 3, rowsLoaded: 1, rowsRejected: 2 });
      expect(await ingestion.rows(tenant, 'SELECT line_number::int AS line, reason_code FROM import_errors WHERE import_id = $1 ORDER BY 1', [outcome.importId])).toEqual([
        { line: 1, reason_code: 'invalid_encoding' },
        { line: 2, reason_code: 'invalid_encoding' },
      ]);
      expect(await ingestion.rows(tenant, `SELECT external_id, name FROM customers WHERE external_id LIKE 'u_' ORDER BY 1`)).toEqual([{ external_id: 'u3', name: '\u{1F600} ok' }]);
      const csv = 'customer_external_id,type,occurred_at,properties\nc1,export,2026-01-05T00:00:00Z,"{""a"":""\\ud800""}"\nc1,export,2026-01-06T00:00:00Z,"{""a"":""b""}"';
      const events = await ingestion.importFile(tenant, { entity: 'usage_events', content: csv });
      expect(events).toMatchObject({ status: 'partially_succeeded', rowsLoaded: 1, rowsRejected: 1 });
      expect(await ingestion.rows(tenant, 'SELECT line_number::int AS line, "column", reason_code FROM import_errors WHERE import_id = $1', [events.importId])).toEqual([
        { line: 2, column: 'properties', reason_code: 'invalid_json' },
      ]);
    });

    it('takes an optional key or customer reference of only spaces as none: no stub customer "   ", no duplicate events', async () => {
      const contacts = 'external_id,customer_external_id,name\nk1,   ,Kim\nk2,c1,Lia';
      const outcome = await ingestion.importFile(tenant, { entity: 'contacts', content: contacts, options: { onUnknownReference: 'create_stub' } });
      expect(outcome).toMatchObject({ status: 'succeeded', rowsLoaded: 2, rowsRejected: 0 });
      expect(await ingestion.rows(tenant, 'SELECT k.external_id, c.external_id AS customer FROM contacts k LEFT JOIN customers c ON c.id = k.customer_id ORDER BY 1')).toEqual([
        { external_id: 'k1', customer: null },
        { external_id: 'k2', customer: 'c1' },
      ]);
      expect(await ingestion.rows(tenant, `SELECT count(*)::int AS n FROM customers WHERE trim(external_id) = ''`)).toEqual([{ n: 0 }]);
      const events = 'external_id,customer_external_id,type,occurred_at\n   ,c1,login,2026-01-02T00:00:00Z\n  ,c1,login,2026-01-03T00:00:00Z';
      expect(await ingestion.importFile(tenant, { entity: 'usage_events', content: events })).toMatchObject({ status: 'succeeded', rowsLoaded: 2, rowsRejected: 0 });
      expect(await ingestion.rows(tenant, `SELECT external_id FROM usage_events WHERE type = 'login'`)).toEqual([{ external_id: null }, { external_id: null }]);
    });
  });
});
