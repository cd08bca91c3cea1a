import { Injectable } from '@nestjs/common';
import type { SourceSyncDto } from '@pulse/contracts';
import { ConflictError, NotFoundError } from '@pulse/errors';
import { TenantDatabasePool, type TenantContext, type TenantDatabaseClient } from '@pulse/tenancy';
import type { IdempotentResponse } from '../http/idempotency/idempotent-response';
import { SYNC_COLUMNS, toSyncDto, type SyncApiRow } from './source-row';

/**
 * POST /v1/sources/{id}/syncs ("run now"): queues a run that the ingestion scheduler starts at its next
 * tick. A run already waiting is returned instead of a second one; a disabled source is refused.
 */
@Injectable()
export class RequestSyncUseCase {
  constructor(private readonly tenants: TenantDatabasePool) {}

  async execute(tenant: TenantContext, sourceId: string, idempotent?: IdempotentResponse): Promise<SourceSyncDto> {
    return this.tenants.withTenantTransaction(tenant, async (db) => {
      const sync = await this.queueRun(db, sourceId);
      await idempotent?.recordIn(db, sync);
      return sync;
    });
  }

  private async queueRun(db: TenantDatabaseClient, sourceId: string): Promise<SourceSyncDto> {
    // Serialises concurrent "run now" requests for the same source.
    const { rows: sources } = await db.query<{ enabled: boolean }>('SELECT enabled FROM sources WHERE id = $1 FOR UPDATE', [sourceId]);
    const source = sources[0];
    if (!source) throw new NotFoundError('source.not_found', `No source with id "${sourceId}".`);
    if (!source.enabled) throw new ConflictError('source.disabled', 'The source is disabled: enable it (PATCH enabled: true) to sync it.');
    const waiting = await db.query<SyncApiRow>(`SELECT ${SYNC_COLUMNS} FROM source_syncs y WHERE y.source_id = $1 AND y.status = 'queued' LIMIT 1`, [sourceId]);
    if (waiting.rows[0]) return toSyncDto(waiting.rows[0]);
    const inserted = await db.query<SyncApiRow>(
      `INSERT INTO source_syncs AS y (source_id, trigger, status) VALUES ($1, 'manual', 'queued') RETURNING ${SYNC_COLUMNS}`,
      [sourceId],
    );
    return toSyncDto(inserted.rows[0] as SyncApiRow);
  }
}
