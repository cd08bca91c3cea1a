import { execFileSync } from 'node:child_process';

export const MARIADB_SKIP_REASON =
  'MariaDB/MySQL tests skipped: MARIADB_URL is not set and nothing answers on 127.0.0.1:3306. ' +
  'Set MARIADB_URL=mysql://root@127.0.0.1:3306 (.ci/run does) to run them against a real server.';

/**
 * The server for MariaDB/MySQL tests (like testPostgresUrlOrThrow for PostgreSQL): MARIADB_URL, else the machine's default port when something listens
 * there (checked once, synchronously, so test suites can decide to skip while being defined).
 */
export function mariadbTestUrl(environment: NodeJS.ProcessEnv = process.env): string | null {
  if (environment['MARIADB_URL']) return environment['MARIADB_URL'];
  const probe = `require('net').connect(3306,'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))`;
  try {
    execFileSync(process.execPath, ['-e', probe], { timeout: 2000, stdio: 'ignore' });
    return 'mysql://root@127.0.0.1:3306';
  } catch {
    return null;
  }
}
