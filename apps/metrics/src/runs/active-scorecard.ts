import { DEFAULT_SCORECARD, scorecardDefinitionSchema, type ScorecardDefinition } from '@pulse/contracts';
import { DomainError } from '@pulse/errors';
import type { TenantDatabaseClient } from '@pulse/tenancy';

/** The tenant's stored active scorecard fails validation (stored before a bound existed): names its fields. */
export class InvalidScorecardError extends DomainError<'invalid_scorecard'> {
  constructor(
    readonly version: number,
    readonly issues: readonly string[],
  ) {
    super('unprocessable', 'invalid_scorecard', `Scorecard version ${version} is not valid: ${issues.join('; ')}`);
  }
}

/** The tenant's active scorecard (validated again: defaults filled in), or the built-in default (version null). */
export async function activeScorecard(db: TenantDatabaseClient): Promise<{ version: number | null; definition: ScorecardDefinition }> {
  const { rows } = await db.query<{ version: number; definition: unknown }>('SELECT version, definition FROM scorecards WHERE active');
  const row = rows[0];
  if (!row) return { version: null, definition: DEFAULT_SCORECARD };
  const parsed = scorecardDefinitionSchema.safeParse(row.definition);
  if (!parsed.success) throw new InvalidScorecardError(row.version, parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  return { version: row.version, definition: parsed.data };
}
