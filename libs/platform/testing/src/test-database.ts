import { randomBytes } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Client, escapeIdentifier } from 'pg';

export interface TestDatabase {
  readonly name: string;
  /** postgresql:// URL of the new database, with the server's credentials. */
  readonly url: string;
  /** Disconnects every session still using the database and drops it. Safe to call twice. */
  drop(): Promise<void>;
}

export interface TestDatabaseOptions {
  /** Start of the database name: 1-30 lowercase letters, digits or underscores. Default "test". */
  prefix?: string;
  /** A Prisma migrations folder: every `<dir>/*\/migration.sql` is applied, in lexical order. */
  migrationsDir?: string;
}

const SERVER_URL_VARIABLE = 'PULSE_TEST_POSTGRES_URL';
const PREFIX_PATTERN = /^[a-z][a-z0-9_]{0,29}$/;

/** The admin URL of the run's PostgreSQL server, which the integration preset's global setup exports. */
export function testPostgresUrlOrThrow(environment: NodeJS.ProcessEnv = process.env): string {
  const url = environment[SERVER_URL_VARIABLE];
  if (!url) {
    throw new Error(
      `${SERVER_URL_VARIABLE} is not set, so there is no PostgreSQL server to create a test database on. ` +
        'It is set by the global setup of the Jest integration preset: run the test as an *.int-spec.ts ' +
        "through a jest.int.config.cjs that is require('<workspace>/jest.preset.cjs').integration(__dirname) " +
        '(nx run <project>:int-test).',
    );
  }
  return url;
}

/** A name no other test file will pick: prefix, time and randomness (at most 48 characters). */
export function testDatabaseName(prefix = 'test'): string {
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new Error(
      `Invalid test database prefix ${JSON.stringify(prefix)}: use 1-30 lowercase letters, digits or underscores, starting with a letter`,
    );
  }
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

/** The URL of another database on the same server, with the same credentials and parameters. */
export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

/** One connection for one piece of work, always closed: for seeding and inspecting in tests. */
export async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function migrationFiles(migrationsDir: string): Promise<{ folder: string; file: string }[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true }).catch((error: Error) => {
    throw new Error(`Cannot read migrations folder ${migrationsDir}: ${error.message}`);
  });
  // Lexical order is Prisma's order: its folder names start with a fixed-width timestamp.
  const folders = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
  const files: { folder: string; file: string }[] = [];
  for (const folder of folders) {
    const file = path.join(migrationsDir, folder, 'migration.sql');
    if (await stat(file).then((found) => found.isFile(), () => false)) files.push({ folder, file });
  }
  if (files.length === 0) throw new Error(`No <folder>/migration.sql found in migrations folder ${migrationsDir}`);
  return files;
}

async function applyMigrations(url: string, migrationsDir: string): Promise<void> {
  const files = await migrationFiles(migrationsDir);
  await withClient(url, async (client) => {
    for (const { folder, file } of files) {
      // One simple-protocol query per file: several statements run as one implicit transaction, as
      // `prisma migrate deploy` would apply them.
      const sql = await readFile(file, 'utf8');
      await client.query(sql).catch((error: Error) => {
        throw new Error(`Migration ${folder} failed: ${error.message}`);
      });
    }
  });
}

// How long a drop waits for the database's sessions to end by themselves before terminating them.
const CLOSING_SESSIONS_GRACE_MS = 1_000;

/**
 * Drops a database, ending the sessions still connected to it (WITH (FORCE), PostgreSQL 13+), but only
 * after giving the sessions that are already closing a moment to finish. pg's `Pool.end()` resolves once
 * it has asked its idle clients to close, not once they have: a session terminated while it closes sends
 * its client a 57P01 error that no listener is left to catch, and the uncaught 'error' fails the test file.
 */
export async function dropDatabaseOnServer(admin: Client, name: string): Promise<void> {
  const deadline = Date.now() + CLOSING_SESSIONS_GRACE_MS;
  while (Date.now() < deadline && (await sessionsConnectedTo(admin, name)) > 0) await delay(10);
  await admin.query(`DROP DATABASE IF EXISTS ${escapeIdentifier(name)} WITH (FORCE)`);
}

async function sessionsConnectedTo(admin: Client, name: string): Promise<number> {
  const { rows } = await admin.query<{ sessions: number }>('SELECT count(*)::int AS sessions FROM pg_stat_activity WHERE datname = $1', [name]);
  return rows[0]?.sessions ?? 0;
}

async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  await withClient(serverUrl, (client) => dropDatabaseOnServer(client, name));
}

/**
 * Creates a fresh database for one integration test file on the run's PostgreSQL server (embedded, or
 * DATABASE_URL's), optionally migrated. Each file gets its own, so files can run in parallel.
 */
export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const serverUrl = testPostgresUrlOrThrow();
  const name = testDatabaseName(options.prefix);
  await withClient(serverUrl, (client) => client.query(`CREATE DATABASE ${escapeIdentifier(name)}`));

  let dropping: Promise<void> | undefined;
  const database: TestDatabase = {
    name,
    url: databaseUrl(serverUrl, name),
    drop: () => (dropping ??= dropDatabase(serverUrl, name)),
  };
  if (options.migrationsDir) {
    try {
      await applyMigrations(database.url, options.migrationsDir);
    } catch (error) {
      await database.drop();
      throw error;
    }
  }
  return database;
}
