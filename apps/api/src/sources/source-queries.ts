import { Inject, Injectable } from '@nestjs/common';
import type { SourceDto, SourceSyncDto } from '@pulse/contracts';
import { SecretBox } from '@pulse/crypto';
import { NotFoundError } from '@pulse/errors';
import { TenantDatabasePool, type TenantContext, type TenantDatabaseClient } from '@pulse/tenancy';
import { API_CONFIG, type ApiConfig } from '../config/api.config';
import { decodeCursor, encodeCursor } from './source-cursor';
import { SOURCE_COLUMNS, SYNC_COLUMNS, toSourceDto, toSyncDto, type SourceApiRow, type SyncApiRow } from './source-row';

/** Reads of sources and their sync history (newest first, keyset pages). */
@Injectable()
export class SourceQueries {
  readonly box: SecretBox;

  constructor(
    private readonly tenants: TenantDatabasePool,
    @Inject(API_CONFIG) config: ApiConfig,
  ) {
    this.box = SecretBox.fromBase64(config.tenancy.secretsKey.reveal());
  }

  async findOrThrow(db: TenantDatabaseClient, id: string): Promise<SourceDto> {
    const { rows } = await db.query<SourceApiRow>(`SELECT ${SOURCE_COLUMNS} FROM sources s WHERE s.id = $1`, [id]);
    const row = rows[0];
    if (!row) throw new NotFoundError('source.not_found', `No source with id "${id}".`);
    return toSourceDto(row, this.box, await this.lastSync(db, id));
  }

  get(tenant: TenantContext, id: string): Promise<SourceDto> {
    return this.tenants.withTenantClient(tenant, (db) => this.findOrThrow(db, id));
  }

  async list(tenant: TenantContext, limit: number, rawCursor: string | undefined): Promise<{ items: SourceDto[]; nextCursor: string | null }> {
    const cursor = decodeCursor(rawCursor);
    return this.tenants.withTenantClient(tenant, async (db) => {
      const { rows } = await db.query<SourceApiRow>(
        `SELECT ${SOURCE_COLUMNS} FROM sources s
          WHERE ($1::timestamptz IS NULL OR (date_trunc('milliseconds', s.created_at), s.id) < ($1::timestamptz, $2::uuid))
          ORDER BY date_trunc('milliseconds', s.created_at) DESC, s.id DESC LIMIT $3`,
        [cursor?.at ?? null, cursor?.id ?? null, limit + 1],
      );
      const page = rows.slice(0, limit);
      // One after the other: one connection runs one query at a time anyway, and a failure then leaves no
      // query of this request still queued on a connection already back in the pool.
      const items: SourceDto[] = [];
      for (const row of page) items.push(toSourceDto(row, this.box, await this.lastSync(db, row.id)));
      const last = page.at(-1);
      return { items, nextCursor: rows.length > limit && last ? encodeCursor({ at: last.created_at.toISOString(), id: last.id }) : null };
    });
  }

  async listSyncs(tenant: TenantContext, sourceId: string, limit: number, rawCursor: string | undefined): Promise<{ items: SourceSyncDto[]; nextCursor: string | null }> {
    const cursor = decodeCursor(rawCursor);
    return this.tenants.withTenantClient(tenant, async (db) => {
      await this.findOrThrow(db, sourceId);
      const { rows } = await db.query<SyncApiRow>(
        `SELECT ${SYNC_COLUMNS} FROM source_syncs y
          WHERE y.source_id = $1 AND ($2::timestamptz IS NULL OR (date_trunc('milliseconds', y.requested_at), y.id) < ($2::timestamptz, $3::uuid))
          ORDER BY date_trunc('milliseconds', y.requested_at) DESC, y.id DESC LIMIT $4`,
        [sourceId, cursor?.at ?? null, cursor?.id ?? null, limit + 1],
      );
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return { items: page.map(toSyncDto), nextCursor: rows.length > limit && last ? encodeCursor({ at: last.requested_at.toISOString(), id: last.id }) : null };
    });
  }

  private async lastSync(db: TenantDatabaseClient, sourceId: string): Promise<SyncApiRow | null> {
    const { rows } = await db.query<SyncApiRow>(`SELECT ${SYNC_COLUMNS} FROM source_syncs y WHERE y.source_id = $1 ORDER BY y.requested_at DESC, y.id DESC LIMIT 1`, [sourceId]);
    return rows[0] ?? null;
  }
}
