// Shared Jest setup: @swc/jest transpiles TypeScript (type-checking runs once, in the typecheck target),
// and the tsconfig path aliases resolve @pulse/* to each lib's single entry point.
const path = require('node:path');
const { compilerOptions } = require('./tsconfig.base.json');

const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [
    `^${alias}$`,
    path.join(__dirname, target),
  ]),
);

const swcTransform = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
  },
];

function baseConfig(projectDir) {
  return {
    displayName: path.relative(__dirname, projectDir),
    rootDir: projectDir,
    testEnvironment: 'node',
    transform: { '^.+\\.ts$': swcTransform },
    moduleFileExtensions: ['ts', 'js', 'json'],
    moduleNameMapper,
    setupFiles: [path.join(__dirname, 'tools/testing/google-cloud-offline.cjs')],
  };
}

/** Unit tests: `*.spec.ts`, no I/O. */
exports.unit = (projectDir) => ({
  ...baseConfig(projectDir),
  testMatch: ['<rootDir>/**/*.spec.ts'],
});

/** Integration tests: `*.int-spec.ts`, real PostgreSQL (embedded unless DATABASE_URL is set). */
exports.integration = (projectDir) => ({
  ...baseConfig(projectDir),
  testMatch: ['<rootDir>/**/*.int-spec.ts'],
  globalSetup: path.join(__dirname, 'tools/testing/postgres-global-setup.cjs'),
  globalTeardown: path.join(__dirname, 'tools/testing/postgres-global-teardown.cjs'),
  testTimeout: 60_000,
});
