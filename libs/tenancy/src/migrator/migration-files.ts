import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { TenancyError } from '../tenancy-errors';

/** One migration of the tenant schema: a `<timestamp>_<name>/migration.sql` folder. */
export interface TenantMigration {
  /** The folder name, e.g. `20261126100000_tenant_schema`; applied in lexical order of names. */
  readonly name: string;
  readonly sql: string;
  /** sha256 (hex) of the SQL with line endings normalised to LF, so a CRLF checkout is not a change. */
  readonly checksum: string;
}

/** Where the tenant migrations live relative to the workspace root (and to a deployed app's root). */
export const TENANT_MIGRATIONS_RELATIVE_DIR = path.join('libs', 'tenancy', 'prisma', 'migrations');

export function migrationChecksum(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n'), 'utf8').digest('hex');
}

function isDirectory(candidate: string): boolean {
  try {
    return statSync(candidate).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The tenant migrations folder of this checkout or deployment: walks up from `startDir` (this file's
 * folder by default) and returns the first `<ancestor>/libs/tenancy/prisma/migrations` that exists.
 * From source (jest, ts-node) that is the workspace's own folder; from a build under
 * `dist/apps/<app>/libs/tenancy/src/migrator/` it is `dist/apps/<app>/libs/tenancy/prisma/migrations`
 * if the build or image copied the folder there, else the workspace's. Pass `migrationsDir` explicitly
 * where neither layout holds.
 */
export function defaultTenantMigrationsDir(startDir: string = __dirname): string {
  const searched: string[] = [];
  for (let dir = path.resolve(startDir); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, TENANT_MIGRATIONS_RELATIVE_DIR);
    searched.push(candidate);
    if (isDirectory(candidate)) return candidate;
    if (path.dirname(dir) === dir) break;
  }
  throw new TenancyError(
    'internal',
    'tenant_migrations_unreadable',
    `No tenant migrations folder (${TENANT_MIGRATIONS_RELATIVE_DIR}) found above ${startDir}; pass migrationsDir. Searched: ${searched.join(', ')}`,
  );
}

/**
 * Reads every `<dir>/<name>/migration.sql` in lexical order of names. Files beside the folders (Prisma's
 * migration_lock.toml) are ignored; a folder without migration.sql is an error, not something to skip.
 */
export function readTenantMigrations(migrationsDir: string = defaultTenantMigrationsDir()): TenantMigration[] {
  let names: string[];
  try {
    names = readdirSync(migrationsDir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    throw new TenancyError('internal', 'tenant_migrations_unreadable', `Cannot read tenant migrations folder ${migrationsDir}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const migrations = names.map((name) => {
    const file = path.join(migrationsDir, name, 'migration.sql');
    if (!existsSync(file)) {
      throw new TenancyError('internal', 'tenant_migrations_unreadable', `Tenant migration folder ${path.join(migrationsDir, name)} has no migration.sql`);
    }
    const sql = readFileSync(file, 'utf8');
    return { name, sql, checksum: migrationChecksum(sql) };
  });
  if (migrations.length === 0) {
    throw new TenancyError('internal', 'tenant_migrations_unreadable', `No tenant migrations in ${migrationsDir}`);
  }
  return migrations;
}

/** The name of the newest tenant migration: the schema version a fully migrated tenant database has. */
export function currentTenantSchemaVersion(migrationsDir: string = defaultTenantMigrationsDir()): string {
  const migrations = readTenantMigrations(migrationsDir);
  return migrations[migrations.length - 1]!.name;
}
