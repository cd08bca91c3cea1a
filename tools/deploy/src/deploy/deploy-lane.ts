import { createHash } from 'node:crypto';
import { describeManifest, kustomizeBuild } from '../manifests/kustomize';
import { checkContainers, checkEnvironmentReferences, checkNamespace, checkPulseServices, checkWorkloadIdentity } from '../manifests/policies';
import { checkDataPlacement } from '../manifests/data-placement';
import { checkMemoryBudget } from '../manifests/memory-budget';
import { validateManifests } from '../manifests/schema-validation';
import { configMapData, containerEnvironment, workloads } from '../manifests/workloads';
import { readGcpSettings } from '../workspace/settings';
import type { DeployPaths } from '../workspace/workspace';
import { toYamlDocuments, type Manifest } from '../workspace/yaml-files';
import type { Kubectl } from './kubectl';
import { awaitJob, jobDeadlineSeconds, systemClock, unfinishedJobs, type Clock } from './migration-jobs';

export const ENVIRONMENTS = {
  onboarding: { namespace: 'pulse-onboarding', gke: true },
  production: { namespace: 'pulse-production', gke: true },
  local: { namespace: 'local', gke: false },
} as const;

export type Environment = keyof typeof ENVIRONMENTS;

export function isEnvironment(value: string): value is Environment {
  return value in ENVIRONMENTS;
}

/** The Jobs run before the services, in this order, each awaited. */
export const MIGRATION_JOBS = ['control-plane-migration', 'tenant-migration'] as const;

export interface LanePlan {
  env: Environment;
  namespace: string;
  lane: Manifest[];
  migrations: Manifest[];
  certificates: Manifest[];
  problems: string[];
}

/** Renders and checks everything a deploy of `env` would apply. Nothing is applied. */
export function planLane(paths: DeployPaths, env: Environment): LanePlan {
  const { namespace, gke } = ENVIRONMENTS[env];
  const lane = withConfigHashes(kustomizeBuild(paths.overlay(env)));
  const migrations = kustomizeBuild(paths.migrations(env));
  const certificates = gke ? kustomizeBuild(paths.generatedCertificates) : [];
  const problems = [
    ...validateManifests([...lane, ...migrations, ...certificates]),
    ...checkContainers([...lane, ...migrations]),
    ...checkPulseServices(lane),
    ...checkMemoryBudget(lane),
    ...checkDataPlacement(lane),
    ...checkNamespace([...lane, ...migrations], namespace),
    ...checkEnvironmentReferences(lane),
    ...checkEnvironmentReferences(migrations, lane),
    ...(gke ? checkWorkloadIdentity(lane, readGcpSettings(paths.settingsEnv).GSA_DOMAIN) : []),
  ];
  for (const name of MIGRATION_JOBS) {
    const job = migrations.find((m) => m.kind === 'Job' && m.metadata.name === name);
    if (!job) problems.push(`the migrations render has no Job ${name}`);
    // The deploy waits for a migration as long as the Job may run, so the Job must say how long that is.
    else if (jobDeadlineSeconds(job) === undefined) problems.push(`Job ${name} has no positive spec.activeDeadlineSeconds (the deploy waits that long for it)`);
  }
  return { env, namespace, lane, migrations, certificates, problems };
}

/**
 * A pod-template annotation with a hash of the ConfigMaps a Deployment reads, so that a configuration
 * change rolls the pods like an image change does (plain ConfigMaps carry no name hash).
 */
export function withConfigHashes(manifests: Manifest[]): Manifest[] {
  for (const { manifest, pod } of workloads(manifests)) {
    const names = new Set<string>();
    for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
      for (const from of c.envFrom ?? []) if (from.configMapRef) names.add(from.configMapRef.name);
      for (const e of c.env ?? []) if (e.valueFrom?.configMapKeyRef) names.add(e.valueFrom.configMapKeyRef.name);
    }
    if (names.size === 0) continue;
    const hash = createHash('sha256');
    for (const name of [...names].sort()) hash.update(`${name}\n${JSON.stringify(configMapData(manifests, name) ?? {})}\n`);
    const template = (manifest.spec as { template: { metadata: { annotations?: Record<string, string> } } }).template;
    template.metadata.annotations = { ...template.metadata.annotations, 'pulse.dev/config-hash': hash.digest('hex').slice(0, 16) };
  }
  return manifests;
}

