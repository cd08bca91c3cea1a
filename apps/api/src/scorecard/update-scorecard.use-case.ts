import { Injectable } from '@nestjs/common';
import { DEFAULT_SCORECARD, type ScorecardDefinition } from '@pulse/contracts';
import { TenantDatabasePool, type TenantContext } from '@pulse/tenancy';
import { MetricRefreshRequests, type QueuedRefresh } from '../metrics/runs/metric-refresh-requests';
import { findActiveScorecard, toScorecardDto, type ScorecardRow } from './get-scorecard.use-case';
import type { ScorecardUpdateDto } from './scorecard.schemas';

/**
 * PUT /v1/scorecard: a new version becomes the active one, in one transaction with the recompute
 * request it needs. Putting the definition in effect again (the active one, or the default while none
 * is stored) changes nothing: no version, no recompute.
 */
@Injectable()
export class UpdateScorecardUseCase {
  constructor(
    private readonly tenants: TenantDatabasePool,
    private readonly refreshes: MetricRefreshRequests,
  ) {}

  async execute(tenant: TenantContext, definition: ScorecardDefinition): Promise<ScorecardUpdateDto> {
    const { row, queued } = await this.tenants.withTenantTransaction(tenant, async (db): Promise<{ row: ScorecardRow | undefined; queued?: QueuedRefresh }> => {
      // Serialises concurrent updates: each takes the next version number after the other's.
      await db.query('LOCK TABLE scorecards IN SHARE ROW EXCLUSIVE MODE');
      const active = await findActiveScorecard(db);
      const json = JSON.stringify(definition);
      // What is in effect now: the active version, or the default while none is stored.
      const current = JSON.stringify(active?.definition ?? DEFAULT_SCORECARD);
      const same = await db.query<{ same: boolean }>('SELECT $1::jsonb = $2::jsonb AS same', [current, json]);
      if (same.rows[0]?.same) return { row: active };
      await db.query('UPDATE scorecards SET active = false WHERE active');
      const inserted = await db.query<ScorecardRow>(
        `INSERT INTO scorecards (version, definition, active, created_by)
         SELECT COALESCE(max(version), 0) + 1, $1::jsonb, true, $2 FROM scorecards
         RETURNING version, definition, created_at`,
        [json, 'api'],
      );
      const queuedRefresh = await this.refreshes.queue(db, tenant, { reason: 'scorecard_changed' });
      return { row: inserted.rows[0] as ScorecardRow, queued: queuedRefresh };
    });
    if (queued) await this.refreshes.publish(tenant, queued);
    return { scorecard: toScorecardDto(row), refreshRunId: queued?.run.id ?? null };
  }
}
