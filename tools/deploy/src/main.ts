// The operator's commands (npm scripts in the root package.json; see docs/deploy.md):
//   deploy:render  [--env onboarding|production] [--tenants-file FILE] [--registry-url URL] [--check]
//   deploy:infra   [--check]
//   deploy         --env onboarding|production|local [--tag TAG] [--yes]
import { parseArgs } from 'node:util';
import { deployCommand, infraCommand, renderCommand, UsageError, type CommandIo } from './cli/commands';
import { systemKubectl } from './deploy/kubectl';
import { TenantRoutingError } from './tenants/tenant-routing';
import { deployPaths, findWorkspaceRoot } from './workspace/workspace';

const USAGE = `usage:
  deploy-tools render [--env onboarding|production] [--tenants-file FILE] [--registry-url URL] [--check]
  deploy-tools infra [--check]
  deploy-tools deploy --env onboarding|production|local [--tag TAG] [--yes]`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      env: { type: 'string' },
      'tenants-file': { type: 'string' },
      'registry-url': { type: 'string' },
      tag: { type: 'string' },
      check: { type: 'boolean', default: false },
      yes: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const paths = deployPaths(findWorkspaceRoot(__dirname));
  const io: CommandIo = { log: (line) => console.log(line), environment: process.env, kubectl: systemKubectl() };
  switch (command) {
    case 'render':
      return (await renderCommand(paths, { env: values.env, tenantsFile: values['tenants-file'], registryUrl: values['registry-url'], check: values.check }, io)) ? 0 : 1;
    case 'infra':
      return infraCommand(paths, { check: values.check }, io) ? 0 : 1;
    case 'deploy':
      if (!values.env) throw new UsageError('--env is required');
      return deployCommand(paths, { env: values.env, tag: values.tag, yes: values.yes }, io) ? 0 : 1;
    default:
      throw new UsageError(`unknown command ${command ?? '(none)'}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) console.error(`${error.message}\n${USAGE}`);
    else if (error instanceof TenantRoutingError) console.error(error.message);
    else console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
