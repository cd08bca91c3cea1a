import { spawnSync } from 'node:child_process';
import path from 'node:path';

// The boundaries of DESIGN.md "Shape", proven against the real lint configuration: each case is a file
// that could be added to the repo, linted as if it sat at that path.
const workspaceRoot = path.resolve(__dirname, '../..');

interface LintResult {
  messages: Array<{ ruleId: string | null; message: string }>;
}

// The ESLint CLI in a child process: its flat config is an ES module, which Jest's sandbox cannot load.
async function boundaryErrors(filePath: string, source: string): Promise<string[]> {
  const eslint = spawnSync(
    path.join(workspaceRoot, 'node_modules/.bin/eslint'),
    ['--stdin', '--stdin-filename', path.join(workspaceRoot, filePath), '--format', 'json'],
    { cwd: workspaceRoot, input: source, encoding: 'utf8' },
  );
  if (eslint.status === 2) throw new Error(`eslint could not run: ${eslint.stderr}`);
  const [result] = JSON.parse(eslint.stdout) as LintResult[];
  return (result?.messages ?? []).filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
}

describe('module boundaries', () => {
  it('refuses an import from one app into another', async () => {
    const errors = await boundaryErrors(
      'apps/ingestion/src/leak.ts',
      "import { AppModule } from '../../api/src/app.module';\nexport const leaked = AppModule;\n",
    );
    expect(errors).toEqual([expect.stringContaining('Projects cannot be imported by a relative or absolute path')]);
  });

  it('refuses contracts depending on anything but zod', async () => {
    expect(await boundaryErrors('libs/contracts/src/leak.ts', "import pino from 'pino';\nexport const x = pino;\n")).toEqual([
      'A project tagged with "scope:contracts" is not allowed to import "pino"',
    ]);
    expect(
      await boundaryErrors('libs/contracts/src/leak.ts', "import { Secret } from '@pulse/config';\nexport const x = Secret;\n"),
    ).toEqual(['A project tagged with "scope:contracts" can only depend on libs tagged with "scope:contracts"']);
    expect(await boundaryErrors('libs/contracts/src/ok.ts', "import { z } from 'zod';\nexport const x = z.string();\n")).toEqual([]);
  });

  it('lets apps use libs through their public entry point only', async () => {
    expect(
      await boundaryErrors('apps/api/src/ok.ts', "import { loadConfig } from '@pulse/config';\nexport const x = loadConfig;\n"),
    ).toEqual([]);
    expect(
      await boundaryErrors(
        'apps/api/src/deep.ts',
        "import { Secret } from '../../../libs/platform/config/src/secret';\nexport const x = Secret;\n",
      ),
    ).toEqual([expect.stringContaining('Projects cannot be imported by a relative or absolute path')]);
  });

  it('refuses a lib importing an app', async () => {
    expect(
      await boundaryErrors('libs/platform/errors/src/leak.ts', "import { AppModule } from '../../../../apps/api/src/app.module';\nexport const x = AppModule;\n"),
    ).toEqual([expect.stringContaining('Projects cannot be imported by a relative or absolute path')]);
  });
});
