import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DuckDbWarehouse } from './duckdb-warehouse';
import { loadDuckDbRows } from './load-duckdb-rows';
import type { WarehouseTenant } from '../warehouse';

const tenant: WarehouseTenant = { tenantId: '5b0c43a4-7d1e-4c1e-9d55-0f6c3c1f7a10', slug: 'acme' };
const ORDERS_HEADER = 'external_id,customer_external_id,ordered_at,status,currency,total,custom';

describe('DuckDbWarehouse', () => {
  let dir: string;
  let warehouse: DuckDbWarehouse;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pulse-warehouse-'));
    warehouse = new DuckDbWarehouse({ directory: path.join(dir, 'warehouse'), threads: 1 });
  });

  afterEach(async () => {
    await warehouse.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function stage(name: string, lines: string[]): Promise<string> {
    const file = path.join(dir, name);
    await writeFile(file, lines.join('\n') + '\n');
    return pathToFileURL(file).href;
  }

  const ordersQuery = 'SELECT external_id, customer_external_id, ordered_at, status, total, custom FROM orders ORDER BY external_id';

  it('creates every entity table empty on first use', async () => {
    const tables = await warehouse.query<{ table_name: string }>(
      tenant,
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_name NOT LIKE '\\_pulse%' ESCAPE '\\' ORDER BY 1",
      { label: 'tables' },
    );
    expect(tables.map((row) => row.table_name)).toEqual([
      'contacts',
      'customers',
      'nps_responses',
      'order_items',
      'orders',
      'products',
      'subscriptions',
      'support_tickets',
      'usage_events',
    ]);
    expect(await warehouse.query(tenant, 'SELECT count(*) AS n FROM orders', { label: 'count' })).toEqual([{ n: 0 }]);
  });

  it('loads a staged file with exact types, NULLs and empty strings', async () => {
    const objectUri = await stage('orders-1.csv', [
      ORDERS_HEADER,
      'o-1,c-1,2024-03-01T10:00:00Z,paid,BRL,1234.5600,"{""channel"":""web""}"',
      'o-2,c-2,2024-03-02T23:59:59.123Z,"",,-10.0000,',
    ]);
    await warehouse.appendStaged({ tenant, entity: 'orders', importId: 'imp-1', mode: 'upsert', objectUri });
    expect(await warehouse.query(tenant, ordersQuery, { label: 'before' })).toEqual([]);

    expect(await warehouse.applyPendingLoads(tenant)).toEqual({ applied: 1 });

    expect(await warehouse.query(tenant, ordersQuery, { label: 'orders' })).toEqual([
      { external_id: 'o-1', customer_external_id: 'c-1', ordered_at: '2024-03-01T10:00:00.000Z', status: 'paid', total: '1234.5600', custom: '{"channel":"web"}' },
      { external_id: 'o-2', customer_external_id: 'c-2', ordered_at: '2024-03-02T23:59:59.123Z', status: '', total: '-10.0000', custom: null },
    ]);
    const [typed] = await warehouse.query(
      tenant,
      // DECIMAL(18,4) times an integer keeps scale 4 in DuckDB.
      "SELECT total * 2 AS doubled, typeof(total) AS total_type, typeof(ordered_at) AS ordered_type, json_extract_string(custom, '$.channel') AS channel, loaded_at IS NOT NULL AS has_loaded_at FROM orders WHERE external_id = 'o-1'",
      { label: 'types' },
    );
    expect(typed).toEqual({ doubled: '2469.1200', total_type: 'DECIMAL(18,4)', ordered_type: 'TIMESTAMP WITH TIME ZONE', channel: 'web', has_loaded_at: true });
  });

  it('upserts by key (a later file replaces rows with the same key) and replace leaves exactly the file', async () => {
    await warehouse.appendStaged({
      tenant,
      entity: 'orders',
      importId: 'imp-1',
      mode: 'upsert',
      objectUri: await stage('a.csv', [ORDERS_HEADER, 'o-1,c-1,2024-03-01T10:00:00Z,paid,BRL,10.0000,', 'o-2,c-1,2024-03-02T10:00:00Z,paid,BRL,20.0000,']),
    });
    await warehouse.appendStaged({
      tenant,
      entity: 'orders',
      importId: 'imp-2',
      mode: 'upsert',
      objectUri: await stage('b.csv', [ORDERS_HEADER, 'o-2,c-1,2024-03-02T10:00:00Z,refunded,BRL,20.0000,', 'o-3,c-2,2024-03-03T10:00:00Z,paid,BRL,30.0000,']),
    });
    expect(await warehouse.applyPendingLoads(tenant)).toEqual({ applied: 2 });
    expect(await warehouse.query(tenant, 'SELECT external_id, status, total FROM orders ORDER BY 1', { label: 'upserted' })).toEqual([
      { external_id: 'o-1', status: 'paid', total: '10.0000' },
      { external_id: 'o-2', status: 'refunded', total: '20.0000' },
      { external_id: 'o-3', status: 'paid', total: '30.0000' },
    ]);

    await warehouse.appendStaged({
      tenant,
      entity: 'orders',
      importId: 'imp-3',
      mode: 'replace',
      objectUri: await stage('c.csv', [ORDERS_HEADER, 'o-9,c-9,2024-04-01T00:00:00Z,paid,USD,99.0000,']),
    });
    expect(await warehouse.applyPendingLoads(tenant)).toEqual({ applied: 1 });
    expect(await warehouse.query(tenant, 'SELECT external_id FROM orders', { label: 'replaced' })).toEqual([{ external_id: 'o-9' }]);
  });

  it('upserts composite keys, keeps the last of a key repeated in one file and appends rows without a key', async () => {
    await loadDuckDbRows(warehouse, tenant, 'order_items', [
      { order_external_id: 'o-1', line_number: 1, sku: 'A', quantity: '1', unit_price: '5' },
      { order_external_id: 'o-1', line_number: 2, sku: 'B', quantity: '2', unit_price: '6' },
    ]);
    await loadDuckDbRows(warehouse, tenant, 'order_items', [
      { order_external_id: 'o-1', line_number: 2, sku: 'B', quantity: '3', unit_price: '6' },
      { order_external_id: 'o-1', line_number: 2, sku: 'C', quantity: '4', unit_price: '7' },
    ]);
    expect(await warehouse.query(tenant, 'SELECT line_number, sku, quantity FROM order_items ORDER BY 1', { label: 'items' })).toEqual([
      { line_number: 1, sku: 'A', quantity: '1.0000' },
      { line_number: 2, sku: 'C', quantity: '4.0000' },
    ]);

    const event = { customer_external_id: 'c-1', type: 'login', occurred_at: '2024-05-01T08:00:00Z', properties: { device: 'ios' } };
    await loadDuckDbRows(warehouse, tenant, 'usage_events', [event, event]);
    await loadDuckDbRows(warehouse, tenant, 'usage_events', [{ ...event, external_id: 'e-1' }]);
    await loadDuckDbRows(warehouse, tenant, 'usage_events', [{ ...event, external_id: 'e-1', type: 'logout' }]);
    expect(
      await warehouse.query(tenant, "SELECT external_id, type, properties->>'device' AS device FROM usage_events ORDER BY external_id NULLS FIRST", { label: 'events' }),
    ).toEqual([
      { external_id: null, type: 'login', device: 'ios' },
      { external_id: null, type: 'login', device: 'ios' },
      { external_id: 'e-1', type: 'logout', device: 'ios' },
    ]);
  });

  it('rejects a file with the wrong header at appendStaged and queues nothing', async () => {
    const objectUri = await stage('bad.csv', ['external_id,customer_external_id,ordered_at,status,total,custom', 'o-1,c-1,2024-03-01T10:00:00Z,paid,1.0000,']);
    await expect(warehouse.appendStaged({ tenant, entity: 'orders', importId: 'imp-bad', mode: 'upsert', objectUri })).rejects.toMatchObject({
      code: 'warehouse_load_failed',
      message: expect.stringContaining(`expected "${ORDERS_HEADER}"`),
    });
    expect(await readdir(path.join(dir, 'warehouse', tenant.tenantId, 'inbox'))).toEqual([]);
    expect(await warehouse.applyPendingLoads(tenant)).toEqual({ applied: 0 });
  });

  it('fails a load with a bad value as a whole, keeps it queued, and applies nothing of it', async () => {
    await loadDuckDbRows(warehouse, tenant, 'orders', [{ external_id: 'o-1', customer_external_id: 'c-1', ordered_at: '2024-03-01T10:00:00Z', total: '1' }]);
    const objectUri = await stage('bad-value.csv', [ORDERS_HEADER, 'o-1,c-1,2024-03-01T10:00:00Z,paid,BRL,5.0000,', 'o-2,c-1,not-a-time,paid,BRL,1.0000,']);
    await warehouse.appendStaged({ tenant, entity: 'orders', importId: 'imp-bad', mode: 'replace', objectUri });

    await expect(warehouse.applyPendingLoads(tenant)).rejects.toMatchObject({
      code: 'warehouse_load_failed',
      message: expect.stringContaining('import imp-bad'),
    });
    expect(await warehouse.query(tenant, 'SELECT external_id, total FROM orders', { label: 'after' })).toEqual([{ external_id: 'o-1', total: '1.0000' }]);
    const inbox = await readdir(path.join(dir, 'warehouse', tenant.tenantId, 'inbox'));
    expect(inbox.filter((name) => name.endsWith('.json'))).toEqual([expect.stringMatching(/^\d{17}-imp-bad\.json$/)]);
  });

  it('rejects malformed JSON in custom', async () => {
    await warehouse.appendStaged({
      tenant,
      entity: 'orders',
      importId: 'imp-json',
      mode: 'upsert',
      objectUri: await stage('bad-json.csv', [ORDERS_HEADER, 'o-1,c-1,2024-03-01T10:00:00Z,paid,BRL,5.0000,{oops']),
    });
    await expect(warehouse.applyPendingLoads(tenant)).rejects.toMatchObject({ code: 'warehouse_load_failed', message: expect.stringContaining('JSON') });
  });

  it('keeps tenants apart, one file each', async () => {
    const other: WarehouseTenant = { tenantId: '0d3f6c4e-1111-4a2b-8c3d-222233334444', slug: 'globex' };
    await loadDuckDbRows(warehouse, tenant, 'products', [{ sku: 'A' }]);
    await loadDuckDbRows(warehouse, other, 'products', [{ sku: 'B' }, { sku: 'C' }]);
    expect(await warehouse.query(tenant, 'SELECT sku FROM products ORDER BY 1', { label: 'p' })).toEqual([{ sku: 'A' }]);
    expect(await warehouse.query(other, 'SELECT sku FROM products ORDER BY 1', { label: 'p' })).toEqual([{ sku: 'B' }, { sku: 'C' }]);
    expect((await readdir(path.join(dir, 'warehouse'))).filter((name) => name.endsWith('.duckdb')).sort()).toEqual([
      `${other.tenantId}.duckdb`,
      `${tenant.tenantId}.duckdb`,
    ]);
  });

  it('reports a failing statement with its label', async () => {
    await expect(warehouse.execute(tenant, 'SELECT * FROM no_such_table', { label: 'customer_kpis' })).rejects.toMatchObject({
      code: 'warehouse_query_failed',
      message: expect.stringMatching(/^customer_kpis: .*no_such_table/s),
    });
  });

  it('interrupts a statement when its signal aborts, rejecting with the signal\'s reason; the connection goes on', async () => {
    const stop = new AbortController();
    const interrupted = new Error('shutting down');
    const started = Date.now();
    setTimeout(() => stop.abort(interrupted), 200);
    // Ten billion rows to sum: minutes on one thread.
    const long = 'SELECT sum(a.range * b.range) AS total FROM range(100000) a, range(100000) b';
    await expect(warehouse.exportQuery(tenant, long, { label: 'long', destination: path.join(dir, 'out', 'long.csv'), signal: stop.signal })).rejects.toBe(interrupted);
    expect(Date.now() - started).toBeLessThan(5_000);
    // Nothing half-written beside the destination.
    expect(await readdir(path.join(dir, 'out'))).toEqual([]);
    expect(await warehouse.query(tenant, 'SELECT 41 + 1 AS n', { label: 'after' })).toEqual([{ n: 42 }]);
    // An already aborted signal runs nothing.
    await expect(warehouse.execute(tenant, 'CREATE TABLE never AS SELECT 1 AS a', { label: 'late', signal: stop.signal })).rejects.toBe(interrupted);
    expect(await warehouse.query(tenant, "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'never'", { label: 'check' })).toEqual([{ n: 0 }]);
  });

  it('leaves an interrupted load queued with nothing of it applied; the next call applies it whole', async () => {
    const rows = 1_000_000;
    const file = path.join(dir, 'orders-big.csv');
    const lines = [ORDERS_HEADER];
    for (let i = 0; i < rows; i++) lines.push(`o-${i},c-${i % 1000},2024-03-01T10:00:00Z,paid,BRL,${i % 997}.5000,`);
    await writeFile(file, lines.join('\n') + '\n');
    await warehouse.appendStaged({ tenant, entity: 'orders', importId: 'imp-big', mode: 'upsert', objectUri: pathToFileURL(file).href });

    const stop = new AbortController();
    const interrupted = new Error('shutting down');
    setTimeout(() => stop.abort(interrupted), 100);
    await expect(warehouse.applyPendingLoads(tenant, { signal: stop.signal })).rejects.toBe(interrupted);
    expect(await warehouse.query(tenant, 'SELECT count(*) AS n FROM orders', { label: 'count' })).toEqual([{ n: 0 }]);

    expect(await warehouse.applyPendingLoads(tenant)).toEqual({ applied: 1 });
    expect(await warehouse.query(tenant, 'SELECT count(*) AS n, count(DISTINCT external_id) AS ids FROM orders', { label: 'count' })).toEqual([{ n: rows, ids: rows }]);
  }, 60_000);

  it('drops a tenant: file and queued loads gone, a later use starts empty', async () => {
    await loadDuckDbRows(warehouse, tenant, 'products', [{ sku: 'A' }]);
    await warehouse.appendStaged({
      tenant,
      entity: 'orders',
      importId: 'imp-q',
      mode: 'upsert',
      objectUri: await stage('q.csv', [ORDERS_HEADER, 'o-1,c-1,2024-03-01T10:00:00Z,paid,BRL,5.0000,']),
    });
    await warehouse.dropTenant(tenant);
    expect(await readdir(path.join(dir, 'warehouse'))).toEqual([]);
    expect(await warehouse.applyPendingLoads(tenant)).toEqual({ applied: 0 });
    expect(await warehouse.query(tenant, 'SELECT count(*) AS n FROM products', { label: 'p' })).toEqual([{ n: 0 }]);
  });
});
