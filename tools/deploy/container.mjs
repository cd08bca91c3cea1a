#!/usr/bin/env node
// Prints (or with --run, runs) the `docker build` of one Pulse image from deploy/Dockerfile.
//
//   node tools/deploy/container.mjs <app|migrator> [tag] [--registry REG] [--run] [--push]
//
// <app> is a folder of apps/ (api, tenant-registry, ingestion, metrics); `migrator` is the image of the
// migration Jobs. The tag defaults to the short git commit; the registry to the project's Artifact
// Registry from deploy/k8s/components/gcp-settings/settings.env. Tag `local` builds pulse/<app>:local for
// the local overlay (kind/minikube). Dependency-free on purpose: it runs before anything is built.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const workspaceRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function listApps(root = workspaceRoot) {
  return readdirSync(path.join(root, 'apps'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(root, 'apps', entry.name, 'src', 'main.ts')))
    .map((entry) => entry.name)
    .sort();
}

function readSettings(root) {
  const text = readFileSync(path.join(root, 'deploy/k8s/components/gcp-settings/settings.env'), 'utf8');
  return Object.fromEntries(
    text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

/** The docker build arguments for one image. */
export function containerBuild({ image, tag, registry, root = workspaceRoot }) {
  const apps = listApps(root);
  if (image !== 'migrator' && !apps.includes(image)) {
    throw new Error(`unknown image "${image}": one of ${[...apps, 'migrator'].join(', ')}`);
  }
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag) || tag === 'latest') throw new Error(`"${tag}" is not a pinned tag`);
  const settings = readSettings(root);
  const repository = registry ?? (tag === 'local' ? 'pulse' : `${settings.REGION}-docker.pkg.dev/${settings.PROJECT_ID}/pulse`);
  const reference = `${repository}/${image}:${tag}`;
  const args = ['build', '--file', 'deploy/Dockerfile', '--tag', reference, '--label', `org.opencontainers.image.version=${tag}`];
  if (image === 'migrator') args.push('--target', 'migrator');
  else args.push('--target', 'service', '--build-arg', `APP=${image}`);
  args.push('.');
  return { reference, args };
}

function defaultTag() {
  const git = spawnSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: workspaceRoot, encoding: 'utf8' });
  if (git.status !== 0) throw new Error('no tag given and no git commit to name the image after');
  return git.stdout.trim();
}

function main(argv) {
  const flags = new Set(argv.filter((a) => a === '--run' || a === '--push'));
  const registryIndex = argv.indexOf('--registry');
  const registry = registryIndex >= 0 ? argv[registryIndex + 1] : undefined;
  const positional = argv.filter((a, i) => !a.startsWith('--') && (registryIndex < 0 || i !== registryIndex + 1));
  const [image, tag = defaultTag()] = positional;
  if (!image) {
    console.error(`usage: node tools/deploy/container.mjs <${[...listApps(), 'migrator'].join('|')}> [tag] [--registry REG] [--run] [--push]`);
    return 2;
  }
  const { reference, args } = containerBuild({ image, tag, registry });
  const quoted = ['docker', ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a}'`)).join(' ');
  console.log(quoted);
  if (flags.has('--push')) console.log(`docker push ${reference}`);
  if (!flags.has('--run')) return 0;
  const build = spawnSync('docker', args, { cwd: workspaceRoot, stdio: 'inherit', env: { ...process.env, DOCKER_BUILDKIT: '1' } });
  if (build.status !== 0) return build.status ?? 1;
  if (flags.has('--push')) return spawnSync('docker', ['push', reference], { stdio: 'inherit' }).status ?? 1;
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exit(main(process.argv.slice(2)));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}
