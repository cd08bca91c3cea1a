import { createHash } from 'node:crypto';
import { Client, type DatabaseError } from 'pg';
import type { TenancyErrorCode } from '../tenancy-errors';
import { mapWithConcurrency } from './map-with-concurrency';
import { defaultTenantMigrationsDir, readTenantMigrations, type TenantMigration } from './migration-files';
import { planTenantMigrations, schemaVersionOf, TenantMigrationError, type AppliedMigrationRecord } from './migration-plan';

/** One tenant database to migrate. The connection string's role must own the tenant schema. */
export interface TenantDatabaseTarget {
  tenantId: string;
  connectionString: string;
}

export interface TenantMigrationOptions {
  /**
   * The migrations folder (`<name>/migration.sql` each). Default: `libs/tenancy/prisma/migrations`
   * found by walking up from this module (see defaultTenantMigrationsDir).
   */
  migrationsDir?: string;
  /** How long to wait for another migrator working on the same database. Default 10 minutes. */
  lockTimeoutMs?: number;
  /** How long connecting may take. Default 10 s. */
  connectionTimeoutMs?: number;
  /** application_name of the migrator's sessions (pg_stat_activity). Default `pulse-tenant-migrator`. */
  applicationName?: string;
}

export interface TenantMigrationsOptions extends TenantMigrationOptions {
  /** Databases migrated at the same time. Default 4. */
  concurrency?: number;
  /** Called as each tenant finishes, e.g. to log progress of a long run. */
  onReport?: (report: TenantMigrationReport) => void;
}

interface TenantMigrationFailure {
  code: TenancyErrorCode;
  migration: string | null;
  message: string;
}

export interface TenantMigrationReport {
  tenantId: string;
  status: 'ok' | 'failed';
  /** Migrations this run applied, in order (empty when the database was up to date). */
  applied: string[];
  /** Name of the newest migration applied to the database after this run; null if none ever was. */
  schemaVersion: string | null;
  durationMs: number;
  /** Why the tenant failed, for humans (names the migration when one failed). Only when failed. */
  error?: string;
  /** Stable code of the failure, e.g. `tenant_migration_checksum_mismatch`. Only when failed. */
  errorCode?: TenancyErrorCode;
  /** The migration that failed or was refused; null when none did (connection, lock). Only when failed. */
  failedMigration?: string | null;
}

/** The migrator's own record of what each tenant database has applied (created on first run). */
export const TENANT_MIGRATIONS_TABLE = '_tenant_schema_migrations';

const CREATE_MIGRATIONS_TABLE_SQL = `
CREATE TABLE IF NOT EXISTS ${TENANT_MIGRATIONS_TABLE} (
  name         TEXT PRIMARY KEY,
  checksum     TEXT NOT NULL,
  applied_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  duration_ms  INTEGER NOT NULL
)`;

/**
 * Session-level advisory lock key. Advisory locks are scoped to the database, so one constant key
 * serialises migrators per tenant database without touching other tenants.
 */
const MIGRATOR_LOCK_KEY = BigInt.asIntN(64, BigInt(`0x${createHash('sha256').update('pulse:tenant-migrator').digest('hex').slice(0, 16)}`)).toString();

const DEFAULTS = {
  lockTimeoutMs: 10 * 60_000,
  connectionTimeoutMs: 10_000,
  applicationName: 'pulse-tenant-migrator',
  concurrency: 4,
};

const LOCK_NOT_AVAILABLE = '55P03';

function pgMessage(error: unknown): string {
  const pgError = error as Partial<DatabaseError> & { message?: string };
  const parts = [pgError.message ?? String(error)];
  if (pgError.detail) parts.push(`detail: ${pgError.detail}`);
  if (pgError.code) parts.push(`sqlstate ${pgError.code}`);
  return parts.join('; ');
}

async function acquireLock(client: Client, lockTimeoutMs: number): Promise<void> {
  // lock_timeout bounds the wait of pg_advisory_lock; reset at once so migrations run without it.
  await client.query(`SET lock_timeout = ${Math.max(1, Math.floor(lockTimeoutMs))}`);
  try {
    await client.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATOR_LOCK_KEY]);
  } catch (error) {
    if ((error as DatabaseError).code === LOCK_NOT_AVAILABLE) {
      throw new TenantMigrationError(
        'tenant_migration_lock_timeout',
        null,
        `Another migrator held this database's migration lock for more than ${lockTimeoutMs} ms`,
        { cause: error },
      );
    }
    throw error;
  } finally {
    await client.query('RESET lock_timeout');
  }
}

