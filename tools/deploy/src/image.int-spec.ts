import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { dockerfileProblems, parseDockerfile } from './container/dockerfile-rules';
import { builtService, listApps, paths, workspaceRoot } from './testing/deploy.int-kit';

const dockerfile = readFileSync(paths.dockerfile, 'utf8');
const packageJson = JSON.parse(readFileSync(path.join(workspaceRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

/**
 * Package names a bundle loads, following its relative requires from main.js (the build compiles every lib
 * into each bundle; only what the entry reaches is loaded). Dynamic imports of bare specifiers count too.
 */
function bareImportsFrom(entry: string): Set<string> {
  const found = new Set<string>();
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const match of readFileSync(file, 'utf8').matchAll(/(?:require|import)\(\s*["']([^"']+)["']\s*\)/g)) {
      const specifier = match[1] as string;
      if (specifier.startsWith('.')) {
        const base = path.resolve(path.dirname(file), specifier);
        const candidates = [base, `${base}.js`, path.join(base, 'index.js')];
        const target = candidates.find((c) => existsSync(c) && statSync(c).isFile());
        if (!target) throw new Error(`${file}: cannot resolve ${specifier}`);
        queue.push(target);
      } else {
        const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : (specifier.split('/')[0] as string);
        found.add(name.replace(/^node:/, ''));
      }
    }
  }
  return found;
}

describe('deploy/Dockerfile', () => {
  it('passes the hadolint-style rules (pinned base, non-root numeric USER, npm ci --omit=dev, exec-form CMD, no ADD)', () => {
    expect(dockerfileProblems(dockerfile)).toEqual([]);
  });

  it("builds an app with its own Nx build target (tools/build/build.mjs), after prisma generate, into the path the Deployments run", () => {
    const runs = parseDockerfile(dockerfile).filter((i) => i.keyword === 'RUN').map((i) => i.args);
    const generate = runs.findIndex((r) => r.includes('prisma-generate'));
    const build = runs.findIndex((r) => r.includes('npx nx run "${APP}:build"'));
    expect(generate).toBeGreaterThanOrEqual(0);
    expect(build).toBeGreaterThan(generate);
    expect(dockerfile).toContain('COPY --from=build /app/dist/apps/${APP} ./dist/apps/${APP}');
    // Tenant provisioning and migrate-tenants.js read the tenant migrations at run time.
    expect(dockerfile).toContain('COPY --from=workspace /app/libs/tenancy/prisma/migrations ./libs/tenancy/prisma/migrations');
    for (const app of listApps()) {
      expect(readFileSync(path.join(paths.k8sRoot, 'base', app === 'api' ? 'api/workload' : app, 'deployment.yaml'), 'utf8')).toContain(
        `command: ["node", "dist/apps/${app}/main.js"]`,
      );
    }
  });

  it('has a migrator target that runs the control-plane migrations with the Prisma CLI', () => {
    expect(dockerfile).toMatch(/^FROM workspace AS migrator$/m);
    expect(dockerfile).toContain('"prisma", "migrate", "deploy", "--config", "apps/tenant-registry/prisma.config.ts"');
  });

  it('keeps dependencies, build output and secrets out of the build context', () => {
    const ignored = readFileSync(`${paths.dockerfile}.dockerignore`, 'utf8').split('\n');
    for (const entry of ['.git', '**/node_modules', 'dist', '.pulse', '**/generated/prisma']) expect(ignored).toContain(entry);
  });
});

describe('the service bundles the image copies', () => {
  it.each(listApps())('%s needs nothing but production dependencies (and node built-ins) at run time', (app) => {
    const allowed = new Set([...Object.keys(packageJson.dependencies), ...builtinModules]);
    const loaded = bareImportsFrom(builtService(app));
    expect(loaded).toContain('@nestjs/core');
    const notProduction = [...loaded].filter((name) => !allowed.has(name)).sort();
    expect(notProduction).toEqual([]);
  });
});

describe('tools/deploy/container.mjs', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, ['tools/deploy/container.mjs', ...args], { cwd: workspaceRoot, encoding: 'utf8' });

  it('prints the docker build of an app image, tagged for the project registry', () => {
    const result = run('api', '1.4.0');
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(
      'docker build --file deploy/Dockerfile --tag southamerica-east1-docker.pkg.dev/pulse-example/pulse/api:1.4.0 --label org.opencontainers.image.version=1.4.0 --target service --build-arg APP=api .',
    );
  });

  it('builds the migrator target, and local images for kind', () => {
    expect(run('migrator', 'local').stdout.trim()).toBe(
      'docker build --file deploy/Dockerfile --tag pulse/migrator:local --label org.opencontainers.image.version=local --target migrator .',
    );
  });

  it('refuses unknown apps and unpinned tags', () => {
    expect(run('nope', '1.0.0')).toMatchObject({ status: 1, stderr: expect.stringContaining('unknown image "nope"') });
    expect(run('api', 'latest')).toMatchObject({ status: 1, stderr: expect.stringContaining('not a pinned tag') });
  });
});
