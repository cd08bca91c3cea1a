import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { kubectlAvailable } from '../manifests/kustomize';
import { deployPaths, findWorkspaceRoot, type DeployPaths } from '../workspace/workspace';

export const workspaceRoot = findWorkspaceRoot(__dirname);
export const paths = deployPaths(workspaceRoot);

/** kubectl renders kustomize offline; without it the rendering tests are skipped, loudly. */
export const hasKubectl = kubectlAvailable();
if (!hasKubectl) {
  const banner = '#'.repeat(100);
  process.stderr.write(
    `\n${banner}\n# kubectl is NOT on PATH: the kustomize rendering tests of deploy/ are SKIPPED.\n` +
      `# Install it (e.g. apt-get install kubectl, or the Google Cloud SDK) to check the overlays.\n${banner}\n\n`,
  );
}
export const describeWithKubectl = hasKubectl ? describe : describe.skip;

/** A scratch copy of deploy/ (and an nx.json), so that tests can write generated files and edit releases. */
export function copyOfDeploy(): DeployPaths {
  const root = mkdtempSync(path.join(tmpdir(), 'pulse-deploy-'));
  cpSync(path.join(workspaceRoot, 'deploy'), path.join(root, 'deploy'), { recursive: true });
  writeFileSync(path.join(root, 'nx.json'), '{}\n');
  return deployPaths(root);
}

export function listApps(): string[] {
  return readdirSync(path.join(workspaceRoot, 'apps'), { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(path.join(workspaceRoot, 'apps', e.name, 'src', 'main.ts')))
    .map((e) => e.name)
    .sort();
}

/** dist/apps/<app>/main.js, built by Nx before this project's int-test (dependsOn); built here when missing. */
export function builtService(app: string): string {
  const main = path.join(workspaceRoot, 'dist', 'apps', app, 'main.js');
  if (!existsSync(main)) {
    const build = spawnSync(process.execPath, ['tools/build/build.mjs', `apps/${app}`], { cwd: workspaceRoot, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`build of ${app} failed:\n${build.stderr}`);
  }
  return main;
}

/** Starts a built service with exactly this environment (nothing inherited) and returns how it ended. */
export function runBuiltService(app: string, environment: Record<string, string>, cwd = workspaceRoot) {
  const result = spawnSync(process.execPath, [builtService(app)], {
    cwd,
    env: { PATH: process.env['PATH'] ?? '', METADATA_SERVER_DETECTION: 'none', ...environment },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: result.status, signal: result.signal, stderr: result.stderr, stdout: result.stdout };
}

/** The variables a config error names: `  - VAR: message` lines of "Invalid environment for <app>:". */
export function configProblems(stderr: string): Map<string, string> {
  return new Map([...stderr.matchAll(/^ {2}- ([A-Za-z0-9_.()]+): (.*)$/gm)].map((m) => [m[1] as string, m[2] as string]));
}

/** runBuiltService without blocking, so that several services can be asked at once. */
export function runBuiltServiceAsync(
  app: string,
  environment: Record<string, string>,
  entry = 'main.js',
): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const file = path.join(path.dirname(builtService(app)), entry);
    const child = spawn(process.execPath, [file], {
      cwd: workspaceRoot,
      env: { PATH: process.env['PATH'] ?? '', METADATA_SERVER_DETECTION: 'none', ...environment },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stderr });
    });
  });
}

/** Runs tasks with at most `limit` at a time (the machine has two cores). */
export async function inBatches<T>(tasks: Array<() => Promise<T>>, limit = 2): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < tasks.length; i += limit) results.push(...(await Promise.all(tasks.slice(i, i + limit).map((t) => t()))));
  return results;
}