async function applyMigration(client: Client, migration: TenantMigration): Promise<void> {
  const started = performance.now();
  await client.query('BEGIN');
  try {
    // One simple-protocol query: the file's statements run in order inside this transaction.
    await client.query(migration.sql);
    await client.query(`INSERT INTO ${TENANT_MIGRATIONS_TABLE} (name, checksum, duration_ms) VALUES ($1, $2, $3)`, [
      migration.name,
      migration.checksum,
      Math.round(performance.now() - started),
    ]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw new TenantMigrationError('tenant_migration_failed', migration.name, `Migration ${migration.name} failed and was rolled back: ${pgMessage(error)}`, {
      cause: error,
    });
  }
}

async function migrateWith(
  target: TenantDatabaseTarget,
  migrations: readonly TenantMigration[],
  options: TenantMigrationOptions,
): Promise<TenantMigrationReport> {
  const started = performance.now();
  const applied: string[] = [];
  let history: string[] = [];
  const report = (error?: TenantMigrationFailure): TenantMigrationReport => ({
    tenantId: target.tenantId,
    status: error ? 'failed' : 'ok',
    applied,
    schemaVersion: schemaVersionOf([...history, ...applied]),
    durationMs: Math.round(performance.now() - started),
    ...(error ? { error: error.message, errorCode: error.code, failedMigration: error.migration } : {}),
  });

  const client = new Client({
    connectionString: target.connectionString,
    application_name: options.applicationName ?? DEFAULTS.applicationName,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? DEFAULTS.connectionTimeoutMs,
  });
  // A connection lost mid-run surfaces as the failing query's error; this keeps it from being unhandled.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    return report({ code: 'tenant_database_unreachable', migration: null, message: `Cannot connect to the tenant database: ${pgMessage(error)}` });
  }

  try {
    await acquireLock(client, options.lockTimeoutMs ?? DEFAULTS.lockTimeoutMs);
    // Everything below runs under the lock: a racing migrator waits, then finds these applied.
    await client.query(CREATE_MIGRATIONS_TABLE_SQL);
    const records = (await client.query<AppliedMigrationRecord>(`SELECT name, checksum FROM ${TENANT_MIGRATIONS_TABLE} ORDER BY name`)).rows;
    history = records.map((record) => record.name);
    for (const migration of planTenantMigrations(migrations, records)) {
      await applyMigration(client, migration);
      applied.push(migration.name);
    }
    return report();
  } catch (error) {
    if (error instanceof TenantMigrationError) return report({ code: error.code, migration: error.migration, message: error.message });
    return report({ code: 'tenant_migration_failed', migration: null, message: pgMessage(error) });
  } finally {
    // Closing the session releases the advisory lock too; unlocking first just says so explicitly.
    await client.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}

/**
 * Applies the pending tenant migrations to one tenant database: under a per-database advisory lock,
 * each migration in its own transaction, recorded in `_tenant_schema_migrations` (name, sha256, when,
 * how long). Refuses, applying nothing, when an applied migration's file changed or is unknown.
 * Never throws for a database problem: the report says `failed` with a code, the migration and why.
 * Throws TenancyError `tenant_migrations_unreadable` if the migrations folder cannot be read.
 */
export async function migrateTenantDatabase(target: TenantDatabaseTarget, options: TenantMigrationOptions = {}): Promise<TenantMigrationReport> {
  const migrations = readTenantMigrations(options.migrationsDir ?? defaultTenantMigrationsDir());
  return migrateWith(target, migrations, options);
}

/**
 * Migrates many tenant databases, at most `concurrency` at a time. One tenant's failure is in its report
 * and does not stop the others. Reports come back in the order of `targets`.
 */
export async function migrateTenantDatabases(
  targets: readonly TenantDatabaseTarget[],
  options: TenantMigrationsOptions = {},
): Promise<TenantMigrationReport[]> {
  const migrations = readTenantMigrations(options.migrationsDir ?? defaultTenantMigrationsDir());
  return mapWithConcurrency(targets, options.concurrency ?? DEFAULTS.concurrency, async (target) => {
    const report = await migrateWith(target, migrations, options);
    options.onReport?.(report);
    return report;
  });
}
