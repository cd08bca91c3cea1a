import { sourceConnectionSchema, type SourceConnection } from '@pulse/contracts';
import { NotFoundError } from '@pulse/errors';
import type { TenantDatabaseClient } from '@pulse/tenancy';

/** The stored connection and sealed credentials of a source (for the test endpoint). */
export async function readSourceConnection(db: TenantDatabaseClient, id: string): Promise<{ connection: SourceConnection; credentials: string | null }> {
  const { rows } = await db.query<{ config: unknown; credentials: string | null }>('SELECT config, credentials FROM sources WHERE id = $1', [id]);
  const row = rows[0];
  if (!row) throw new NotFoundError('source.not_found', `No source with id "${id}".`);
  return { connection: sourceConnectionSchema.parse(row.config), credentials: row.credentials };
}
