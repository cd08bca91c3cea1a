// Lint: TypeScript rules plus Nx module boundaries, which encode the architecture (DESIGN.md "Shape"):
// apps never import apps; libs import only libs; contracts import nothing but zod; tools are leaves.
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default [
  { ignores: ['**/dist/**', '**/node_modules/**', '**/generated/**', '**/.nx/**', 'tmp/**', '.pulse/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { plugins: { '@nx': nx } },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib'] },
            {
              sourceTag: 'scope:contracts',
              onlyDependOnLibsWithTags: ['scope:contracts'],
              allowedExternalImports: ['zod'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Read configuration through @pulse/config (loadConfig); only the config lib reads process.env.',
        },
      ],
    },
  },
  {
    // Integration tests may use the project's tools (the Pub/Sub emulator) as real test peers; production
    // code may not. `*.int-kit.ts` files hold helpers shared by a project's integration tests.
    files: ['**/*.int-spec.ts', '**/*.int-kit.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib', 'type:tool'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib', 'type:tool'] },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib', 'type:tool'] },
          ],
        },
      ],
    },
  },
  {
    // The config lib is the one reader of the environment; test setup and tooling prepare environments.
    files: ['libs/platform/config/src/**/*.ts', '**/*.spec.ts', '**/*.int-spec.ts', '**/*.int-kit.ts', 'tools/**/*.ts', 'libs/platform/testing/**/*.ts', '**/prisma.config.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['**/*.cjs', '**/*.mjs', '**/*.js'],
    languageOptions: { globals: globals.node },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
];
