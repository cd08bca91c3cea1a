import { Injectable } from '@nestjs/common';
import type { SourceConnection, SourceDto, UpdateSourceInput } from '@pulse/contracts';
import { credentialDestination, sealCredentials } from '@pulse/connectors';
import { ConflictError, DomainError } from '@pulse/errors';
import { TenantDatabasePool, type TenantContext } from '@pulse/tenancy';
import { checkSchedule, checkSourceMapping } from './create-source.use-case';
import { SourceQueries } from './source-queries';

/**
 * PATCH /v1/sources/{id}. A new connection may point at another table: the saved sync position and the
 * recorded columns are dropped with it, so the next sync starts over instead of applying a stale cursor.
 * A new mapping keeps the position but drops the recorded columns: the next sync records the columns it
 * finds (a re-baseline, how a tenant accepts a schema drift). Either bumps `config_version`, so that a sync
 * running meanwhile commits nothing more and saves no position (docs/connectors.md, "Changing a source
 * while it syncs"). A new schedule is picked up by the scheduler at its next tick.
 */
@Injectable()
export class UpdateSourceUseCase {
  constructor(
    private readonly tenants: TenantDatabasePool,
    private readonly queries: SourceQueries,
  ) {}

  async execute(tenant: TenantContext, id: string, input: UpdateSourceInput): Promise<SourceDto> {
    checkSchedule(input.schedule);
    return this.tenants.withTenantTransaction(tenant, async (db) => {
      const current = await this.queries.findOrThrow(db, id);
      // A stored connection that is no longer valid is none: no destination to compare, no files to read.
      // Without a connectionError it passed this version's checks (readStoredConnection): a SourceConnection.
      const stored = current.connectionError === null ? (current.connection as SourceConnection) : null;
      const mapping = input.mapping ? checkSourceMapping(current.entity, input.connection ?? stored ?? undefined, input.mapping) : input.mapping;
      if (input.connection !== undefined && input.credentials === undefined && current.credentialsSet.length > 0) {
        assertSameCredentialDestination(stored, input.connection);
      }
      const sets: string[] = [];
      const values: unknown[] = [id];
      const set = (column: string, value: unknown, cast = '') => {
        values.push(value);
        sets.push(`${column} = $${values.length}${cast}`);
      };
      if (input.name !== undefined) set('name', input.name);
      if (input.connection !== undefined) {
        set('kind', input.connection.kind);
        set('config', JSON.stringify(input.connection), '::jsonb');
      }
      if (input.credentials !== undefined) set('credentials', input.credentials === null ? null : sealCredentials(this.queries.box, input.credentials));
      if (mapping !== undefined) set('mapping', mapping === null ? null : JSON.stringify(mapping), '::jsonb');
      if (input.connection !== undefined || input.mapping !== undefined) sets.push('columns = NULL', 'config_version = config_version + 1');
      if (input.schedule !== undefined) {
        set('schedule', input.schedule);
        sets.push('next_sync_at = NULL');
      }
      if (input.enabled !== undefined) set('enabled', input.enabled);
      if (sets.length > 0) {
        try {
          await db.query(`UPDATE sources SET ${sets.join(', ')}, updated_at = now() WHERE id = $1`, values);
        } catch (error) {
          if ((error as { code?: string }).code === '23505') throw new ConflictError('source.name_taken', `A source named "${input.name}" already exists.`);
          throw error;
        }
      }
      // After the UPDATE, which locks the source row until this transaction commits: a sync saving its
      // position holds that row FOR SHARE, so it either committed already (and this deletes what it saved)
      // or waits and then finds the new version (and saves nothing). Deleted first, a position being
      // inserted by a sync at that moment would survive.
      if (input.connection !== undefined) await db.query('DELETE FROM sync_states WHERE source_id = $1', [id]);
      return this.queries.findOrThrow(db, id);
    });
  }
}

/**
 * The stored credentials go only where they were given for: a new connection that sends them elsewhere
 * (another host or port, another TLS or tunnel setting, another REST origin) needs them again in the same
 * PATCH. Otherwise anyone allowed to edit the source could have Pulse hand its write-only password to a
 * server of their choosing.
 */
function assertSameCredentialDestination(current: SourceConnection | null, next: SourceConnection): void {
  if (current !== null && credentialDestination(current) === credentialDestination(next)) return;
  const message =
    'The new connection would send the stored credentials somewhere else (another host, port, TLS or SSH setting, or URL origin): ' +
    'send the credentials for it in the same request (they are write-only and never follow a connection elsewhere).';
  throw new DomainError('unprocessable', 'source.credentials_required', message, [{ field: 'body.credentials', code: 'required', message }]);
}
