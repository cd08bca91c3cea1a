import { TenancyError, type TenancyErrorCode } from '../tenancy-errors';
import type { TenantMigration } from './migration-files';

/** What a tenant database's migrations table says was applied. */
export interface AppliedMigrationRecord {
  readonly name: string;
  readonly checksum: string;
}

/** A migrator failure that names the migration it concerns (null when none: lock, connection). */
export class TenantMigrationError extends TenancyError {
  constructor(
    code: TenancyErrorCode,
    readonly migration: string | null,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('internal', code, message, options);
  }
}

/**
 * The migrations still to apply to a database, in order, after checking its history against the folder:
 * an applied migration whose file changed since (checksum) or that the folder does not have (the
 * database was migrated by a newer release, or from another branch) is refused, before anything runs.
 * Pending migrations are applied even if their names sort before an applied one (a branch merged late),
 * as `prisma migrate deploy` does.
 */
export function planTenantMigrations(
  available: readonly TenantMigration[],
  applied: readonly AppliedMigrationRecord[],
): TenantMigration[] {
  const byName = new Map(available.map((migration) => [migration.name, migration]));
  for (const record of applied) {
    const migration = byName.get(record.name);
    if (!migration) {
      throw new TenantMigrationError(
        'tenant_migration_unknown_applied',
        record.name,
        `Migration ${record.name} is applied to this database but is not in the migrations folder: the database was migrated by a newer release or another branch. Nothing was applied.`,
      );
    }
    if (migration.checksum !== record.checksum) {
      throw new TenantMigrationError(
        'tenant_migration_checksum_mismatch',
        record.name,
        `Migration ${record.name} was changed after it was applied (checksum ${record.checksum.slice(0, 12)}… applied, ${migration.checksum.slice(0, 12)}… in the folder). Applied migrations must never be edited: revert the change and add a new migration. Nothing was applied.`,
      );
    }
  }
  const appliedNames = new Set(applied.map((record) => record.name));
  return available.filter((migration) => !appliedNames.has(migration.name));
}

/** The schema version of a database: the name of the newest migration applied to it. */
export function schemaVersionOf(appliedNames: Iterable<string>): string | null {
  let newest: string | null = null;
  for (const name of appliedNames) if (newest === null || name > newest) newest = name;
  return newest;
}
