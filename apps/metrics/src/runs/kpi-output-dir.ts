import type { WarehouseSettings } from '@pulse/config';

/**
 * Where one attempt of a run writes its KPI files. DuckDB writes each file whole into the attempt's local
 * scratch folder. BigQuery exports to the staging bucket in shards (`customer_kpis-000000000000.csv`, ...)
 * that the write-back lists by prefix, and their number varies from one export to the next: a run retried
 * after a shutdown or a crash (same run id) would read the shards an earlier attempt left beyond its own,
 * so each attempt gets a folder of its own.
 */
export function kpiOutputDir(warehouse: WarehouseSettings, workDir: string, tenantId: string, runId: string, attemptId: string): string {
  return warehouse.kind === 'bigquery' ? `${warehouse.stagingBucket}/metrics/${tenantId}/${runId}/${attemptId}` : workDir;
}
