import type { Manifest } from '../workspace/yaml-files';

/** The parts of a pod spec the checks read (rendered YAML, so every field is optional). */
export interface ContainerSpec {
  name: string;
  image?: string;
  command?: string[];
  restartPolicy?: string;
  env?: Array<{ name: string; value?: string; valueFrom?: { configMapKeyRef?: { name: string; key: string }; secretKeyRef?: { name: string; key: string } } }>;
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: unknown;
  readinessProbe?: unknown;
  startupProbe?: unknown;
  lifecycle?: { preStop?: { sleep?: { seconds: number }; exec?: unknown } };
  securityContext?: SecurityContext;
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}

interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type: string };
}

export interface PodSpec {
  containers: ContainerSpec[];
  initContainers?: ContainerSpec[];
  securityContext?: SecurityContext;
  terminationGracePeriodSeconds?: number;
  topologySpreadConstraints?: unknown[];
  serviceAccountName?: string;
  volumes?: Array<{ name: string; emptyDir?: unknown; persistentVolumeClaim?: { claimName: string; readOnly?: boolean }; csi?: unknown }>;
}

export const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job']);

export function podSpecOf(m: Manifest): PodSpec | undefined {
  if (!WORKLOAD_KINDS.has(m.kind)) return undefined;
  return (m as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
}

export function workloads(manifests: readonly Manifest[]): Array<{ manifest: Manifest; pod: PodSpec }> {
  return manifests.flatMap((manifest) => {
    const pod = podSpecOf(manifest);
    return pod ? [{ manifest, pod }] : [];
  });
}

/** A Pulse service container runs `node dist/apps/<app>/main.js`; this returns <app>. */
export function pulseAppOf(container: ContainerSpec): string | undefined {
  const entry = pulseEntryOf(container);
  return entry?.file === 'main.js' ? entry.app : undefined;
}

/** Any entry of a Pulse app bundle (`node dist/apps/<app>/<file>.js`, e.g. tenant-registry's migrate-tenants.js). */
export function pulseEntryOf(container: ContainerSpec): { app: string; file: string; path: string } | undefined {
  const match = container.command?.join(' ').match(/^node (dist\/apps\/([a-z0-9-]+)\/([a-z0-9-]+\.js))$/);
  return match ? { path: match[1] as string, app: match[2] as string, file: match[3] as string } : undefined;
}

export function labelsOf(m: Manifest): Record<string, string> {
  return (m.metadata.labels as Record<string, string> | undefined) ?? {};
}

export function findManifest(manifests: readonly Manifest[], kind: string, name: string): Manifest | undefined {
  return manifests.find((m) => m.kind === kind && m.metadata.name === name);
}

export function configMapData(manifests: readonly Manifest[], name: string): Record<string, string> | undefined {
  return (findManifest(manifests, 'ConfigMap', name) as unknown as { data?: Record<string, string> } | undefined)?.data;
}

/** Keys a Secret will hold: from the Secret itself, or from the ExternalSecret that creates it. */
export function secretKeys(manifests: readonly Manifest[], name: string): string[] | undefined {
  const secret = findManifest(manifests, 'Secret', name) as unknown as { data?: Record<string, string>; stringData?: Record<string, string> } | undefined;
  if (secret) return [...Object.keys(secret.data ?? {}), ...Object.keys(secret.stringData ?? {})];
  const external = manifests.find(
    (m) => m.kind === 'ExternalSecret' && ((m.spec as { target?: { name?: string } }).target?.name ?? m.metadata.name) === name,
  ) as unknown as { spec: { data?: Array<{ secretKey: string }> } } | undefined;
  return external?.spec.data?.map((d) => d.secretKey);
}

export function secretValue(manifests: readonly Manifest[], name: string, key: string): string | undefined {
  const secret = findManifest(manifests, 'Secret', name) as unknown as { data?: Record<string, string>; stringData?: Record<string, string> } | undefined;
  if (secret?.stringData?.[key] !== undefined) return secret.stringData[key];
  const encoded = secret?.data?.[key];
  return encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString('utf8');
}

export type EnvSource = { value: string } | { secret: { name: string; key: string } } | { unresolved: string };

/**
 * The environment a container gets, resolved against the other objects of the render (`context`, e.g. the
 * lane's objects for the separately rendered migration Jobs). Later entries win, as in Kubernetes:
 * envFrom in order, then env.
 */
export function containerEnvironment(container: ContainerSpec, context: readonly Manifest[]): Map<string, EnvSource> {
  const env = new Map<string, EnvSource>();
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef) {
      const data = configMapData(context, from.configMapRef.name);
      if (!data) env.set(`(configMap ${from.configMapRef.name})`, { unresolved: `ConfigMap ${from.configMapRef.name} is not in the render` });
      for (const [key, value] of Object.entries(data ?? {})) env.set(key, { value });
    }
    if (from.secretRef) {
      const keys = secretKeys(context, from.secretRef.name);
      if (!keys) env.set(`(secret ${from.secretRef.name})`, { unresolved: `Secret ${from.secretRef.name} is neither rendered nor created by an ExternalSecret` });
      for (const key of keys ?? []) env.set(key, { secret: { name: from.secretRef.name, key } });
    }
  }
  for (const entry of container.env ?? []) {
    if (entry.value !== undefined) env.set(entry.name, { value: entry.value });
    else if (entry.valueFrom?.configMapKeyRef) {
      const { name, key } = entry.valueFrom.configMapKeyRef;
      const value = configMapData(context, name)?.[key];
      env.set(entry.name, value === undefined ? { unresolved: `ConfigMap ${name} has no key ${key}` } : { value });
    } else if (entry.valueFrom?.secretKeyRef) {
      const { name, key } = entry.valueFrom.secretKeyRef;
      const keys = secretKeys(context, name);
      env.set(entry.name, keys?.includes(key) ? { secret: { name, key } } : { unresolved: `Secret ${name} has no key ${key}` });
    }
  }
  return env;
}

/** The literal values of a container's environment (secrets and unresolved references left out). */
export function containerValues(container: ContainerSpec, context: readonly Manifest[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, source] of containerEnvironment(container, context)) if ('value' in source) values[name] = source.value;
  return values;
}
