import type { SecretBox } from '@pulse/crypto';
import type { TenantDatabase } from '../generated/prisma/client';

/** The tenant role's own connection URL to its own database (nothing else can be reached with it). */
export function tenantConnectionString(database: TenantDatabase, box: SecretBox): string {
  const url = new URL('postgresql://localhost');
  url.hostname = database.host;
  url.port = String(database.port);
  url.username = database.roleName;
  url.password = box.decrypt(database.passwordEncrypted);
  url.pathname = `/${database.databaseName}`;
  return url.toString();
}
