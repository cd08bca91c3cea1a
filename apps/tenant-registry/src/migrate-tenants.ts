import { ConfigValidationError, loadConfig } from '@pulse/config';
import { SecretBox } from '@pulse/crypto';
import { migrateTenantsConfigSchema } from './config/migrate-tenants.config';
import { migrateAllTenants } from './migration/migrate-all-tenants';

/**
 * `npm run migrate:tenants` and the tenant-migration Job: migrate every tenant database, print one line
 * per tenant, exit 1 if any failed (the others are migrated all the same).
 */
async function main(): Promise<number> {
  const config = loadConfig('migrate-tenants', migrateTenantsConfigSchema);
  const reports = await migrateAllTenants(config.controlPlane.url.reveal(), SecretBox.fromBase64(config.secretsKey.reveal()), config.concurrency);
  for (const report of reports) {
    const applied = report.applied.length > 0 ? `applied ${report.applied.join(', ')}` : 'up to date';
    const line = report.status === 'ok' ? `ok      ${report.slug}: ${applied} (schema ${report.schemaVersion})` : `FAILED  ${report.slug}: ${report.error}`;
    process.stdout.write(`${line}\n`);
  }
  const failed = reports.filter((report) => report.status !== 'ok').length;
  process.stdout.write(`${reports.length} tenant databases, ${reports.length - failed} migrated or up to date, ${failed} failed\n`);
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof ConfigValidationError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
