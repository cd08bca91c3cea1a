import type { SecretBox } from '@pulse/crypto';
import { tenantDatabaseUrl } from '@pulse/tenancy';
import type { TenantDatabase } from '../generated/prisma/client';

/** The tenant role's own connection URL to its own database (nothing else can be reached with it). */
export function tenantConnectionString(database: TenantDatabase, box: SecretBox): string {
  return tenantDatabaseUrl(database, box);
}
