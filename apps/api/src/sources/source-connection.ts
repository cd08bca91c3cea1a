import { readStoredConnection, type SourceConnection } from '@pulse/contracts';
import { DomainError, NotFoundError } from '@pulse/errors';
import type { TenantDatabaseClient } from '@pulse/tenancy';

/** The stored connection and sealed credentials of a source (for the test endpoint); 422 if the connection is no longer valid. */
export async function readSourceConnection(db: TenantDatabaseClient, id: string): Promise<{ connection: SourceConnection; credentials: string | null }> {
  const { rows } = await db.query<{ config: unknown; credentials: string | null }>('SELECT config, credentials FROM sources WHERE id = $1', [id]);
  const row = rows[0];
  if (!row) throw new NotFoundError('source.not_found', `No source with id "${id}".`);
  const { connection, error } = readStoredConnection(row.config);
  if (error !== null) throw new DomainError('unprocessable', 'source.invalid_connection', error);
  return { connection, credentials: row.credentials };
}
