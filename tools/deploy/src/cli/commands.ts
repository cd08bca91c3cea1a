import path from 'node:path';
import { EVENT_CATALOG } from '@pulse/contracts';
import { checkTopologyAgainstCatalog, readPubSubTopology } from '../infra/pubsub-topology';
import { renderInfra } from '../infra/infra-manifests';
import { renderCertificates, renderLane } from '../render/tenant-manifests';
import { fetchRegistryTenants, readTenantsFile, type RegistryTenant } from '../tenants/tenant-list';
import { LANE_NAMES, isLane, routeTenants, type Lane } from '../tenants/tenant-routing';
import { applyLane, describePlan, isEnvironment, planLane, type LanePlan } from '../deploy/deploy-lane';
import type { Kubectl } from '../deploy/kubectl';
import type { Clock } from '../deploy/migration-jobs';
import { checkReleaseTag, readReleaseTags, setReleaseTag, singleReleaseTag, withReleaseTag } from '../release/release-tag';
import { readGcpSettings } from '../workspace/settings';
import type { DeployPaths } from '../workspace/workspace';
import { diffFileSets, readFileSet, writeFileSet, type FileSet } from '../workspace/yaml-files';

export interface CommandIo {
  log: (line: string) => void;
  environment: Readonly<Record<string, string | undefined>>;
  kubectl: Kubectl;
  fetchImpl?: typeof fetch;
  /** How a deploy waits between polls of a migration Job (tests simulate it). */
  clock?: Clock;
}

export class UsageError extends Error {}

/** Writes a generated folder, or with `check` only reports whether it is up to date. */
function writeOrCheck(dir: string, files: FileSet, check: boolean, io: CommandIo): boolean {
  const changed = diffFileSets(files, readFileSet(dir));
  const shown = path.relative(process.cwd(), dir) || dir;
  if (check) {
    if (changed.length > 0) io.log(`${shown} is out of date: ${changed.join(', ')} (run npm run deploy:render / deploy:infra)`);
    return changed.length === 0;
  }
  writeFileSet(dir, files);
  io.log(changed.length === 0 ? `${shown}: unchanged` : `${shown}: ${changed.length} file(s) changed: ${changed.join(', ')}`);
  return true;
}

export interface RenderOptions {
  env?: string;
  tenantsFile?: string;
  registryUrl?: string;
  check: boolean;
}

/**
 * `deploy:render`: the per-tenant routes (and dedicated workloads) of one lane, or of both when --env is
 * omitted, plus the custom-hostname certificates of every routed tenant. Tenants come from the registry's
 * operator API, or from --tenants-file offline.
 */
export async function renderCommand(paths: DeployPaths, options: RenderOptions, io: CommandIo): Promise<boolean> {
  if (options.env !== undefined && !isLane(options.env)) {
    throw new UsageError(`--env must be one of ${LANE_NAMES.join(', ')} (the local lane has no tenant routes)`);
  }
  const lanes: Lane[] = options.env ? [options.env as Lane] : LANE_NAMES;
  let tenants: RegistryTenant[];
  if (options.tenantsFile) {
    tenants = readTenantsFile(options.tenantsFile);
  } else {
    const token = io.environment['PULSE_OPERATOR_TOKEN'];
    const baseUrl = options.registryUrl ?? io.environment['PULSE_REGISTRY_URL'] ?? 'http://127.0.0.1:3001';
    if (!token) throw new UsageError('set PULSE_OPERATOR_TOKEN (the tenant registry operator token), or pass --tenants-file');
    tenants = await fetchRegistryTenants({ baseUrl, operatorToken: token, fetchImpl: io.fetchImpl });
    io.log(`read ${tenants.length} tenant(s) from ${baseUrl}`);
  }
  const settings = readGcpSettings(paths.settingsEnv);
  const routed = routeTenants(tenants, settings.BASE_DOMAIN);
  let upToDate = true;
  for (const lane of lanes) {
    const laneDir = paths.generatedLane(lane);
    const files = renderLane(lane, routed, { laneDir, apiWorkloadBase: paths.apiWorkloadBase });
    upToDate = writeOrCheck(laneDir, files, options.check, io) && upToDate;
  }
  upToDate = writeOrCheck(paths.generatedCertificates, renderCertificates(routed, settings.PROJECT_ID), options.check, io) && upToDate;
  if (!options.check) io.log(`next: npm run deploy -- --env ${options.env ?? '<lane>'}   (plan; add --yes to apply)`);
  return upToDate;
}

/** `deploy:infra`: Pub/Sub topology and Workload Identity bindings, from EVENT_CATALOG and deploy/ data. */
export function infraCommand(paths: DeployPaths, options: { check: boolean }, io: CommandIo): boolean {
  const topology = readPubSubTopology(paths.pubsubConsumers);
  const topics = EVENT_CATALOG.map((contract) => contract.topic);
  const problems = checkTopologyAgainstCatalog(topology, topics);
  if (problems.length > 0) throw new Error(`deploy/pubsub-consumers.json:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return writeOrCheck(paths.infraGenerated, renderInfra(topology, topics, readGcpSettings(paths.settingsEnv)), options.check, io);
}

export interface DeployOptions {
  env: string;
  tag?: string;
  yes: boolean;
}

/**
 * `deploy`: render and check the lane (at the current release pin, or at --tag), and — only with --yes —
 * apply it (configuration, migrations, workloads) and wait for the rollout. A plan never writes anything.
 * The pin (overlays/<env>/release) is set to --tag only after the deploy went through: it stays the
 * record of the release that last deployed completely, which is also what a failed deploy's printed
 * rollback (the same command with the previous tag) returns to.
 */
export function deployCommand(paths: DeployPaths, options: DeployOptions, io: CommandIo): boolean {
  if (!isEnvironment(options.env)) throw new UsageError('--env must be one of onboarding, production, local');
  const env = options.env;
  const releaseFile = paths.release(env);
  const pinned = readReleaseTags(releaseFile);
  const previous = singleReleaseTag(pinned);
  const tag = options.tag;
  if (tag) checkReleaseTag(tag);
  let rollback: string | undefined;
  let plan: LanePlan;
  if (tag) {
    if (previous && previous !== tag) {
      rollback = `npm run deploy -- --env ${env} --tag ${previous} --yes`;
      io.log(`release ${env}: ${previous} -> ${tag} (rollback: ${rollback})`);
    }
    plan = withReleaseTag(paths, env, tag, (scratch) => planLane(scratch, env));
  } else {
    io.log(`release ${env}: ${JSON.stringify(pinned)}`);
    plan = planLane(paths, env);
  }
  for (const line of describePlan(plan)) io.log(line);
  if (plan.problems.length > 0) {
    io.log(`NOT deploying: ${plan.problems.length} problem(s):`);
    for (const problem of plan.problems) io.log(`  - ${problem}`);
    return false;
  }
  if (!options.yes) {
    io.log('checks passed; this was a plan. Apply with --yes.');
    return true;
  }
  const report = applyLane(plan, io.kubectl, { rollback, log: io.log, clock: io.clock });
  if (tag && previous !== tag) {
    if (report.ok) {
      setReleaseTag(releaseFile, tag);
      io.log(`release ${env} pinned to ${tag} in ${path.relative(paths.workspaceRoot, releaseFile)}: commit it`);
    } else {
      io.log(`the release pin of ${env} stays at ${previous ?? JSON.stringify(pinned)} (${tag} did not deploy)`);
    }
  }
  return report.ok;
}
