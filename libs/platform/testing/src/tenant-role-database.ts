import { randomBytes } from 'node:crypto';
import { escapeIdentifier, escapeLiteral } from 'pg';
import { databaseUrl, dropDatabaseOnServer, withClient } from './test-database';

export interface TenantRoleDatabase {
  /** The database's name, which is also its login role's. */
  name: string;
  /** The tenant role's URL to its database (as the services connect). */
  url: string;
  password: string;
  host: string;
  port: number;
}

/**
 * A database the way the tenant registry provisions one: its own login role owning the database and its
 * public schema, PUBLIC's access revoked. Empty: apply the tenant schema as the role (migrateTenantDatabase).
 */
export async function createTenantRoleDatabase(adminUrl: string, name: string): Promise<TenantRoleDatabase> {
  const password = randomBytes(18).toString('base64url');
  await withClient(adminUrl, async (client) => {
    await client.query(`CREATE ROLE ${escapeIdentifier(name)} LOGIN PASSWORD ${escapeLiteral(password)}`);
    await client.query(`CREATE DATABASE ${escapeIdentifier(name)} OWNER ${escapeIdentifier(name)}`);
    await client.query(`REVOKE ALL ON DATABASE ${escapeIdentifier(name)} FROM PUBLIC`);
  });
  await withClient(databaseUrl(adminUrl, name), (client) => client.query(`ALTER SCHEMA public OWNER TO ${escapeIdentifier(name)}`));
  const server = new URL(adminUrl);
  const url = Object.assign(new URL(adminUrl), { username: name, password, pathname: `/${name}` }).toString();
  return { name, url, password, host: server.hostname, port: Number(server.port || 5432) };
}

/** Drops databases made by createTenantRoleDatabase and their roles (sessions still open are ended). */
export async function dropTenantRoleDatabases(adminUrl: string, names: readonly string[]): Promise<void> {
  await withClient(adminUrl, async (client) => {
    for (const name of names) {
      await dropDatabaseOnServer(client, name);
      await client.query(`DROP ROLE IF EXISTS ${escapeIdentifier(name)}`);
    }
  });
}

export interface TestTenantRegistration {
  tenantId: string;
  slug: string;
  database: TenantRoleDatabase;
  /** The database password sealed with the services' secrets key (SecretBox.encrypt). */
  passwordEncrypted: string;
  status?: string;
  hostnames?: readonly string[];
  settings?: Record<string, unknown>;
}

/** Registers a tenant in a control plane (the tenant registry's tables) the way the registry does: tenant, hostnames, database. */
export async function registerTestTenant(controlPlaneUrl: string, tenant: TestTenantRegistration): Promise<void> {
  await withClient(controlPlaneUrl, async (client) => {
    await client.query(
      `INSERT INTO tenants (id, slug, name, status, plan, hostnames, settings, updated_at) VALUES ($1, $2, $3, $4, 'standard', $5, $6, now())`,
      [tenant.tenantId, tenant.slug, `Tenant ${tenant.slug}`, tenant.status ?? 'active', tenant.hostnames ?? [], JSON.stringify(tenant.settings ?? {})],
    );
    for (const hostname of tenant.hostnames ?? []) await client.query('INSERT INTO tenant_hostnames (hostname, tenant_id) VALUES ($1, $2)', [hostname, tenant.tenantId]);
    await client.query(
      `INSERT INTO tenant_databases (tenant_id, host, port, database_name, role_name, password_encrypted, updated_at) VALUES ($1, $2, $3, $4, $4, $5, now())`,
      [tenant.tenantId, tenant.database.host, tenant.database.port, tenant.database.name, tenant.passwordEncrypted],
    );
  });
}
