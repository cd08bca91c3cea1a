import { Injectable } from '@nestjs/common';
import type { CreateSourceInput, SourceDto } from '@pulse/contracts';
import { assertValidCron, sealCredentials } from '@pulse/connectors';
import { ConflictError, ValidationError } from '@pulse/errors';
import { TenantDatabasePool, type TenantContext } from '@pulse/tenancy';
import { SourceQueries } from './source-queries';
import type { IdempotentResponse } from '../http/idempotency/idempotent-response';

/** A cron expression the scheduler would refuse is a 400 now, not a silent source that never runs. */
export function checkSchedule(schedule: string | null | undefined): void {
  if (!schedule) return;
  try {
    assertValidCron(schedule);
  } catch (error) {
    throw new ValidationError([{ field: 'body.schedule', code: 'invalid_cron', message: `Not a valid cron schedule: ${(error as Error).message}` }]);
  }
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
          input.mapping ? JSON.stringify(input.mapping) : null,
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
