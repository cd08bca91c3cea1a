import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CanonicalEntity } from '@pulse/contracts';
import { DuckDbWarehouse, loadDuckDbRows, type WarehouseInputValue, type WarehouseTenant } from '@pulse/warehouse';
import { parse } from 'csv-parse/sync';

/** A throwaway DuckDB warehouse (C's adapter, a real DuckDB file) for one test file. */
export interface TestWarehouse {
  readonly warehouse: DuckDbWarehouse;
  readonly tenant: WarehouseTenant;
  readonly dir: string;
  load(rows: Partial<Record<CanonicalEntity, Record<string, WarehouseInputValue>[]>>): Promise<void>;
  dispose(): Promise<void>;
}

export async function createTestWarehouse(tenantId = 'tenant_kpi'): Promise<TestWarehouse> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pulse-metric-catalog-'));
  // One thread: the machine is shared; the results do not depend on it.
  const warehouse = new DuckDbWarehouse({ directory: path.join(dir, 'warehouse'), threads: 1 });
  const tenant = { tenantId, slug: tenantId };
  return {
    warehouse,
    tenant,
    dir,
    async load(rows) {
      for (const [entity, entityRows] of Object.entries(rows)) {
        if (entityRows && entityRows.length > 0) await loadDuckDbRows(warehouse, tenant, entity as CanonicalEntity, entityRows);
      }
    },
    async dispose() {
      await warehouse.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A KPI output CSV as records; empty unquoted fields (NULL) become null. */
export async function readKpiCsv(location: string): Promise<Record<string, string | null>[]> {
  const text = await readFile(location, 'utf8');
  return parse(text, {
    columns: true,
    cast: (value, context) => (value === '' && !context.quoting ? null : value),
  }) as Record<string, string | null>[];
}
