import { describeManifest } from './kustomize';
import { configMapData, containerEnvironment, labelsOf, pulseAppOf, workloads, type ContainerSpec, type PodSpec } from './workloads';
import type { Manifest } from '../workspace/yaml-files';

/**
 * The deploy rules of STYLE.md ("Deploy") and issue 9, as code, over a rendered lane. Each returns
 * human-readable problems; an empty list means the render is fit to apply.
 */

/** A pinned image: an explicit tag other than latest, or a digest. */
export function imageProblem(image: string | undefined): string | undefined {
  if (!image) return 'has no image';
  const [withoutDigest, digest] = image.split('@');
  if (digest !== undefined) return /^sha256:[a-f0-9]{64}$/.test(digest) ? undefined : `image ${image} has a malformed digest`;
  const lastSegment = withoutDigest?.split('/').pop() ?? '';
  const tag = lastSegment.includes(':') ? lastSegment.split(':').pop() : undefined;
  if (!tag) return `image ${image} is not pinned (no tag or digest)`;
  if (tag === 'latest') return `image ${image} uses :latest`;
  return undefined;
}

function isNativeSidecar(container: ContainerSpec): boolean {
  return container.restartPolicy === 'Always';
}

function containerProblems(kind: string, pod: PodSpec, container: ContainerSpec, role: 'main' | 'sidecar' | 'init'): string[] {
  const problems: string[] = [];
  const say = (text: string) => problems.push(`container ${container.name}: ${text}`);
  const image = imageProblem(container.image);
  if (image) say(image);
  for (const kindOf of ['requests', 'limits'] as const) {
    for (const resource of ['cpu', 'memory']) {
      if (!container.resources?.[kindOf]?.[resource]) say(`no ${resource} ${kindOf.slice(0, -1)}`);
    }
  }
  const long = kind !== 'Job';
  if (long && role === 'main') {
    if (!container.livenessProbe) say('no liveness probe');
    if (!container.readinessProbe) say('no readiness probe');
  }
  if (role === 'sidecar') {
    if (!container.startupProbe) say('no startup probe (the app would start before its sidecar is ready)');
    if (!container.livenessProbe) say('no liveness probe');
  }
  const sc = container.securityContext ?? {};
  const podSc = pod.securityContext ?? {};
  if (sc.runAsNonRoot !== true && !(podSc.runAsNonRoot === true && sc.runAsNonRoot === undefined)) say('may run as root (runAsNonRoot is not true)');
  if (sc.runAsUser === 0 || (sc.runAsUser === undefined && podSc.runAsUser === 0)) say('runs as user 0');
  if (sc.readOnlyRootFilesystem !== true) say('root filesystem is writable (readOnlyRootFilesystem is not true)');
  if (sc.allowPrivilegeEscalation !== false) say('allowPrivilegeEscalation is not false');
  if (!sc.capabilities?.drop?.includes('ALL')) say('does not drop ALL capabilities');
  if ((sc.capabilities?.add ?? []).length > 0) say(`adds capabilities ${sc.capabilities?.add?.join(', ')}`);
  if ((sc.seccompProfile ?? podSc.seccompProfile)?.type !== 'RuntimeDefault') say('no RuntimeDefault seccomp profile');
  return problems;
}

/** Images, resources, probes and security of every container of every workload. */
export function checkContainers(manifests: readonly Manifest[]): string[] {
  return workloads(manifests).flatMap(({ manifest, pod }) => {
    const all = [
      ...pod.containers.map((c) => containerProblems(manifest.kind, pod, c, 'main')),
      ...(pod.initContainers ?? []).map((c) => containerProblems(manifest.kind, pod, c, isNativeSidecar(c) ? 'sidecar' : 'init')),
    ].flat();
    return all.map((p) => `${describeManifest(manifest)}: ${p}`);
  });
}

/**
 * The Pulse services' own rules: startup probe, /tmp as an emptyDir, topology spread, an HPA and a PDB,
 * and a grace period longer than the preStop sleep plus the service's SHUTDOWN_TIMEOUT_MS.
 */
