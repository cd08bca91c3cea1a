// Prisma CLI configuration for the tenant schema (one PostgreSQL database per tenant). Prisma is the
// authoring tool here: `prisma generate` for the typed client and `prisma migrate diff --script` to write
// migration SQL (see libs/tenancy/README.md). Migrations are applied to tenant databases by this lib's
// migrator (src/migrator), not by `prisma migrate deploy`, which knows one database only.
// Prisma 6.19 with the JS schema engine is the combination that works without downloading engine
// binaries (see shared/ENVIRONMENT.md). The CLI is tooling, not a service, so it reads DATABASE_URL
// itself here.
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg-7';
import { defineConfig } from 'prisma/config';
import pg from 'pg';

interface ConnectionFields {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

// Separate fields, not a connection string: with a string the adapter's shadow database became the
// main one (shared/ENVIRONMENT.md).
function connectionFields(url: string): ConnectionFields {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 5432),
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database: parsed.pathname.replace(/^\//, ''),
  };
}

// PostgreSQL's internal one-byte "char" type (OID 18: pg_constraint.contype, pg_attribute.attidentity...)
// is missing from the adapter's type mapping, so describing a database fails ("Column type 'char' could
// not be deserialized"; the reason `migrate dev` fails here). The pool reports such columns as text and
// remembers where they were; the adapter then labels them Character, which the schema engine expects.
const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;
const COLUMN_TYPE_CHARACTER = 6; // ColumnTypeEnum.Character of @prisma/driver-adapter-utils
const charColumnsOfRows = new WeakMap<object, number[]>();

function charAsTextPool(config: pg.PoolConfig): pg.Pool {
  const pool = new pg.Pool(config);
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args) => {
    const result = query(...args);
    if (!(result instanceof Promise)) return result;
    return result.then((res: pg.QueryResult) => {
      const charColumns: number[] = [];
      (res.fields ?? []).forEach((field, index) => {
        if (field.dataTypeID !== PG_CHAR_OID) return;
        field.dataTypeID = PG_TEXT_OID;
        charColumns.push(index);
      });
      if (charColumns.length > 0 && res.rows) charColumnsOfRows.set(res.rows, charColumns);
      return res;
    });
  };
  return pool;
}

type Adapter = Awaited<ReturnType<PrismaPg['connect']>>;

function withCharColumns(adapter: Adapter): Adapter {
  const queryRaw = adapter.queryRaw.bind(adapter);
  adapter.queryRaw = async (query) => {
    const result = await queryRaw(query);
    for (const index of charColumnsOfRows.get(result.rows) ?? []) {
      (result.columnTypes as number[])[index] = COLUMN_TYPE_CHARACTER;
    }
    return result;
  };
  return adapter;
}

async function connectPatched(fields: ConnectionFields): Promise<Adapter> {
  return withCharColumns(await new PrismaPg(charAsTextPool(fields), { disposeExternalPool: true }).connect());
}

/**
 * The adapter with two fixes that make `migrate diff --from-migrations` work (it replays the migrations
 * into a throwaway shadow database and describes it): the "char" columns above, and the shadow database's
 * teardown — the adapter's own connectToShadowDb drops the database before closing its pool to it, which
 * PostgreSQL refuses ("is being accessed by other users"), leaving the database behind.
 */
class PrismaPgForMigrate extends PrismaPg {
  constructor(private readonly fields: ConnectionFields) {
    super(fields);
  }

  override connect(): Promise<Adapter> {
    return connectPatched(this.fields);
  }

  override async connectToShadowDb(): Promise<Adapter> {
    const admin = await connectPatched(this.fields);
    // globalThis.crypto, not an import: Prisma's config loader drops `node:crypto` named imports.
    const database = `prisma_migrate_shadow_db_${globalThis.crypto.randomUUID()}`;
    await admin.executeScript(`CREATE DATABASE "${database}"`);
    const shadow = await connectPatched({ ...this.fields, database });
    const closeShadow = shadow.dispose.bind(shadow);
    shadow.dispose = async () => {
      await closeShadow();
      try {
        await admin.executeScript(`DROP DATABASE IF EXISTS "${database}"`);
      } finally {
        await admin.dispose();
      }
    };
    return shadow;
  }
}

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join(__dirname, 'prisma', 'schema.prisma'),
  migrations: { path: path.join(__dirname, 'prisma', 'migrations') },
  async adapter() {
    const url = process.env['DATABASE_URL'];
    if (!url) throw new Error('DATABASE_URL must be set to run Prisma against a database');
    return new PrismaPgForMigrate(connectionFields(url));
  },
});
