#!/usr/bin/env node
// Compiles one deployable project (an app or a runnable tool) together with the workspace libs into
// dist/<projectRoot>/, with @pulse/* imports rewritten to relative paths, so that `node
// dist/<projectRoot>/main.js` runs it with nothing but node_modules beside it.
//
// swc rather than tsc or esbuild: it emits the decorator metadata Nest's dependency injection needs
// (esbuild cannot) and transpiles the whole workspace in about a second (type-checking is the
// separate `typecheck` target).
//
// Usage: node tools/build/build.mjs <projectRoot> [entry ...]   (entries default to src/main.ts; each
// src/<name>.ts entry gets a dist/<projectRoot>/<name>.js launcher)
import { transformFile } from '@swc/core';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const workspaceRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const [projectRoot, ...requestedEntries] = process.argv.slice(2);
const entries = requestedEntries.length > 0 ? requestedEntries : ['src/main.ts'];
if (!projectRoot) {
  console.error('usage: build.mjs <projectRoot> [entry]');
  process.exit(2);
}

const tsconfig = JSON.parse(
  await (await import('node:fs/promises')).readFile(path.join(workspaceRoot, 'tsconfig.base.json'), 'utf8'),
);
const outDir = path.join(workspaceRoot, 'dist', projectRoot);

async function* typeScriptSources(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* typeScriptSources(full);
    else if (/\.ts$/.test(entry.name) && !/\.(spec|int-spec|int-kit|d)\.ts$/.test(entry.name)) yield full;
  }
}

async function compile(sourceDir) {
  let count = 0;
  for await (const file of typeScriptSources(sourceDir)) {
    const relative = path.relative(workspaceRoot, file);
    const target = path.join(outDir, relative.replace(/\.ts$/, '.js'));
    const { code, map } = await transformFile(file, {
      swcrc: false,
      sourceMaps: true,
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2022',
        keepClassNames: true,
        baseUrl: workspaceRoot,
        paths: tsconfig.compilerOptions.paths,
      },
      module: { type: 'commonjs' },
    });
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, `${code}\n//# sourceMappingURL=${path.basename(target)}.map\n`);
    await writeFile(`${target}.map`, map ?? '');
    count += 1;
  }
  return count;
}

await rm(outDir, { recursive: true, force: true });
const compiled = (await compile(path.join(workspaceRoot, projectRoot, 'src'))) + (await compile(path.join(workspaceRoot, 'libs')));
for (const entry of entries) {
  const entryModule = `./${path.join(projectRoot, entry).replace(/\.ts$/, '.js')}`;
  const launcher = `${path.basename(entry, '.ts')}.js`;
  await writeFile(path.join(outDir, launcher), `'use strict';\nrequire(${JSON.stringify(entryModule)});\n`);
}
console.log(`built ${projectRoot}: ${compiled} files -> ${entries.map((e) => `${path.relative(workspaceRoot, outDir)}/${path.basename(e, '.ts')}.js`).join(', ')}`);
