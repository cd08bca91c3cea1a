import {
  checkObjectStorageEnv,
  objectStorageEnvShape,
  toObjectStorageSettings,
  toWarehouseSettings,
  warehouseEnvShape,
  type ObjectStorageSettings,
  type WarehouseSettings,
} from '@pulse/config';
import path from 'node:path';
import { z } from 'zod';
import { describeManifest } from './kustomize';
import { containerValues, pulseAppOf, workloads, type ContainerSpec, type PodSpec } from './workloads';
import type { Manifest } from '../workspace/yaml-files';

/**
 * Which services keep data where (the services' config schemas, apps/<app>/src/config): object storage
 * (PULSE_STORAGE*) is written by the api (uploads) and read and written by ingestion (staged files), and
 * the tenant registry erases an offboarded tenant's files there; the warehouse (PULSE_WAREHOUSE*) is
 * appended to by ingestion and computed by metrics, the one process that opens DuckDB files. The
 * deploy-tools integration test checks this table against the built services.
 */
export const DATA_FAMILIES = {
  storage: ['api', 'ingestion', 'tenant-registry'],
  warehouse: ['ingestion', 'metrics'],
} as const;

export type DataFamily = keyof typeof DATA_FAMILIES;

/** The variable that chooses the family's backend; a lane must set it (the defaults are for a developer's machine). */
export const FAMILY_SWITCH: Record<DataFamily, string> = { storage: 'PULSE_STORAGE', warehouse: 'PULSE_WAREHOUSE' };

const storageSchema = z.object(objectStorageEnvShape()).superRefine(checkObjectStorageEnv).transform(toObjectStorageSettings);
const warehouseSchema = z.object(warehouseEnvShape()).transform(toWarehouseSettings);

export interface Placement {
  workload: string;
  app: string;
  /** Where the files are, in words that must be equal for every service of the family. */
  location: string;
}

/** Where a folder of a container lives: the volume mounted at the longest prefix of the path. */
export function volumeOf(pod: PodSpec, container: ContainerSpec, folder: string): { description: string; shared: boolean; problem?: string } {
  const mount = (container.volumeMounts ?? [])
    .filter((m) => folder === m.mountPath || folder.startsWith(`${m.mountPath.replace(/\/+$/, '')}/`))
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
  if (!mount) return { description: 'the root filesystem', shared: false, problem: `${folder} is on no volume (the root filesystem is read-only)` };
  const volume = pod.volumes?.find((v) => v.name === mount.name);
  if (mount.readOnly || volume?.persistentVolumeClaim?.readOnly) return { description: `volume ${mount.name}`, shared: false, problem: `${folder} is on a read-only mount` };
  if (volume?.persistentVolumeClaim) return { description: `claim ${volume.persistentVolumeClaim.claimName}`, shared: true };
  return { description: `volume ${mount.name} of the pod`, shared: false };
}

function envOf<Shape extends z.ZodRawShape>(values: Record<string, string>, shape: Shape): Record<string, string> {
  // As loadConfig: only the family's variables, and an empty string counts as unset.
  return Object.fromEntries(Object.keys(shape).flatMap((key) => (values[key] ? [[key, values[key]]] : [])));
}

