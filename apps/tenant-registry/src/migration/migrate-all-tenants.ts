import type { SecretBox } from '@pulse/crypto';
import { migrateTenantDatabases, tenantDatabaseUrl, type TenantMigrationReport } from '@pulse/tenancy';
import { Client } from 'pg';

interface TenantDatabaseRow {
  tenant_id: string;
  slug: string;
  host: string;
  port: number;
  database_name: string;
  role_name: string;
  password_encrypted: string;
}

/**
 * Applies pending tenant migrations to every live tenant database (bounded concurrency; one tenant's
 * failure does not stop the others) and records each tenant's schema version in the control plane.
 */
export async function migrateAllTenants(controlPlaneUrl: string, box: SecretBox, concurrency: number): Promise<Array<TenantMigrationReport & { slug: string }>> {
  const controlPlane = new Client({ connectionString: controlPlaneUrl, application_name: 'migrate-tenants' });
  await controlPlane.connect();
  try {
    const { rows } = await controlPlane.query<TenantDatabaseRow>(
      `SELECT d.tenant_id, t.slug, d.host, d.port, d.database_name, d.role_name, d.password_encrypted
         FROM tenant_databases d JOIN tenants t ON t.id = d.tenant_id
        WHERE d.dropped_at IS NULL AND t.status IN ('onboarding', 'active', 'suspended')
        ORDER BY t.slug`,
    );
    const slugs = new Map(rows.map((row) => [row.tenant_id, row.slug]));
    const targets = rows.map((row) => ({
      tenantId: row.tenant_id,
      connectionString: tenantDatabaseUrl(
        { host: row.host, port: row.port, databaseName: row.database_name, roleName: row.role_name, passwordEncrypted: row.password_encrypted },
        box,
      ),
    }));
    const reports = await migrateTenantDatabases(targets, { concurrency });
    for (const report of reports) {
      if (report.schemaVersion) {
        await controlPlane.query('UPDATE tenant_databases SET schema_version = $2, updated_at = now() WHERE tenant_id = $1', [report.tenantId, report.schemaVersion]);
      }
    }
    return reports.map((report) => ({ ...report, slug: slugs.get(report.tenantId) ?? report.tenantId }));
  } finally {
    await controlPlane.end();
  }
}
