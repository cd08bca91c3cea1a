import { describeManifest } from './kustomize';
import { containerValues, pulseAppOf, workloads } from './workloads';
import type { Manifest } from '../workspace/yaml-files';

const MiB = 1024 ** 2;

/** Kubernetes quantities of memory (Ki/Mi/Gi/Ti, k/M/G/T, plain bytes) in MiB; undefined if unreadable. */
export function kubernetesMemoryMiB(quantity: string | undefined): number | undefined {
  const match = quantity?.match(/^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/);
  if (!match) return undefined;
  const factor: Record<string, number> = { '': 1, Ki: 1024, Mi: MiB, Gi: 1024 * MiB, Ti: 1024 ** 4, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return (Number(match[1]) * (factor[match[2] ?? ''] ?? 1)) / MiB;
}

/** DuckDB sizes (memory_limit): KB/MB/GB/TB are powers of 1000, KiB/MiB/GiB/TiB of 1024. In MiB. */
export function duckDbMemoryMiB(size: string | undefined): number | undefined {
  const match = size?.match(/^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i);
  if (!match) return undefined;
  const unit = (match[2] as string).toUpperCase();
  const factor: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KIB: 1024, MIB: MiB, GIB: 1024 * MiB, TIB: 1024 ** 4 };
  return (Number(match[1]) * (factor[unit] ?? 1)) / MiB;
}

function cpuCores(quantity: string | undefined): number | undefined {
  const match = quantity?.match(/^(\d+(?:\.\d+)?)(m)?$/);
  if (!match) return undefined;
  return match[2] ? Number(match[1]) / 1000 : Number(match[1]);
}

/** The V8 heap is at most this share of the container's memory limit: the rest is Node's native memory. */
export const HEAP_SHARE = 0.75;
/** Heap plus DuckDB's buffer pools at most this share: DuckDB also allocates outside its memory_limit. */
export const HEAP_AND_DUCKDB_SHARE = 0.85;

/**
 * Memory of every Pulse service container: a V8 heap limit (NODE_OPTIONS --max-old-space-size) of at
 * most 75 % of the container's limit, so that a leak ends in a heap error with a stack rather than an
 * OOM kill. Where metrics computes in DuckDB (in its own process, outside the heap), DuckDB is bounded
 * too: PULSE_WAREHOUSE_DUCKDB_MEMORY_LIMIT applies to each tenant file being computed, METRICS_CONCURRENCY
 * of them at once, so heap + limit x runs must stay within 85 % of the container's limit; and DuckDB's
 * threads must not exceed the CPU limit (by default it starts one per core of the node and is throttled).
 */
export function checkMemoryBudget(manifests: readonly Manifest[]): string[] {
  const problems: string[] = [];
  for (const { manifest, pod } of workloads(manifests)) {
    if (manifest.kind !== 'Deployment') continue;
    const container = pod.containers[0];
    const app = container && pulseAppOf(container);
    if (!container || !app) continue;
    const say = (text: string) => problems.push(`${describeManifest(manifest)}: ${text}`);
    const values = containerValues(container, manifests);
    const limit = kubernetesMemoryMiB(container.resources?.limits?.['memory']);
    const heapText = values['NODE_OPTIONS']?.match(/--max-old-space-size=(\d+)/)?.[1];
    if (limit === undefined) {
      say('no readable memory limit');
      continue;
    }
    if (heapText === undefined) {
      say('NODE_OPTIONS sets no --max-old-space-size (a leak would end in an OOM kill, without a stack)');
      continue;
    }
    const heap = Number(heapText);
    if (heap > limit * HEAP_SHARE) say(`heap ${heap} MiB is more than ${HEAP_SHARE * 100} % of the ${limit} MiB memory limit`);

    if (app !== 'metrics' || values['PULSE_WAREHOUSE'] !== 'duckdb') continue;
    const duckDb = duckDbMemoryMiB(values['PULSE_WAREHOUSE_DUCKDB_MEMORY_LIMIT']);
    const runs = Number(values['METRICS_CONCURRENCY']);
    const threads = Number(values['PULSE_WAREHOUSE_DUCKDB_THREADS']);
    if (duckDb === undefined) say('PULSE_WAREHOUSE_DUCKDB_MEMORY_LIMIT is not set (DuckDB would take 80 % of the node\'s memory)');
    if (!Number.isInteger(runs) || runs < 1) say('METRICS_CONCURRENCY is not set (the DuckDB memory budget depends on it)');
    if (!Number.isInteger(threads) || threads < 1) say('PULSE_WAREHOUSE_DUCKDB_THREADS is not set (DuckDB would start a thread per core of the node)');
    const cpu = cpuCores(container.resources?.limits?.['cpu']);
    if (Number.isInteger(threads) && cpu !== undefined && threads > Math.ceil(cpu)) say(`${threads} DuckDB threads exceed the CPU limit of ${cpu}`);
    if (duckDb !== undefined && Number.isInteger(runs) && runs >= 1) {
      const total = heap + duckDb * runs;
      if (total > limit * HEAP_AND_DUCKDB_SHARE) {
        say(`heap ${heap} MiB + ${runs} x DuckDB ${Math.round(duckDb)} MiB = ${Math.round(total)} MiB is more than ${HEAP_AND_DUCKDB_SHARE * 100} % of the ${limit} MiB memory limit`);
      }
    }
  }
  return problems;
}
