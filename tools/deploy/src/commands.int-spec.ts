import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deployCommand, renderCommand, type CommandIo } from './cli/commands';
import type { Kubectl, KubectlResult } from './deploy/kubectl';
import { readReleaseTags } from './release/release-tag';
import { copyOfDeploy, describeWithKubectl, workspaceRoot } from './testing/deploy.int-kit';
import { readFileSet } from './workspace/yaml-files';

/** The CLI as the npm scripts run it (dist/tools/deploy/main.js, built by the project's build target). */
function cli(...args: string[]) {
  const main = path.join(workspaceRoot, 'dist/tools/deploy/main.js');
  if (!existsSync(main)) spawnSync(process.execPath, ['tools/build/build.mjs', 'tools/deploy'], { cwd: workspaceRoot });
  return spawnSync(process.execPath, [main, ...args], { cwd: workspaceRoot, encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '' } });
}

function tenantsFile(tenants: unknown): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'pulse-tenants-')), 'tenants.json');
  writeFileSync(file, JSON.stringify(tenants));
  return file;
}

/** A Job as `kubectl get job -o json` shows it: running (no condition yet), or with its final condition. */
function job(name: string, outcome: 'running' | 'Complete' | 'Failed' = 'Complete') {
  const conditions =
    outcome === 'Complete'
      ? [{ type: 'Complete', status: 'True' }]
      : outcome === 'Failed'
        ? [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }]
        : [];
  return { apiVersion: 'batch/v1', kind: 'Job', metadata: { name }, status: { startTime: '2026-11-27T10:00:00Z', active: outcome === 'running' ? 1 : 0, conditions } };
}

/**
 * A kubectl that answers from a script and records every call (no cluster here). Unscripted calls
 * succeed; a polled migration Job has completed, and no previous migration Job exists.
 */
function fakeKubectl(answer: (args: string[]) => Partial<KubectlResult> | undefined = () => undefined) {
  const calls: string[] = [];
  const kubectl: Kubectl = (args, input) => {
    const objects = input ? [...input.matchAll(/^kind: (\w+)\n(?:.*\n)*?\s+name: (\S+)/gm)].length : 0;
    calls.push(args.join(' ') + (input ? ` <${objects} objects>` : ''));
    const polled = args[0] === 'get' && args[1] === 'job' ? { stdout: JSON.stringify(job(args[2] as string)) } : {};
    return { status: 0, stdout: '', stderr: '', ...polled, ...answer(args) };
  };
  return { calls, kubectl };
}

/** Simulated time: sleeping advances it, so a long migration wait takes no real time. */
function fakeClock() {
  const clock = { at: 0, now: () => clock.at, sleep: (ms: number) => void (clock.at += ms) };
  return clock;
}

function io(kubectl: Kubectl): CommandIo & { lines: string[] } {
  const lines: string[] = [];
  return { lines, log: (line) => lines.push(line), environment: {}, kubectl };
}

describe('the deploy-tools CLI on this repository', () => {
  it('finds the committed generated routes and infrastructure up to date', () => {
    const render = cli('render', '--tenants-file', tenantsFile({ items: [], nextCursor: null }), '--check');
    expect({ status: render.status, out: render.stdout + render.stderr }).toEqual({ status: 0, out: '' });
    const infra = cli('infra', '--check');
    expect({ status: infra.status, out: infra.stdout + infra.stderr }).toEqual({ status: 0, out: '' });
  });

  it('explains its usage', () => {
    const result = cli('render', '--env', 'staging', '--tenants-file', 'x.json');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--env must be one of onboarding, production');
  });

  it('reads the tenant registry with the operator token, and says so when the token is missing', () => {
    const result = cli('render', '--env', 'production', '--check');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('set PULSE_OPERATOR_TOKEN');
  });
});

describe('render', () => {
  it('refuses an unsafe tenant list and writes nothing', async () => {
    const copy = copyOfDeploy();
    const before = readFileSet(path.join(copy.k8sRoot, 'generated'));
    const file = tenantsFile([
      { slug: 'acme', status: 'active', hostnames: ['app.shared.com'], settings: {} },
      { slug: 'globex', status: 'active', hostnames: ['app.shared.com'], settings: {} },
    ]);
    await expect(renderCommand(copy, { tenantsFile: file, check: false }, io(fakeKubectl().kubectl))).rejects.toThrow(
      'app.shared.com is claimed by both acme and globex',
    );
    expect(readFileSet(path.join(copy.k8sRoot, 'generated'))).toEqual(before);
  });

  it('fetches the tenant list from the registry API', async () => {
    const copy = copyOfDeploy();
    const seen: string[] = [];
    const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
      seen.push(`${String(input)} ${new Headers(init?.headers).get('authorization')}`);
      return new Response(JSON.stringify({ items: [{ slug: 'acme', status: 'active', hostnames: [], settings: {} }], nextCursor: null }));
    }) as typeof fetch;
    const out = { ...io(fakeKubectl().kubectl), environment: { PULSE_OPERATOR_TOKEN: 't0ken' }, fetchImpl };
    await renderCommand(copy, { env: 'production', registryUrl: 'http://127.0.0.1:3001', check: false }, out);
    expect(seen).toEqual(['http://127.0.0.1:3001/v1/tenants?limit=100 Bearer t0ken']);
    expect([...readFileSet(copy.generatedLane('production')).keys()].sort()).toEqual(['kustomization.yaml', 'tenant-acme.yaml']);
  });
});

