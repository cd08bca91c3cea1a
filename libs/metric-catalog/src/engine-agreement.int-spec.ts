import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@pulse/testing';
import type { Client } from 'pg';
import { computeKpis, type KpiOutputs } from './compute-kpis';
import type { KpiParams } from './kpi-params';
import { generateTenant } from './kpi-datagen.int-kit';
import { createTestWarehouse, readKpiCsv, type TestWarehouse } from './kpi-warehouse.int-kit';
import {
  bindDuckDbReferenceParams,
  connectReferenceClient,
  copyRowsToPostgres,
  postgresParams,
  readReferenceSql,
  REFERENCE_TABLES,
  type ReferenceTable,
} from './reference-sql.int-kit';

/*
 * The catalog compiled for DuckDB against two independent, hand-written implementations of the same
 * definitions (tools/bench/metrics-reference): PostgreSQL (a different engine: its own time zone rules,
 * numeric arithmetic, percentile_cont) and plain DuckDB SQL. Same generated rows in both engines.
 * Size: PULSE_KPI_AGREEMENT_CUSTOMERS (default 5000; the 100k run: set it to 100000).
 */
const CUSTOMERS = Number(process.env.PULSE_KPI_AGREEMENT_CUSTOMERS ?? 5000);
const PARAMS: KpiParams = {
  asOf: '2024-06-30',
  timezone: 'America/Sao_Paulo',
  churnWindowDays: 90,
  excludedOrderStatuses: ['canceled', 'cancelled', 'refunded'],
};

type Row = Record<string, unknown>;
const KEYS: Record<ReferenceTable, string[]> = {
  customer_kpis: ['customer_external_id'],
  product_kpis: ['sku'],
  metric_series: ['metric', 'grain', 'period_start'],
};

function canonical(value: unknown): string | number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return value;
  const text = String(value);
  return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
}

/** Differences between two row sets, keyed; numbers compared to 1e-6 relative (rounding of the 4th/6th place). */
function differences(table: ReferenceTable, expected: Row[], actual: Row[], limit = 10): string[] {
  const keyOf = (row: Row) => KEYS[table].map((key) => String(row[key])).join('|');
  const actualByKey = new Map(actual.map((row) => [keyOf(row), row]));
  const found: string[] = [];
  if (expected.length !== actual.length) found.push(`${table}: ${expected.length} rows expected, ${actual.length} got`);
  for (const row of expected) {
    const other = actualByKey.get(keyOf(row));
    if (!other) {
      found.push(`${table} ${keyOf(row)}: missing`);
      continue;
    }
    for (const column of Object.keys(row)) {
      const [left, right] = [canonical(row[column]), canonical(other[column])];
      const same =
        typeof left === 'number' && typeof right === 'number'
          ? Math.abs(left - right) <= 1e-4 + 1e-9 * Math.abs(left)
          : left === right;
      if (!same) found.push(`${table} ${keyOf(row)} ${column}: reference ${String(left)}, catalog ${String(right)}`);
    }
    if (found.length >= limit) break;
  }
  return found;
}

describe(`catalog vs hand-written PostgreSQL and DuckDB SQL on a generated tenant of ${CUSTOMERS} customers`, () => {
  let testWarehouse: TestWarehouse;
  let database: TestDatabase;
  let client: Client;
  let outputs: KpiOutputs;
  const catalogRows = {} as Record<ReferenceTable, Row[]>;

  beforeAll(async () => {
    const tenant = generateTenant({ customers: CUSTOMERS, seed: 7 });
    testWarehouse = await createTestWarehouse('tenant_agreement');
    await testWarehouse.load(tenant.rows);
    database = await createTestDatabase({ prefix: 'metric_agreement' });
    client = await connectReferenceClient(database.url);
    await client.query(await readReferenceSql('postgres', 'schema'));
    await copyRowsToPostgres(client, tenant.rows);
    await client.query(await readReferenceSql('postgres', 'indexes'));
    outputs = await computeKpis(testWarehouse.warehouse, testWarehouse.tenant, PARAMS, path.join(testWarehouse.dir, 'out'));
    catalogRows.customer_kpis = await readKpiCsv(outputs.customerKpis.location);
    catalogRows.product_kpis = await readKpiCsv(outputs.productKpis.location);
    catalogRows.metric_series = await readKpiCsv(outputs.metricSeries.location);
  }, 600_000);

  afterAll(async () => {
    await client?.end();
    await database?.drop();
    await testWarehouse?.dispose();
  });

  it('produces non-trivial output (the comparison compares something)', () => {
    const customers = catalogRows.customer_kpis;
    // About 1% of the customers became customers after the as-of day and are left out.
    expect(customers.length).toBeLessThan(CUSTOMERS);
    expect(customers.length).toBeGreaterThan(CUSTOMERS * 0.95);
    expect(customers.filter((row) => row.rfm_segment !== null).length).toBeGreaterThan(CUSTOMERS / 2);
    expect(new Set(customers.map((row) => row.rfm_segment)).size).toBeGreaterThanOrEqual(8);
    expect(customers.some((row) => Number(row.open_tickets) > 0 && Number(row.mrr) > 0 && row.last_nps !== null)).toBe(true);
    expect(catalogRows.product_kpis.some((row) => row.median_reorder_interval_days !== null)).toBe(true);
    const nrr = catalogRows.metric_series.filter((row) => row.metric === 'nrr' && row.grain === 'month' && row.value !== null);
    expect(nrr.some((row) => Number(row.value) !== 1)).toBe(true);
  });

  it.each(REFERENCE_TABLES)('%s agrees with the hand-written PostgreSQL SQL', async (table) => {
    const reference = await client.query(await readReferenceSql('postgres', table), postgresParams(PARAMS));
    expect(differences(table, reference.rows, catalogRows[table])).toEqual([]);
  });

  it.each(REFERENCE_TABLES)('%s agrees with the hand-written DuckDB SQL', async (table) => {
    const sql = bindDuckDbReferenceParams(await readReferenceSql('duckdb', table), PARAMS);
    const reference = await testWarehouse.warehouse.query(testWarehouse.tenant, sql, { label: `reference_${table}` });
    expect(differences(table, reference, catalogRows[table])).toEqual([]);
  });
});
