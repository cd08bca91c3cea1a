import { Injectable } from '@nestjs/common';
import type { CanonicalEntity, CreateSourceInput, ImportMapping, SourceConnection, SourceDto } from '@pulse/contracts';
import { assertValidCron, formatOf, sealCredentials } from '@pulse/connectors';
import { ConflictError, ValidationError } from '@pulse/errors';
import { TenantDatabasePool, type TenantContext } from '@pulse/tenancy';
import { SourceQueries } from './source-queries';
import type { IdempotentResponse } from '../http/idempotency/idempotent-response';
import { checkImportMapping } from '../imports/import-mapping-input';

/** A cron expression the scheduler would refuse is a 400 now, not a silent source that never runs. */
export function checkSchedule(schedule: string | null | undefined): void {
  if (!schedule) return;
  try {
    assertValidCron(schedule);
  } catch (error) {
    throw new ValidationError([{ field: 'body.schedule', code: 'invalid_cron', message: `Not a valid cron schedule: ${(error as Error).message}` }]);
  }
}

/**
 * A source's mapping, checked for its entity as every sync will apply it (a field the entity does not
 * have would fail each sync with invalid_mapping): a 400 naming the entry now. The format is that of the
 * files its syncs load: a file source's own (CSV unless configured or named NDJSON), records otherwise
 * (NDJSON), and records too for a stored connection that is no longer valid (undefined).
 */
export function checkSourceMapping(entity: CanonicalEntity, connection: SourceConnection | undefined, mapping: ImportMapping): ImportMapping {
  const format = connection?.kind === 'files' ? formatOf(connection.url, connection.format) : 'ndjson';
  return checkImportMapping(entity, format, mapping, 'body', 'mapping');
}

/** POST /v1/sources: stores the connection, sealed credentials and schedule. Nothing is contacted yet. */
@Injectable()
export class CreateSourceUseCase {
  constructor(
    private readonly tenants: TenantDatabasePool,
    private readonly queries: SourceQueries,
  ) {}

  async execute(tenant: TenantContext, input: CreateSourceInput, idempotent?: IdempotentResponse): Promise<SourceDto> {
    checkSchedule(input.schedule);
    const mapping = input.mapping === undefined ? undefined : checkSourceMapping(input.entity, input.connection, input.mapping);
    return this.tenants.withTenantTransaction(tenant, async (db) => {
      const inserted = await db.query<{ id: string }>(
        `INSERT INTO sources (name, kind, entity, config, credentials, mapping, schedule, enabled)
         VALUES ($1, $2, $3, $4::jsonb, $5, $6::jsonb, $7, $8)
         ON CONFLICT (name) DO NOTHING RETURNING id`,
        [
          input.name,
          input.connection.kind,
          input.entity,
          JSON.stringify(input.connection),
          input.credentials ? sealCredentials(this.queries.box, input.credentials) : null,
          mapping ? JSON.stringify(mapping) : null,
          input.schedule,
          input.enabled,
        ],
      );
      const id = inserted.rows[0]?.id;
      if (!id) throw new ConflictError('source.name_taken', `A source named "${input.name}" already exists.`);
      const source = await this.queries.findOrThrow(db, id);
      await idempotent?.recordIn(db, source);
      return source;
    });
  }
}
