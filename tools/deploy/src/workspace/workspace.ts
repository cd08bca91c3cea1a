import { existsSync } from 'node:fs';
import path from 'node:path';

/** The repository root: the nearest folder above `from` holding nx.json and deploy/ (works from src and from dist). */
export function findWorkspaceRoot(from: string = __dirname): string {
  let dir = path.resolve(from);
  for (;;) {
    if (existsSync(path.join(dir, 'nx.json')) && existsSync(path.join(dir, 'deploy'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no workspace root (nx.json + deploy/) above ${from}`);
    dir = parent;
  }
}

/** Where deploy/ keeps each kind of file, relative to a deploy/k8s tree (the real one or a copy in tests). */
export function deployPaths(workspaceRoot: string, k8sRoot: string = path.join(workspaceRoot, 'deploy', 'k8s')) {
  return {
    workspaceRoot,
    k8sRoot,
    dockerfile: path.join(workspaceRoot, 'deploy', 'Dockerfile'),
    pubsubConsumers: path.join(workspaceRoot, 'deploy', 'pubsub-consumers.json'),
    settingsEnv: path.join(k8sRoot, 'components', 'gcp-settings', 'settings.env'),
    apiWorkloadBase: path.join(k8sRoot, 'base', 'api', 'workload'),
    overlay: (env: string) => path.join(k8sRoot, 'overlays', env),
    migrations: (env: string) => path.join(k8sRoot, 'overlays', env, 'migrations'),
    release: (env: string) => path.join(k8sRoot, 'overlays', env, 'release', 'kustomization.yaml'),
    generatedLane: (env: string) => path.join(k8sRoot, 'generated', env),
    generatedCertificates: path.join(k8sRoot, 'generated', 'certificates'),
    infra: path.join(k8sRoot, 'infra'),
    infraGenerated: path.join(k8sRoot, 'infra', 'generated'),
  };
}

export type DeployPaths = ReturnType<typeof deployPaths>;
