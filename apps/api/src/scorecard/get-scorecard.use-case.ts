import { Injectable } from '@nestjs/common';
import { DEFAULT_SCORECARD, type ScorecardDefinition } from '@pulse/contracts';
import { TenantDatabasePool, type TenantContext, type TenantDatabaseClient } from '@pulse/tenancy';
import type { ScorecardDto } from './scorecard.schemas';

export interface ScorecardRow {
  version: number;
  definition: ScorecardDefinition;
  created_at: Date;
}

export function toScorecardDto(row: ScorecardRow | undefined): ScorecardDto {
  if (!row) return { version: 0, isDefault: true, ...DEFAULT_SCORECARD, createdAt: null };
  return { version: row.version, isDefault: false, measures: row.definition.measures, bands: row.definition.bands, createdAt: row.created_at.toISOString() };
}

export async function findActiveScorecard(db: TenantDatabaseClient, options: { forUpdate?: boolean } = {}): Promise<ScorecardRow | undefined> {
  const { rows } = await db.query<ScorecardRow>(`SELECT version, definition, created_at FROM scorecards WHERE active${options.forUpdate ? ' FOR UPDATE' : ''}`);
  return rows[0];
}

/** GET /v1/scorecard: the active version, or the documented default when none is stored. */
@Injectable()
export class GetScorecardUseCase {
  constructor(private readonly tenants: TenantDatabasePool) {}

  async execute(tenant: TenantContext): Promise<ScorecardDto> {
    return toScorecardDto(await this.tenants.withTenantClient(tenant, (db) => findActiveScorecard(db)));
  }
}
