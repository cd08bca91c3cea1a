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

/** A kubectl that answers from a script and records every call (no cluster here). */
function fakeKubectl(answer: (args: string[]) => Partial<KubectlResult> = () => ({})) {
  const calls: string[] = [];
  const kubectl: Kubectl = (args, input) => {
    const objects = input ? [...input.matchAll(/^kind: (\w+)\n(?:.*\n)*?\s+name: (\S+)/gm)].length : 0;
    calls.push(args.join(' ') + (input ? ` <${objects} objects>` : ''));
    return { status: 0, stdout: '', stderr: '', ...answer(args) };
  };
  return { calls, kubectl };
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
    const { calls, kubectl } = fakeKubectl((args) =>
      args[0] === 'get' ? { stdout: 'HTTPRoute/tenant-moved-away\nDeployment/api-moved-away\n' } : {},
    );
    const out = io(kubectl);
    expect(deployCommand(copy, { env: 'production', yes: true }, out)).toBe(true);
    const ns = '-n pulse-production';
    expect(calls.map((c) => c.replace(/<\d+ objects>/, '<objects>'))).toEqual([
      'apply --server-side --field-manager=pulse-deploy --force-conflicts -f - <objects>',
      `delete job control-plane-migration ${ns} --ignore-not-found --wait=true`,
      'apply --server-side --field-manager=pulse-deploy --force-conflicts -f - <objects>',
      `wait --for=condition=complete job/control-plane-migration ${ns} --timeout=1800s`,
      `delete job tenant-migration ${ns} --ignore-not-found --wait=true`,
      'apply --server-side --field-manager=pulse-deploy --force-conflicts -f - <objects>',
      `wait --for=condition=complete job/tenant-migration ${ns} --timeout=1800s`,
      'apply --server-side --field-manager=pulse-deploy --force-conflicts -f - <objects>',
      expect.stringMatching(/^get httproutes.gateway.networking.k8s.io,deployments.apps,.* -l pulse.dev\/tenant/),
      `delete httproute tenant-moved-away ${ns} --ignore-not-found`,
      `delete deployment api-moved-away ${ns} --ignore-not-found`,
      `rollout status deployment/api ${ns} --timeout=600s`,
      `rollout status deployment/ingestion ${ns} --timeout=600s`,
      `rollout status deployment/metrics ${ns} --timeout=600s`,
      `rollout status deployment/tenant-registry ${ns} --timeout=600s`,
    ]);
  });

  it('stops before touching the services when a migration fails', () => {
    const copy = copyOfDeploy();
    const { calls, kubectl } = fakeKubectl((args) => (args[0] === 'wait' ? { status: 1, stderr: 'timed out waiting for the condition' } : {}));
    const out = io(kubectl);
    expect(deployCommand(copy, { env: 'production', yes: true }, out)).toBe(false);
    expect(calls.filter((c) => c.startsWith('rollout'))).toEqual([]);
    expect(calls.filter((c) => c.startsWith('apply'))).toHaveLength(2);
    expect(out.lines).toContain('FAILED: job control-plane-migration did not complete; the services were NOT updated');
    expect(out.lines).toContain('see: kubectl -n pulse-production logs job/control-plane-migration -c migrate');
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