export interface DeployReport {
  lines: string[];
  ok: boolean;
}

const TENANT_KINDS = 'httproutes.gateway.networking.k8s.io,deployments.apps,services,configmaps,horizontalpodautoscalers.autoscaling,poddisruptionbudgets.policy,healthcheckpolicies.networking.gke.io,gcpbackendpolicies.networking.gke.io';

export interface ApplyOptions {
  /** How long each rollout may take (default 600s). Migration Jobs are awaited for their own deadline. */
  timeoutSeconds?: number;
  rollback?: string;
  /** Receives each line as it happens (a migration may take an hour); the report has them all too. */
  log?: (line: string) => void;
  clock?: Clock;
}

/**
 * Applies a checked plan: the lane's configuration first (everything but its Deployments), then each
 * migration Job to completion, then the Deployments; removes tenant objects (label pulse.dev/tenant) the
 * render no longer has (a tenant moved to another lane or lost its route); waits for every rollout;
 * then runs the tenant migration once more (tenants the previous release provisioned meanwhile).
 * Refuses to start while a previous deploy's migration Job is still running (it would be deleted
 * mid-run). Stops at the first failure with the command that shows why, before anything further changes.
 */
export function applyLane(plan: LanePlan, kubectl: Kubectl, options: ApplyOptions = {}): DeployReport {
  const lines: string[] = [];
  const say = (...added: string[]) => {
    for (const line of added) {
      lines.push(line);
      options.log?.(line);
    }
  };
  const ns = plan.namespace;
  const timeout = `${options.timeoutSeconds ?? 600}s`;
  const clock = options.clock ?? systemClock;
  const fail = (what: string, result: { stderr: string; stdout: string } | undefined, hint?: string): DeployReport => {
    say(`FAILED: ${what}`);
    if (result) say((result.stderr || result.stdout).trim());
    if (hint) say(hint);
    return { lines, ok: false };
  };
  const apply = (manifests: Manifest[], what: string) => {
    const result = kubectl(['apply', '--server-side', '--field-manager=pulse-deploy', '--force-conflicts', '-f', '-'], toYamlDocuments(manifests));
    say(`applied ${what} (${manifests.length} objects)`);
    return result;
  };
  const jobs = MIGRATION_JOBS.flatMap((name) => plan.migrations.filter((m) => m.kind === 'Job' && m.metadata.name === name));

  // A Job's pod template is immutable, so each deploy deletes the previous run before applying its own;
  // a run that has not finished must not be deleted under a migration in progress.
  if (jobs.length > 0) {
    const previous = unfinishedJobs(kubectl, ns, jobs.map((j) => j.metadata.name));
    if ('error' in previous) return fail(`could not read the previous migration Jobs in ${ns}; nothing was changed`, previous.error);
    const [running] = previous.running;
    if (running) {
      return fail(
        `job ${running.name} from a previous deploy is still running${running.since ? ` (started ${running.since})` : ''}; nothing was changed`,
        undefined,
        `deploy again once it has finished (kubectl -n ${ns} get job/${running.name} -w; logs: kubectl -n ${ns} logs job/${running.name} -c migrate). ` +
          `If it is stuck, stopping it is your decision: kubectl -n ${ns} delete job ${running.name}`,
      );
    }
  }

  const isRollout = (m: Manifest) => m.kind === 'Deployment' || m.kind === 'StatefulSet';
  let result = apply(plan.lane.filter((m) => !isRollout(m)), `${ns} configuration`);
  if (result.status !== 0) return fail(`apply ${ns} configuration`, result);
  if (plan.certificates.length > 0) {
    result = apply(plan.certificates, 'tenant certificates (pulse-infra)');
    if (result.status !== 0) return fail('apply tenant certificates', result);
  }

  /** Runs a migration Job to completion; a report when it did not complete. `after` says what was already updated. */
  const runJob = (job: Manifest, updated: string): DeployReport | undefined => {
    const name = job.metadata.name;
    const logs = `see: kubectl -n ${ns} logs job/${name} -c migrate`;
    // planLane refuses a migration Job without a deadline; 0 would only happen with an unchecked plan.
    const deadline = jobDeadlineSeconds(job) ?? 0;
    let ran = kubectl(['delete', 'job', name, '-n', ns, '--ignore-not-found', '--wait=true']);
    if (ran.status !== 0) return fail(`delete previous job ${name}`, ran);
    ran = apply([job], `job ${name}`);
    if (ran.status !== 0) return fail(`apply job ${name}`, ran);
    say(`waiting for job ${name} (up to its deadline, ${deadline}s)`);
    const outcome = awaitJob(kubectl, ns, name, deadline, clock);
    switch (outcome.outcome) {
      case 'complete':
        say(`job ${name} completed`);
        return undefined;
      case 'failed':
        return fail(`job ${name} failed (${outcome.why}); ${updated}`, undefined, logs);
      case 'timed-out':
        return fail(
          `job ${name} did not finish within its deadline (${deadline}s); ${updated}`,
          undefined,
          `it may still be running (the next deploy refuses to replace it until it has finished); ${logs}`,
        );
      case 'unknown':
        return fail(
          `could not read the status of job ${name}; ${updated}`,
          outcome.error,
          `it may still be running (the next deploy refuses to replace it until it has finished): kubectl -n ${ns} get job/${name}`,
        );
    }
  };

  for (const job of jobs) {
    const failed = runJob(job, 'the services were NOT updated');
    if (failed) return failed;
  }

  const rollouts = plan.lane.filter(isRollout);
  result = apply(rollouts, `${ns} workloads`);
  if (result.status !== 0) return fail(`apply ${ns} workloads`, result);

  const rendered = new Set(plan.lane.map((m) => `${m.kind}/${m.metadata.name}`));
  const existing = kubectl(['get', TENANT_KINDS, '-n', ns, '-l', 'pulse.dev/tenant', '-o', 'jsonpath={range .items[*]}{.kind}/{.metadata.name}{"\\n"}{end}']);
  if (existing.status === 0) {
    for (const object of existing.stdout.split('\n').filter(Boolean)) {
      if (rendered.has(object)) continue;
      const [kind, name] = object.split('/') as [string, string];
      const removed = kubectl(['delete', kind.toLowerCase(), name, '-n', ns, '--ignore-not-found']);
      say(removed.status === 0 ? `removed ${object} (no longer routed to ${ns})` : `could not remove ${object}: ${removed.stderr.trim()}`);
    }
  }

  for (const deployment of rollouts) {
    result = kubectl(['rollout', 'status', `${deployment.kind.toLowerCase()}/${deployment.metadata.name}`, '-n', ns, `--timeout=${timeout}`]);
    if (result.status !== 0) {
      return fail(
        `${describeManifest(deployment)} did not become ready`,
        result,
        options.rollback ? `roll back with: ${options.rollback}` : 'roll back by deploying the previous tag (git log -p deploy/k8s/overlays/<env>/release)',
      );
    }
    say(`${describeManifest(deployment)} rolled out`);
  }

  // Catch-up: until the rollout ended, the previous release's pods could still provision tenants with
  // their own (older) migrations, after the first run had listed the tenants to migrate; those would
  // serve this release at an older schema. The migrator skips what is up to date, so this run is short.
  const tenantMigration = jobs.find((job) => job.metadata.name === 'tenant-migration');
  if (tenantMigration) {
    say('migrating tenants again: any provisioned by the previous release during the rollout');
    const failed = runJob(tenantMigration, 'the services ARE updated: deploy again (or rerun the job) so that every tenant is migrated');
    if (failed) return failed;
  }
  return { lines, ok: true };
}

/** What a plan changes, in words, for the operator before `--yes`. */
export function describePlan(plan: LanePlan): string[] {
  const images = new Set<string>();
  for (const { pod } of workloads(plan.lane)) for (const c of pod.containers) if (c.image) images.add(c.image);
  const env = new Map<string, string>();
  for (const { manifest, pod } of workloads(plan.lane)) {
    const version = pod.containers[0] && containerEnvironment(pod.containers[0], plan.lane).get('SERVICE_VERSION');
    if (version && 'value' in version) env.set(manifest.metadata.name, version.value);
  }
  return [
    `lane ${plan.env} (namespace ${plan.namespace}): ${plan.lane.length} objects, ${plan.migrations.length} migration objects, ${plan.certificates.length} certificate objects`,
    ...[...images].sort().map((image) => `  image ${image}`),
    `  routes: ${plan.lane.filter((m) => m.kind === 'HTTPRoute').map((m) => m.metadata.name).join(', ') || '(none)'}`,
  ];
}