describeWithKubectl('deploy', () => {
  it('without --yes plans the requested tag, checks everything, applies nothing and leaves the release pin as it is', () => {
    const copy = copyOfDeploy();
    const pinBefore = readFileSync(copy.release('production'), 'utf8');
    const { calls, kubectl } = fakeKubectl();
    const out = io(kubectl);
    expect(deployCommand(copy, { env: 'production', tag: '2.0.0', yes: false }, out)).toBe(true);
    expect(calls).toEqual([]);
    expect(readFileSync(copy.release('production'), 'utf8')).toBe(pinBefore);
    // The plan is of the requested release: its images carry the new tag.
    expect(out.lines).toContain('  image southamerica-east1-docker.pkg.dev/pulse-example/pulse/api:2.0.0');
    expect(out.lines.filter((line) => /^ {2}image .*:0\.1\.0$/.test(line))).toEqual([]);
    expect(out.lines).toContain('release production: 0.1.0 -> 2.0.0 (rollback: npm run deploy -- --env production --tag 0.1.0 --yes)');
    expect(out.lines).toContain('checks passed; this was a plan. Apply with --yes.');
  });

  it('a plan whose checks fail leaves the release pin as it is too', () => {
    const copy = copyOfDeploy();
    const deployment = path.join(copy.k8sRoot, 'base/metrics/deployment.yaml');
    writeFileSync(deployment, readFileSync(deployment, 'utf8').replace('readOnlyRootFilesystem: true', 'readOnlyRootFilesystem: false'));
    const pinBefore = readFileSync(copy.release('production'), 'utf8');
    const out = io(fakeKubectl().kubectl);
    expect(deployCommand(copy, { env: 'production', tag: '2.0.0', yes: false }, out)).toBe(false);
    expect(out.lines.some((line) => line.startsWith('NOT deploying'))).toBe(true);
    expect(readFileSync(copy.release('production'), 'utf8')).toBe(pinBefore);
  });

  it('with --yes pins the tag, keeping the file\'s comments, once the deploy has succeeded', () => {
    const copy = copyOfDeploy();
    const out = io(fakeKubectl().kubectl);
    expect(deployCommand(copy, { env: 'production', tag: '2.0.0', yes: true }, out)).toBe(true);
    expect(Object.values(readReleaseTags(copy.release('production')))).toEqual(['2.0.0', '2.0.0', '2.0.0', '2.0.0', '2.0.0']);
    expect(readFileSync(copy.release('production'), 'utf8')).toContain('# The release running in pulse-production');
    expect(out.lines).toContain('release production pinned to 2.0.0 in deploy/k8s/overlays/production/release/kustomization.yaml: commit it');
  });

  it('a --yes deploy that fails leaves the release pin at the previous tag', () => {
    const copy = copyOfDeploy();
    const pinBefore = readFileSync(copy.release('production'), 'utf8');
    const { kubectl } = fakeKubectl((args) => (args[0] === 'rollout' ? { status: 1, stderr: 'deadline exceeded' } : {}));
    const out = io(kubectl);
    expect(deployCommand(copy, { env: 'production', tag: '2.0.0', yes: true }, out)).toBe(false);
    expect(readFileSync(copy.release('production'), 'utf8')).toBe(pinBefore);
    expect(out.lines).toContain('the release pin of production stays at 0.1.0 (2.0.0 did not deploy)');
  });

  it('with --yes applies configuration, then each migration to completion, then workloads; prunes moved tenants; waits for rollouts', () => {
    const copy = copyOfDeploy();
    const finishedRuns = { kind: 'List', items: [job('control-plane-migration', 'Complete'), job('tenant-migration', 'Failed')] };
    const { calls, kubectl } = fakeKubectl((args) =>
      args[0] === 'get' && args[1] === 'jobs'
        ? { stdout: JSON.stringify(finishedRuns) }
        : args[0] === 'get' && args[1]?.startsWith('httproutes')
          ? { stdout: 'HTTPRoute/tenant-moved-away\nDeployment/api-moved-away\n' }
          : undefined,
    );
    const out = io(kubectl);
    expect(deployCommand(copy, { env: 'production', yes: true }, out)).toBe(true);
    const ns = '-n pulse-production';
    expect(calls.map((c) => c.replace(/<\d+ objects>/, '<objects>'))).toEqual([
      `get jobs control-plane-migration tenant-migration ${ns} -o json --ignore-not-found`,
      'apply --server-side --field-manager=pulse-deploy --force-conflicts -f - <objects>',
      `delete job control-plane-migration ${ns} --ignore-not-found --wait=true`,
      'apply --server-side --field-manager=pulse-deploy --force-conflicts -f - <objects>',
      `get job control-plane-migration ${ns} -o json`,
      `delete job tenant-migration ${ns} --ignore-not-found --wait=true`,
      'apply --server-side --field-manager=pulse-deploy --force-conflicts -f - <objects>',
      `get job tenant-migration ${ns} -o json`,
      'apply --server-side --field-manager=pulse-deploy --force-conflicts -f - <objects>',
      expect.stringMatching(/^get httproutes.gateway.networking.k8s.io,deployments.apps,.* -l pulse.dev\/tenant/),
      `delete httproute tenant-moved-away ${ns} --ignore-not-found`,
      `delete deployment api-moved-away ${ns} --ignore-not-found`,
      `rollout status deployment/api ${ns} --timeout=600s`,
      `rollout status deployment/ingestion ${ns} --timeout=600s`,
      `rollout status deployment/metrics ${ns} --timeout=600s`,
      `rollout status deployment/tenant-registry ${ns} --timeout=600s`,
      // Catch-up: tenants the previous release provisioned during the rollout get this release's schema.
      `delete job tenant-migration ${ns} --ignore-not-found --wait=true`,
      'apply --server-side --field-manager=pulse-deploy --force-conflicts -f - <objects>',
      `get job tenant-migration ${ns} -o json`,
    ]);
    expect(out.lines).toContain('migrating tenants again: any provisioned by the previous release during the rollout');
    expect(out.lines).toContain('waiting for job control-plane-migration (up to its deadline, 900s)');
    expect(out.lines).toContain('waiting for job tenant-migration (up to its deadline, 3600s)');
    expect(out.lines).toContain('job tenant-migration completed');
  });

  it('reports a failed catch-up tenant migration after the rollout, saying the services are updated', () => {
    const copy = copyOfDeploy();
    let tenantRuns = 0;
    const { kubectl } = fakeKubectl((args) => {
      if (args[0] !== 'get' || args[1] !== 'job') return undefined;
      const name = args[2] as string;
      if (name !== 'tenant-migration') return { stdout: JSON.stringify(job(name, 'Complete')) };
      tenantRuns += 1;
      return { stdout: JSON.stringify(job(name, tenantRuns === 1 ? 'Complete' : 'Failed')) };
    });
    const out = io(kubectl);
    expect(deployCommand(copy, { env: 'production', yes: true }, out)).toBe(false);
    expect(tenantRuns).toBe(2);
    expect(out.lines).toContain('Deployment/tenant-registry (pulse-production) rolled out');
    expect(out.lines).toContainEqual(expect.stringMatching(/^FAILED: job tenant-migration failed \(.*\); the services ARE updated: deploy again \(or rerun the job\) so that every tenant is migrated$/));
  });

  it('sees a failed migration at the next poll and stops before touching the services', () => {
    const copy = copyOfDeploy();
    let polls = 0;
    const { calls, kubectl } = fakeKubectl((args) =>
      args[0] === 'get' && args[1] === 'job' ? { stdout: JSON.stringify(job(args[2] as string, ++polls === 1 ? 'running' : 'Failed')) } : undefined,
    );
    const clock = fakeClock();
    const out = { ...io(kubectl), clock };
    expect(deployCommand(copy, { env: 'production', yes: true }, out)).toBe(false);
    expect(calls.filter((c) => c.startsWith('get job '))).toEqual(['get job control-plane-migration -n pulse-production -o json', 'get job control-plane-migration -n pulse-production -o json']);
    expect(clock.at).toBe(10_000);
    expect(calls.filter((c) => c.startsWith('rollout'))).toEqual([]);
    expect(calls.filter((c) => c.startsWith('apply'))).toHaveLength(2);
    expect(out.lines).toContain(
      'FAILED: job control-plane-migration failed (BackoffLimitExceeded: Job has reached the specified backoff limit); the services were NOT updated',
    );
    expect(out.lines).toContain('see: kubectl -n pulse-production logs job/control-plane-migration -c migrate');
  });

  it("waits for a migration as long as the rendered Job's activeDeadlineSeconds allows, then stops before the services", () => {
    const copy = copyOfDeploy();
    const manifest = path.join(copy.k8sRoot, 'base/migrations/tenant-migration.job.yaml');
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('activeDeadlineSeconds: 3600', 'activeDeadlineSeconds: 5400'));
    const clock = fakeClock();
    const tenantPolls: number[] = [];
    const { calls, kubectl } = fakeKubectl((args) => {
      if (args[0] !== 'get' || args[1] !== 'job' || args[2] !== 'tenant-migration') return undefined;
      tenantPolls.push(clock.at);
      return { stdout: JSON.stringify(job('tenant-migration', 'running')) };
    });
    const out = { ...io(kubectl), clock };
    expect(deployCommand(copy, { env: 'production', yes: true }, out)).toBe(false);
    const waited = ((tenantPolls.at(-1) ?? 0) - (tenantPolls[0] ?? 0)) / 1000;
    expect(waited).toBeGreaterThanOrEqual(5400);
    expect(waited).toBeLessThanOrEqual(5400 + 120 + 10);
    expect(out.lines).toContain('FAILED: job tenant-migration did not finish within its deadline (5400s); the services were NOT updated');
    expect(calls.filter((c) => c.startsWith('rollout'))).toEqual([]);
    expect(calls.filter((c) => c.startsWith('apply'))).toHaveLength(3);
  });

  it('refuses to replace a migration Job that a previous deploy left running, and changes nothing', () => {
    const copy = copyOfDeploy();
    const previousRuns = { kind: 'List', items: [job('control-plane-migration', 'Complete'), job('tenant-migration', 'running')] };
    const { calls, kubectl } = fakeKubectl((args) => (args[0] === 'get' && args[1] === 'jobs' ? { stdout: JSON.stringify(previousRuns) } : undefined));
    const out = io(kubectl);
    expect(deployCommand(copy, { env: 'production', tag: '2.0.0', yes: true }, out)).toBe(false);
    expect(calls).toEqual(['get jobs control-plane-migration tenant-migration -n pulse-production -o json --ignore-not-found']);
    expect(out.lines).toContain('FAILED: job tenant-migration from a previous deploy is still running (started 2026-11-27T10:00:00Z); nothing was changed');
    expect(out.lines.some((line) => line.includes('kubectl -n pulse-production delete job tenant-migration'))).toBe(true);
    expect(Object.values(readReleaseTags(copy.release('production')))).toEqual(['0.1.0', '0.1.0', '0.1.0', '0.1.0', '0.1.0']);
  });

  it('refuses a migration Job without a deadline (the deploy would not know how long to wait)', () => {
    const copy = copyOfDeploy();
    const manifest = path.join(copy.k8sRoot, 'base/migrations/tenant-migration.job.yaml');
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace(/^ {2}activeDeadlineSeconds: 3600\n/m, ''));
    const { calls, kubectl } = fakeKubectl();
    const out = io(kubectl);
    expect(deployCommand(copy, { env: 'production', yes: true }, out)).toBe(false);
    expect(calls).toEqual([]);
    expect(out.lines).toContain('  - Job tenant-migration has no positive spec.activeDeadlineSeconds (the deploy waits that long for it)');
  });

  it('prints the one-command rollback when a rollout fails', () => {
    const copy = copyOfDeploy();
    const { kubectl } = fakeKubectl((args) => (args[0] === 'rollout' ? { status: 1, stderr: 'deadline exceeded' } : {}));
    const out = io(kubectl);
    expect(deployCommand(copy, { env: 'onboarding', tag: '2.0.1', yes: true }, out)).toBe(false);
    expect(out.lines).toContain('roll back with: npm run deploy -- --env onboarding --tag 0.1.0 --yes');
  });

  it('refuses to apply a lane that breaks a policy', () => {
    const copy = copyOfDeploy();
    const deployment = path.join(copy.k8sRoot, 'base/metrics/deployment.yaml');
    writeFileSync(deployment, readFileSync(deployment, 'utf8').replace('readOnlyRootFilesystem: true', 'readOnlyRootFilesystem: false'));
    const { calls, kubectl } = fakeKubectl();
    const out = io(kubectl);
    expect(deployCommand(copy, { env: 'production', yes: true }, out)).toBe(false);
    expect(calls).toEqual([]);
    expect(out.lines).toContain('  - Deployment/metrics (pulse-production): container metrics: root filesystem is writable (readOnlyRootFilesystem is not true)');
  });

  it('refuses :latest', () => {
    expect(() => deployCommand(copyOfDeploy(), { env: 'production', tag: 'latest', yes: false }, io(fakeKubectl().kubectl))).toThrow('refusing :latest');
  });
});