export function checkPulseServices(manifests: readonly Manifest[]): string[] {
  const problems: string[] = [];
  for (const { manifest, pod } of workloads(manifests)) {
    if (manifest.kind !== 'Deployment') continue;
    const container = pod.containers[0];
    const app = container ? pulseAppOf(container) : undefined;
    if (!container || !app) continue;
    const where = describeManifest(manifest);
    if (!container.startupProbe) problems.push(`${where}: no startup probe`);
    const tmpVolume = container.volumeMounts?.find((v) => v.mountPath === '/tmp')?.name;
    if (!tmpVolume || !pod.volumes?.find((v) => v.name === tmpVolume && v.emptyDir !== undefined)) problems.push(`${where}: /tmp is not an emptyDir`);
    if ((pod.topologySpreadConstraints ?? []).length === 0) problems.push(`${where}: no topologySpreadConstraints`);
    const preStop = container.lifecycle?.preStop?.sleep?.seconds;
    if (!preStop) problems.push(`${where}: no preStop sleep (the load balancer would still route to a stopping pod)`);
    const env = containerEnvironment(container, manifests);
    const shutdown = env.get('SHUTDOWN_TIMEOUT_MS');
    const shutdownMs = shutdown && 'value' in shutdown ? Number(shutdown.value) : 10_000;
    const grace = pod.terminationGracePeriodSeconds ?? 30;
    if (grace * 1000 <= (preStop ?? 0) * 1000 + shutdownMs) {
      problems.push(`${where}: terminationGracePeriodSeconds ${grace} must exceed preStop ${preStop ?? 0} s + SHUTDOWN_TIMEOUT_MS ${shutdownMs} ms`);
    }
    const name = manifest.metadata.name;
    const hpa = manifests.find(
      (m) => m.kind === 'HorizontalPodAutoscaler' && (m.spec as { scaleTargetRef?: { name?: string } }).scaleTargetRef?.name === name,
    );
    if (!hpa) problems.push(`${where}: no HorizontalPodAutoscaler`);
    const podLabels = (manifest.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
    const selects = (selector: Record<string, string> | undefined) =>
      !!selector && Object.entries(selector).every(([k, v]) => podLabels[k] === v);
    const pdb = manifests.find((m) => m.kind === 'PodDisruptionBudget' && selects((m.spec as { selector?: { matchLabels?: Record<string, string> } }).selector?.matchLabels));
    if (!pdb) problems.push(`${where}: no PodDisruptionBudget`);
    if (!manifests.find((m) => m.kind === 'Service' && selects((m.spec as { selector?: Record<string, string> }).selector))) problems.push(`${where}: no Service`);
  }
  return problems;
}

/** Every namespaced object sits in the lane's namespace, and the lane starts from default-deny. */
export function checkNamespace(manifests: readonly Manifest[], namespace: string): string[] {
  const clusterScoped = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'ClusterSecretStore']);
  const problems = manifests
    .filter((m) => !clusterScoped.has(m.kind) && m.metadata.namespace !== namespace)
    .map((m) => `${describeManifest(m)}: not in namespace ${namespace}`);
  const denyAll = manifests.find(
    (m) =>
      m.kind === 'NetworkPolicy' &&
      Object.keys((m.spec as { podSelector?: { matchLabels?: object } }).podSelector?.matchLabels ?? {}).length === 0 &&
      ((m.spec as { policyTypes?: string[] }).policyTypes ?? []).includes('Ingress') &&
      ((m.spec as { policyTypes?: string[] }).policyTypes ?? []).includes('Egress') &&
      !(m.spec as { ingress?: unknown }).ingress &&
      !(m.spec as { egress?: unknown }).egress,
  );
  if (!denyAll) problems.push(`no default-deny NetworkPolicy in ${namespace}`);
  return problems;
}

/** Each Kubernetes ServiceAccount <ksa> acts as Google service account pulse-<ksa>@<GSA_DOMAIN>. */
export function checkWorkloadIdentity(manifests: readonly Manifest[], gsaDomain: string): string[] {
  return manifests
    .filter((m) => m.kind === 'ServiceAccount' && labelsOf(m)['app.kubernetes.io/part-of'] === 'pulse')
    .flatMap((m) => {
      const expected = `pulse-${m.metadata.name}@${gsaDomain}`;
      const actual = (m.metadata.annotations as Record<string, string> | undefined)?.['iam.gke.io/gcp-service-account'];
      return actual === expected ? [] : [`${describeManifest(m)}: Workload Identity annotation is ${actual ?? 'missing'}, expected ${expected}`];
    });
}

/** Every ConfigMap/Secret a container reads exists in the render (or is created by an ExternalSecret). */
export function checkEnvironmentReferences(manifests: readonly Manifest[], context: readonly Manifest[] = manifests): string[] {
  return workloads(manifests).flatMap(({ manifest, pod }) =>
    [...pod.containers, ...(pod.initContainers ?? [])].flatMap((container) =>
      [...containerEnvironment(container, context).entries()]
        .filter(([, source]) => 'unresolved' in source)
        .map(([name, source]) => `${describeManifest(manifest)}: container ${container.name}: ${name}: ${'unresolved' in source ? source.unresolved : ''}`),
    ),
  );
}

/** The services' PUBSUB_* settings match the subscriptions infrastructure declares (deploy/pubsub-consumers.json). */
export function checkPubSubSettings(
  manifests: readonly Manifest[],
  policy: { ackDeadlineSeconds: number; maxDeliveryAttempts: number; minimumBackoffSeconds: number; maximumBackoffSeconds: number },
): string[] {
  const expected: Record<string, number> = {
    PUBSUB_ACK_DEADLINE_SECONDS: policy.ackDeadlineSeconds,
    PUBSUB_MAX_DELIVERY_ATTEMPTS: policy.maxDeliveryAttempts,
    PUBSUB_MIN_BACKOFF_SECONDS: policy.minimumBackoffSeconds,
    PUBSUB_MAX_BACKOFF_SECONDS: policy.maximumBackoffSeconds,
  };
  return manifests
    .filter((m) => m.kind === 'ConfigMap' && /^(api|tenant-registry|ingestion|metrics)-config(-|$)/.test(m.metadata.name))
    .flatMap((m) => {
      const data = configMapData([m], m.metadata.name) ?? {};
      return Object.entries(expected)
        .filter(([key, value]) => data[key] !== String(value))
        .map(([key, value]) => `${describeManifest(m)}: ${key} is ${data[key] ?? 'unset'}, the declared subscriptions use ${value}`);
    });
}