function issuesOf(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.map(String).join('.') || '(environment)'}: ${issue.message}`);
}

/** The family's settings a container would boot with, or why it would not boot / would lose its files. */
export function placementOf(
  family: DataFamily,
  pod: PodSpec,
  container: ContainerSpec,
  values: Record<string, string>,
): { kind?: string; location?: string; problems: string[] } {
  if (!values[FAMILY_SWITCH[family]]) {
    return { problems: [`${FAMILY_SWITCH[family]} is not set (its default keeps files in a relative folder of a read-only image)`] };
  }
  if (family === 'storage') {
    const parsed = storageSchema.safeParse(envOf(values, objectStorageEnvShape()));
    if (!parsed.success) return { problems: issuesOf(parsed.error) };
    return placeFolder(parsed.data, 'PULSE_STORAGE_DIR', pod, container);
  }
  const parsed = warehouseSchema.safeParse(envOf(values, warehouseEnvShape()));
  if (!parsed.success) return { problems: issuesOf(parsed.error) };
  const settings: WarehouseSettings = parsed.data;
  // BigQuery too writes PULSE_WAREHOUSE_DIR (a scratch folder): it must be writable.
  const scratch = folderProblems('PULSE_WAREHOUSE_DIR', settings.directory, pod, container);
  if (settings.kind === 'bigquery') {
    return { kind: 'bigquery', location: `bigquery project ${settings.projectId}, location ${settings.location}, staging ${settings.stagingBucket}`, problems: scratch.problems };
  }
  return { kind: 'duckdb', location: `duckdb ${settings.directory} on ${scratch.description}`, problems: [...scratch.problems, ...scratch.sharing] };
}

function placeFolder(settings: ObjectStorageSettings, variable: string, pod: PodSpec, container: ContainerSpec): { kind: string; location?: string; problems: string[] } {
  if (settings.kind === 'gcs') return { kind: 'gcs', location: `gcs bucket ${settings.bucket}`, problems: [] };
  const folder = folderProblems(variable, settings.directory, pod, container);
  return { kind: 'local', location: `local ${settings.directory} on ${folder.description}`, problems: [...folder.problems, ...folder.sharing] };
}

function folderProblems(variable: string, folder: string, pod: PodSpec, container: ContainerSpec) {
  if (!path.isAbsolute(folder)) {
    return { description: 'a relative path', problems: [`${variable} ${folder} is relative (the working directory is the read-only image)`], sharing: [] };
  }
  const volume = volumeOf(pod, container, folder);
  return {
    description: volume.description,
    problems: volume.problem ? [`${variable}: ${volume.problem}`] : [],
    // A folder another Deployment must see has to be a PersistentVolumeClaim; an emptyDir is one pod's own.
    sharing: volume.shared || volume.problem ? [] : [`${variable} ${folder} is on ${volume.description}, which no other pod can see`],
  };
}

/**
 * Every service of a data family is told explicitly where the family's data is, with settings its schema
 * accepts (including the rules between variables, e.g. PULSE_WAREHOUSE=bigquery needs BIGQUERY_PROJECT),
 * on a writable volume when local; and all services of the family agree: the same bucket, the same
 * BigQuery project, location and staging bucket, or the same folder on the same PersistentVolumeClaim.
 */
export function checkDataPlacement(manifests: readonly Manifest[]): string[] {
  const problems: string[] = [];
  const placements: Record<DataFamily, Placement[]> = { storage: [], warehouse: [] };
  for (const { manifest, pod } of workloads(manifests)) {
    if (manifest.kind !== 'Deployment') continue;
    const container = pod.containers[0];
    const app = container && pulseAppOf(container);
    if (!container || !app) continue;
    const values = containerValues(container, manifests);
    const workload = describeManifest(manifest);
    const kinds: Partial<Record<DataFamily, string>> = {};
    for (const family of Object.keys(DATA_FAMILIES) as DataFamily[]) {
      if (!(DATA_FAMILIES[family] as readonly string[]).includes(app)) continue;
      const placed = placementOf(family, pod, container, values);
      kinds[family] = placed.kind;
      problems.push(...placed.problems.map((p) => `${workload}: ${family}: ${p}`));
      // Compared only when fit: a folder already reported would be named twice.
      if (placed.location && placed.problems.length === 0) placements[family].push({ workload, app, location: placed.location });
    }
    // The staged files ingestion writes to object storage are what the warehouse loads: BigQuery load jobs read gs:// only.
    if (kinds.warehouse === 'bigquery' && kinds.storage !== undefined && kinds.storage !== 'gcs') {
      problems.push(`${workload}: the BigQuery warehouse loads staged files from gs:// only, but object storage is ${kinds.storage}`);
    }
  }
  for (const family of Object.keys(DATA_FAMILIES) as DataFamily[]) {
    const locations = new Set(placements[family].map((p) => p.location));
    if (locations.size > 1) {
      problems.push(`${family} is not shared: ${placements[family].map((p) => `${p.workload} uses ${p.location}`).join('; ')}`);
    }
  }
  return problems;
}
