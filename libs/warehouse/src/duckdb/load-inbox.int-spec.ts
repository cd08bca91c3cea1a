import { copyFile, cp, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DuckDbWarehouse } from './duckdb-warehouse';
import type { StagedLoad, WarehouseTenant } from '../warehouse';

const tenant: WarehouseTenant = { tenantId: '9a3e2f10-5c4b-4d3a-8e2f-1a2b3c4d5e6f', slug: 'acme' };
const ORDERS_HEADER = 'external_id,customer_external_id,ordered_at,status,currency,total,custom';

describe('DuckDB load inbox', () => {
  let dir: string;
  let warehouseDir: string;
  /** The metrics process: the tenant file's single writer. */
  let metrics: DuckDbWarehouse;
  /** The ingestion process: only queues loads, never opens the file. */
  let ingestion: DuckDbWarehouse;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pulse-inbox-'));
    warehouseDir = path.join(dir, 'warehouse');
    metrics = new DuckDbWarehouse({ directory: warehouseDir, threads: 1 });
    ingestion = new DuckDbWarehouse({ directory: warehouseDir });
  });

  afterEach(async () => {
    await metrics.close();
    await ingestion.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function orderLoad(importId: string, mode: StagedLoad['mode'], rows: [id: string, total: string][]): Promise<StagedLoad> {
    const file = path.join(dir, `${importId}.csv`);
    await writeFile(file, [ORDERS_HEADER, ...rows.map(([id, total]) => `${id},c-1,2024-03-01T10:00:00Z,paid,BRL,${total},`)].join('\n') + '\n');
    return { tenant, entity: 'orders', importId, mode, objectUri: pathToFileURL(file).href };
  }

  const orders = () => metrics.query(tenant, 'SELECT external_id, total FROM orders ORDER BY external_id', { label: 'orders' });
  const inboxDir = () => path.join(warehouseDir, tenant.tenantId, 'inbox');

  it('applies queued loads in the order they were queued', async () => {
    await ingestion.appendStaged(await orderLoad('imp-a', 'upsert', [['o-1', '10'], ['o-3', '3']]));
    await ingestion.appendStaged(await orderLoad('imp-b', 'upsert', [['o-1', '20']]));
    await ingestion.appendStaged(await orderLoad('imp-c', 'replace', [['o-2', '5']]));
    await ingestion.appendStaged(await orderLoad('imp-d', 'upsert', [['o-1', '30']]));

    expect(await metrics.applyPendingLoads(tenant)).toEqual({ applied: 4 });
    // a: o-1=10, o-3=3; b: o-1=20; c: replace -> only o-2=5; d: o-1=30.
    expect(await orders()).toEqual([
      { external_id: 'o-1', total: '30.0000' },
      { external_id: 'o-2', total: '5.0000' },
    ]);
    expect(await readdir(inboxDir())).toEqual([]);
    expect(await metrics.applyPendingLoads(tenant)).toEqual({ applied: 0 });
  });

  it('does not apply an entry twice when the process died after committing it but before removing it', async () => {
    await ingestion.appendStaged(await orderLoad('imp-a', 'upsert', [['o-1', '10']]));
    const saved = path.join(dir, 'saved');
    await copyDir(inboxDir(), saved);
    expect(await metrics.applyPendingLoads(tenant)).toEqual({ applied: 1 });
    await metrics.execute(tenant, "UPDATE orders SET total = 11 WHERE external_id = 'o-1'", { label: 'later change' });

    await copyDir(saved, inboxDir());
    expect(await metrics.applyPendingLoads(tenant)).toEqual({ applied: 0 });
    expect(await orders()).toEqual([{ external_id: 'o-1', total: '11.0000' }]);
    expect(await readdir(inboxDir())).toEqual([]);
    expect(
      await metrics.query(tenant, 'SELECT import_id, entity, mode FROM _pulse_applied_loads', { label: 'record' }),
    ).toEqual([{ import_id: 'imp-a', entity: 'orders', mode: 'upsert' }]);
  });

  it('applies a load handed over again (its caller died before recording the hand-over) once', async () => {
    const load = await orderLoad('imp-a', 'upsert', [['o-1', '10']]);
    await ingestion.appendStaged(load);
    expect(await metrics.applyPendingLoads(tenant)).toEqual({ applied: 1 });
    await metrics.execute(tenant, "UPDATE orders SET total = 11 WHERE external_id = 'o-1'", { label: 'later change' });

    await ingestion.appendStaged(load);
    expect(await metrics.applyPendingLoads(tenant)).toEqual({ applied: 0 });
    expect(await orders()).toEqual([{ external_id: 'o-1', total: '11.0000' }]);
    expect(await readdir(inboxDir())).toEqual([]);
  });

  it('loses nothing and applies nothing twice while many callers queue loads during applies', async () => {
    const callers = 40;
    const loads = await Promise.all(
      Array.from({ length: callers }, (_, index) => orderLoad(`imp-${index}`, 'upsert', [[`o-${String(index).padStart(2, '0')}`, String(index)]])),
    );
    let appending = true;
    let appliedTotal = 0;
    const applier = (async () => {
      while (appending) {
        appliedTotal += (await metrics.applyPendingLoads(tenant)).applied;
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    await Promise.all(loads.map((load) => ingestion.appendStaged(load)));
    appending = false;
    await applier;
    appliedTotal += (await metrics.applyPendingLoads(tenant)).applied;

    expect(appliedTotal).toBe(callers);
    const [summary] = await metrics.query(tenant, 'SELECT count(*) AS n, count(DISTINCT external_id) AS keys, sum(total) AS total FROM orders', {
      label: 'summary',
    });
    // 0 + 1 + ... + 39 = 780
    expect(summary).toEqual({ n: callers, keys: callers, total: '780.0000' });
    expect(await metrics.query(tenant, 'SELECT count(*) AS n FROM _pulse_applied_loads', { label: 'record' })).toEqual([{ n: callers }]);
    expect(await readdir(inboxDir())).toEqual([]);
  });

  it('keeps the queued copy when the staged file is deleted right after appendStaged', async () => {
    const load = await orderLoad('imp-a', 'upsert', [['o-1', '10']]);
    await ingestion.appendStaged(load);
    await rm(path.join(dir, 'imp-a.csv'));
    expect(await metrics.applyPendingLoads(tenant)).toEqual({ applied: 1 });
    expect(await orders()).toEqual([{ external_id: 'o-1', total: '10.0000' }]);
  });

  it('fetches a gs:// staged object through the given function, and refuses one without it', async () => {
    const local = await orderLoad('imp-gs', 'upsert', [['o-7', '7']]);
    const fetched: string[] = [];
    const withStorage = new DuckDbWarehouse({
      directory: warehouseDir,
      fetchObject: async (uri, destination) => {
        fetched.push(uri);
        await copyFile(path.join(dir, 'imp-gs.csv'), destination);
      },
    });
    const gcsLoad = { ...local, objectUri: 'gs://pulse-staging/tenants/acme/imp-gs.csv' };
    await withStorage.appendStaged(gcsLoad);
    await withStorage.close();
    expect(fetched).toEqual(['gs://pulse-staging/tenants/acme/imp-gs.csv']);
    expect(await metrics.applyPendingLoads(tenant)).toEqual({ applied: 1 });
    expect(await orders()).toEqual([{ external_id: 'o-7', total: '7.0000' }]);

    await expect(ingestion.appendStaged(gcsLoad)).rejects.toMatchObject({ code: 'warehouse_invalid_request' });
  });

  it('refuses ids that cannot be file names', async () => {
    const load = await orderLoad('imp-a', 'upsert', [['o-1', '1']]);
    await expect(ingestion.appendStaged({ ...load, importId: '../escape' })).rejects.toMatchObject({ code: 'warehouse_invalid_request' });
    await expect(ingestion.appendStaged({ ...load, tenant: { tenantId: '../x', slug: 'x' } })).rejects.toMatchObject({
      code: 'warehouse_invalid_request',
    });
  });
});

async function copyDir(from: string, to: string): Promise<void> {
  await rm(to, { recursive: true, force: true });
  await cp(from, to, { recursive: true });
}
