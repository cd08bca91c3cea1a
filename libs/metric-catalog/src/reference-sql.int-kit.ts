import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CanonicalEntity } from '@pulse/contracts';
import { stagedCsv, warehouseColumns, type WarehouseInputValue } from '@pulse/warehouse';
import { Client, types } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { KpiParams } from './kpi-params';

/** tools/bench/metrics-reference: the hand-written PostgreSQL and DuckDB query sets. */
export const REFERENCE_DIR = path.resolve(__dirname, '../../../tools/bench/metrics-reference');
export const REFERENCE_TABLES = ['customer_kpis', 'product_kpis', 'metric_series'] as const;
export type ReferenceTable = (typeof REFERENCE_TABLES)[number];

export function readReferenceSql(engine: 'postgres' | 'duckdb', file: string): Promise<string> {
  return readFile(path.join(REFERENCE_DIR, engine, `${file}.sql`), 'utf8');
}

/** A pg client that returns DATE as 'YYYY-MM-DD' text (not a local-midnight Date). */
export async function connectReferenceClient(url: string): Promise<Client> {
  const client = new Client({
    connectionString: url,
    types: { getTypeParser: ((oid: number, format?: string) => (oid === 1082 ? (value: string) => value : types.getTypeParser(oid, format as 'text'))) as typeof types.getTypeParser },
  });
  await client.connect();
  return client;
}

/** COPY rows into the reference schema's tables (the warehouse's staged CSV format, same columns). */
export async function copyRowsToPostgres(
  client: Client,
  rows: Partial<Record<CanonicalEntity, Record<string, WarehouseInputValue>[]>>,
): Promise<void> {
  for (const [entity, entityRows] of Object.entries(rows) as [CanonicalEntity, Record<string, WarehouseInputValue>[]][]) {
    if (!entityRows || entityRows.length === 0) continue;
    const columns = warehouseColumns(entity).join(', ');
    const stream = client.query(copyFrom(`COPY ${entity} (${columns}) FROM STDIN (FORMAT csv, HEADER true)`));
    await pipeline(Readable.from([stagedCsv(entity, entityRows)]), stream);
  }
}

export function postgresParams(params: KpiParams): unknown[] {
  return [params.asOf, params.timezone, params.churnWindowDays, params.excludedOrderStatuses.map((status) => status.toLowerCase())];
}

/** The DuckDB reference files take $1-$4 like the PostgreSQL ones; bound here as literals. */
export function bindDuckDbReferenceParams(sql: string, params: KpiParams): string {
  const text = (value: string) => `'${value.replace(/'/g, "''")}'`;
  const values: Record<string, string> = {
    $1: text(params.asOf),
    $2: text(params.timezone),
    $3: String(params.churnWindowDays),
    $4: `[${params.excludedOrderStatuses.map((status) => text(status.toLowerCase())).join(', ')}]`,
  };
  return sql.replace(/\$([1-4])\b/g, (placeholder) => values[placeholder]);
}
