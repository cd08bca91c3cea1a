import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CanonicalEntity } from '@pulse/contracts';
import { warehouseColumns } from '../warehouse-tables';
import type { WarehouseTenant } from '../warehouse';
import type { DuckDbWarehouse } from './duckdb-warehouse';

/** A value for a warehouse column: text as is, numbers, Dates (as ISO UTC), objects (as JSON text). */
export type WarehouseInputValue = string | number | boolean | Date | Record<string, unknown> | unknown[] | null | undefined;

function csvField(value: WarehouseInputValue): string {
  if (value === null || value === undefined) return '';
  const text =
    value instanceof Date ? value.toISOString() : typeof value === 'object' ? JSON.stringify(value) : String(value);
  // Quoted always: "" is then an empty string, distinct from the empty unquoted NULL.
  return `"${text.replace(/"/g, '""')}"`;
}

/** The given rows as a staged file (format: `StagedLoad` in ../warehouse.ts); missing columns are NULL. */
export function stagedCsv(entity: CanonicalEntity, rows: readonly Record<string, WarehouseInputValue>[]): string {
  const columns = warehouseColumns(entity);
  const unknown = rows.flatMap((row) => Object.keys(row)).filter((name) => !columns.includes(name));
  if (unknown.length > 0) {
    throw new Error(`Unknown ${entity} column(s) ${[...new Set(unknown)].join(', ')}; the columns are ${columns.join(', ')}`);
  }
  const lines = rows.map((row) => columns.map((column) => csvField(row[column])).join(','));
  return [columns.join(','), ...lines].join('\n') + '\n';
}

/**
 * Test and tooling helper: loads rows into a tenant's DuckDB table right away, through the same path
 * as ingestion (a staged CSV, the inbox, applyPendingLoads), so what the metric tests read is what
 * production would have loaded. Applies every other load pending for the tenant too.
 */
export async function loadDuckDbRows(
  warehouse: DuckDbWarehouse,
  tenant: WarehouseTenant,
  entity: CanonicalEntity,
  rows: readonly Record<string, WarehouseInputValue>[],
  options: { mode?: 'upsert' | 'replace' } = {},
): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pulse-warehouse-rows-'));
  try {
    const file = path.join(dir, `${entity}.csv`);
    await writeFile(file, stagedCsv(entity, rows));
    await warehouse.appendStaged({
      tenant,
      entity,
      importId: randomUUID(),
      mode: options.mode ?? 'upsert',
      objectUri: pathToFileURL(file).href,
    });
    await warehouse.applyPendingLoads(tenant);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
