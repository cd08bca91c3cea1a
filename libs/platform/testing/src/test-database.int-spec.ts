import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Client, Pool } from 'pg';
import { createTestDatabase, type TestDatabase } from './test-database';

async function query<T extends Record<string, unknown>>(url: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

const serverUrl = () => process.env['PULSE_TEST_POSTGRES_URL'] as string;
const databaseExists = async (name: string) =>
  (await query(serverUrl(), `SELECT 1 FROM pg_database WHERE datname = '${name}'`)).length === 1;

describe('createTestDatabase', () => {
  let migrationsDir: string;
  const created: TestDatabase[] = [];
  const track = (database: TestDatabase) => (created.push(database), database);

  beforeAll(async () => {
    // A Prisma-shaped folder, written out of order, whose second migration needs the first.
    migrationsDir = await mkdtemp(path.join(tmpdir(), 'pulse-migrations-'));
    const migration = async (folder: string, sql: string) => {
      await mkdir(path.join(migrationsDir, folder));
      await writeFile(path.join(migrationsDir, folder, 'migration.sql'), sql);
    };
    await migration('20260102000000_add_plan', `ALTER TABLE "tenants" ADD COLUMN "plan" TEXT NOT NULL DEFAULT 'standard';\nINSERT INTO "tenants" ("slug") VALUES ('acme');`);
    await migration('20260101000000_init', `CREATE TABLE "tenants" ("slug" TEXT PRIMARY KEY);\nCREATE INDEX "tenants_slug_idx" ON "tenants" ("slug");`);
    await writeFile(path.join(migrationsDir, 'migration_lock.toml'), 'provider = "postgresql"\n');
    await mkdir(path.join(migrationsDir, '20260103000000_empty_folder'));
  });

  afterAll(async () => {
    await Promise.all(created.map((database) => database.drop()));
    await rm(migrationsDir, { recursive: true, force: true });
  });

  it('creates an empty database with its own name, reachable through its URL', async () => {
    const database = track(await createTestDatabase({ prefix: 'lib_testing' }));

    expect(database.name).toMatch(/^lib_testing_/);
    expect(await query(database.url, 'SELECT current_database() AS name')).toEqual([{ name: database.name }]);
    expect(await query(database.url, "SELECT count(*)::int AS tables FROM pg_tables WHERE schemaname = 'public'")).toEqual([
      { tables: 0 },
    ]);
  });

  it('gives concurrent callers different databases', async () => {
    const databases = await Promise.all([createTestDatabase(), createTestDatabase(), createTestDatabase()]);
    databases.forEach(track);

    expect(new Set(databases.map((database) => database.name)).size).toBe(3);
    for (const database of databases) expect(await databaseExists(database.name)).toBe(true);
  });

  it('applies every migration.sql of a Prisma migrations folder in lexical order', async () => {
    const database = track(await createTestDatabase({ migrationsDir }));

    expect(await query(database.url, 'SELECT slug, plan FROM tenants')).toEqual([{ slug: 'acme', plan: 'standard' }]);
  });

  it('names the failing migration and leaves no database behind', async () => {
    const brokenDir = await mkdtemp(path.join(tmpdir(), 'pulse-migrations-'));
    await mkdir(path.join(brokenDir, '20260101000000_broken'));
    await writeFile(path.join(brokenDir, '20260101000000_broken', 'migration.sql'), 'CREATE TABLE t (id int);\nSELECT * FROM missing;');
    const before = await query<{ datname: string }>(serverUrl(), "SELECT datname FROM pg_database WHERE datname LIKE 'broken_%'");

    await expect(createTestDatabase({ prefix: 'broken', migrationsDir: brokenDir })).rejects.toThrow(
      'Migration 20260101000000_broken failed: relation "missing" does not exist',
    );
    expect(await query(serverUrl(), "SELECT datname FROM pg_database WHERE datname LIKE 'broken_%'")).toEqual(before);
    await rm(brokenDir, { recursive: true, force: true });
  });

  it('reports a migrations folder that does not exist or holds no migrations', async () => {
    await expect(createTestDatabase({ migrationsDir: '/nonexistent/migrations' })).rejects.toThrow(
      'Cannot read migrations folder /nonexistent/migrations',
    );
    const emptyDir = await mkdtemp(path.join(tmpdir(), 'pulse-migrations-'));
    await expect(createTestDatabase({ migrationsDir: emptyDir })).rejects.toThrow('No <folder>/migration.sql found');
    await rm(emptyDir, { recursive: true, force: true });
  });

  it('drops the database even while a session is still connected, and tolerates a second drop', async () => {
    const database = await createTestDatabase();
    const forgotten = new Client({ connectionString: database.url });
    await forgotten.connect();
    const disconnected = new Promise<Error>((resolve) => forgotten.on('error', resolve));

    await database.drop();
    await database.drop();

    expect(await databaseExists(database.name)).toBe(false);
    expect((await disconnected).message).toMatch(/terminat/);
    await forgotten.end().catch(() => undefined);
  });

  it('lets the sessions of a pool that has just been ended close by themselves rather than terminating them', async () => {
    // Pool.end() resolves before its clients have closed; a session terminated meanwhile errors in a
    // client nobody listens to any more (what failed a CI run once, in libs/messaging).
    const errors: Error[] = [];
    for (let round = 0; round < 10; round += 1) {
      const database = await createTestDatabase();
      const pool = new Pool({ connectionString: database.url, max: 10 });
      pool.on('error', (error) => errors.push(error));
      await Promise.all(Array.from({ length: 10 }, () => pool.query('SELECT pg_sleep(0.01)')));
      await pool.end();
      await database.drop();
      expect(await databaseExists(database.name)).toBe(false);
    }
    await delay(100);
    expect(errors.map((error) => error.message)).toEqual([]);
  });
});
