import { checkMemoryBudget, duckDbMemoryMiB, kubernetesMemoryMiB } from './memory-budget';
import type { Manifest } from '../workspace/yaml-files';

function service(app: string, env: Record<string, string>, limits: Record<string, string>): Manifest {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: app, namespace: 'lane' },
    spec: {
      template: {
        metadata: { labels: {} },
        spec: {
          containers: [
            {
              name: app,
              command: ['node', `dist/apps/${app}/main.js`],
              env: Object.entries(env).map(([name, value]) => ({ name, value })),
              resources: { requests: { cpu: '100m', memory: '128Mi' }, limits },
            },
          ],
        },
      },
    },
  };
}

const duckdbMetrics = {
  PULSE_WAREHOUSE: 'duckdb',
  NODE_OPTIONS: '--max-old-space-size=384 --enable-source-maps',
  METRICS_CONCURRENCY: '1',
  PULSE_WAREHOUSE_DUCKDB_MEMORY_LIMIT: '768MiB',
  PULSE_WAREHOUSE_DUCKDB_THREADS: '2',
};

describe('memory quantities', () => {
  it('reads Kubernetes and DuckDB sizes in MiB', () => {
    expect(kubernetesMemoryMiB('512Mi')).toBe(512);
    expect(kubernetesMemoryMiB('1.5Gi')).toBe(1536);
    expect(kubernetesMemoryMiB('1048576')).toBe(1);
    expect(kubernetesMemoryMiB('1G')).toBeCloseTo(953.67, 2); // 10^9 / 2^20
    expect(kubernetesMemoryMiB('lots')).toBeUndefined();
    expect(duckDbMemoryMiB('768MiB')).toBe(768);
    expect(duckDbMemoryMiB('2GB')).toBeCloseTo(1907.35, 2); // DuckDB's GB is 10^9 bytes
    expect(duckDbMemoryMiB('1 GiB')).toBe(1024);
    expect(duckDbMemoryMiB('80%')).toBeUndefined();
  });
});

describe('checkMemoryBudget', () => {
  it('accepts a heap of 75 % of the limit, and metrics with DuckDB inside 85 %', () => {
    expect(
      checkMemoryBudget([
        service('ingestion', { NODE_OPTIONS: '--max-old-space-size=384' }, { cpu: '2', memory: '512Mi' }),
        // 384 + 1 x 768 = 1152 MiB <= 0.85 x 1536 = 1305.6 MiB
        service('metrics', duckdbMetrics, { cpu: '2', memory: '1536Mi' }),
      ]),
    ).toEqual([]);
  });

  it('wants a heap limit below the container limit', () => {
    expect(
      checkMemoryBudget([
        service('api', { NODE_OPTIONS: '--enable-source-maps' }, { cpu: '1', memory: '768Mi' }),
        service('ingestion', { NODE_OPTIONS: '--max-old-space-size=400' }, { cpu: '2', memory: '512Mi' }),
      ]),
    ).toEqual([
      'Deployment/api (lane): NODE_OPTIONS sets no --max-old-space-size (a leak would end in an OOM kill, without a stack)',
      'Deployment/ingestion (lane): heap 400 MiB is more than 75 % of the 512 MiB memory limit',
    ]);
  });

  it('counts DuckDB once per concurrent run, and bounds its threads by the CPU limit', () => {
    // 384 + 2 x 768 = 1920 MiB > 1305.6 MiB; 4 threads > 2 cores.
    expect(checkMemoryBudget([service('metrics', { ...duckdbMetrics, METRICS_CONCURRENCY: '2', PULSE_WAREHOUSE_DUCKDB_THREADS: '4' }, { cpu: '2', memory: '1536Mi' })])).toEqual([
      'Deployment/metrics (lane): 4 DuckDB threads exceed the CPU limit of 2',
      'Deployment/metrics (lane): heap 384 MiB + 2 x DuckDB 768 MiB = 1920 MiB is more than 85 % of the 1536 MiB memory limit',
    ]);
  });

  it('wants DuckDB bounded where metrics computes in it, and not where BigQuery does', () => {
    const { PULSE_WAREHOUSE_DUCKDB_MEMORY_LIMIT: _m, METRICS_CONCURRENCY: _c, PULSE_WAREHOUSE_DUCKDB_THREADS: _t, ...unbounded } = duckdbMetrics;
    expect(checkMemoryBudget([service('metrics', unbounded, { cpu: '2', memory: '1536Mi' })])).toEqual([
      "Deployment/metrics (lane): PULSE_WAREHOUSE_DUCKDB_MEMORY_LIMIT is not set (DuckDB would take 80 % of the node's memory)",
      'Deployment/metrics (lane): METRICS_CONCURRENCY is not set (the DuckDB memory budget depends on it)',
      'Deployment/metrics (lane): PULSE_WAREHOUSE_DUCKDB_THREADS is not set (DuckDB would start a thread per core of the node)',
    ]);
    expect(checkMemoryBudget([service('metrics', { ...unbounded, PULSE_WAREHOUSE: 'bigquery' }, { cpu: '1', memory: '1Gi' })])).toEqual([]);
  });
});
