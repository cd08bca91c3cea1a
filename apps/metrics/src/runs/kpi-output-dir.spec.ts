import type { WarehouseSettings } from '@pulse/config';
import { kpiOutputDir } from './kpi-output-dir';

const TENANT = '11111111-2222-4333-8444-555555555555';
const RUN = '99999999-8888-4777-8666-555555555555';

describe('kpiOutputDir', () => {
  it("gives each attempt of a BigQuery run its own folder, so a retry lists none of an earlier attempt's shards", () => {
    const bigquery = { kind: 'bigquery', stagingBucket: 'gs://pulse-staging/exports' } as WarehouseSettings;
    const first = kpiOutputDir(bigquery, '/tmp/w', TENANT, RUN, 'attempt-1');
    const retry = kpiOutputDir(bigquery, '/tmp/w', TENANT, RUN, 'attempt-2');
    expect(first).toBe(`gs://pulse-staging/exports/metrics/${TENANT}/${RUN}/attempt-1`);
    // The write-back lists `<dir>/customer_kpis-` (kpi-files.ts): neither listing reaches the other's objects.
    expect(`${retry}/customer_kpis-`.startsWith(`${first}/customer_kpis-`)).toBe(false);
    expect(`${first}/customer_kpis-`.startsWith(`${retry}/customer_kpis-`)).toBe(false);
  });

  it("writes a DuckDB run's files into its local scratch folder", () => {
    expect(kpiOutputDir({ kind: 'duckdb' } as WarehouseSettings, '/tmp/w/t/r', TENANT, RUN, 'attempt-1')).toBe('/tmp/w/t/r');
  });
});
