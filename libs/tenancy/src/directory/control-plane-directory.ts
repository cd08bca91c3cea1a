import type { SecretBox } from '@pulse/crypto';
import type { Pool } from 'pg';
import { createTenantContext } from '../context/tenant-context';
import type { TenantConnection, TenantDatabaseClient, TenantDatabasePool } from '../pool/tenant-database-pool';
import { TenancyError } from '../tenancy-errors';

/** A tenant database as the control plane records it (tenant_databases). */
export interface TenantDatabaseLocation {
  host: string;
  port: number;
  databaseName: string;
  roleName: string;
  passwordEncrypted: string;
}

/** The tenant role's URL to its own database: the only credentials that reach it. */
export function tenantDatabaseUrl(location: TenantDatabaseLocation, box: SecretBox): string {
  const url = new URL('postgresql://localhost');
  url.hostname = location.host;
  url.port = String(location.port);
  url.username = location.roleName;
  url.password = box.decrypt(location.passwordEncrypted);
  url.pathname = `/${location.databaseName}`;
  return url.toString();
}

interface TenantDatabaseRow {
  host: string;
  port: number;
  database_name: string;
  role_name: string;
  password_encrypted: string;
}

/**
 * Where a tenant's database is, read from the control plane: the `resolveConnection` services give
 * TenantDatabasePool. Only live tenants (onboarding, active) have one that may be used.
 */
export function controlPlaneConnectionResolver(controlPlane: Pool, box: SecretBox): (tenantId: string) => Promise<TenantConnection> {
  return async (tenantId) => {
    const { rows } = await controlPlane.query<TenantDatabaseRow>(
      `SELECT d.host, d.port, d.database_name, d.role_name, d.password_encrypted
         FROM tenant_databases d JOIN tenants t ON t.id = d.tenant_id
        WHERE d.tenant_id = $1 AND d.dropped_at IS NULL AND t.status IN ('onboarding', 'active')`,
      [tenantId],
    );
    const row = rows[0];
    if (!row) throw new TenancyError('forbidden', 'tenant_database_unavailable', `Tenant ${tenantId} has no database that may be used.`);
    const location = { host: row.host, port: row.port, databaseName: row.database_name, roleName: row.role_name, passwordEncrypted: row.password_encrypted };
    return { connectionString: tenantDatabaseUrl(location, box) };
  };
}

export interface LiveTenant {
  tenantId: string;
  slug: string;
}

/** Tenants whose database may be used (the same rule as controlPlaneConnectionResolver), for sweeps over all tenants. */
export async function listLiveTenants(controlPlane: Pool): Promise<LiveTenant[]> {
  const { rows } = await controlPlane.query<{ id: string; slug: string }>(
    `SELECT t.id, t.slug FROM tenants t JOIN tenant_databases d ON d.tenant_id = t.id
      WHERE d.dropped_at IS NULL AND t.status IN ('onboarding', 'active') ORDER BY t.slug`,
  );
  return rows.map((row) => ({ tenantId: row.id, slug: row.slug }));
}

/**
 * Every live tenant's database, one at a time: what a sweep over all tenants needs (e.g. the messaging
 * lib's TenantOutboxSweeper), with each connection lent by the tenant's own pool.
 */
export function liveTenantDatabases(controlPlane: Pool, tenants: TenantDatabasePool) {
  return {
    listTenants: () => listLiveTenants(controlPlane),
    withTenantConnection: <T>(tenant: LiveTenant, work: (client: TenantDatabaseClient) => Promise<T>) => tenants.withTenantClient(createTenantContext(tenant), work),
    tenantIdOf: (tenant: LiveTenant) => tenant.tenantId,
  };
}
