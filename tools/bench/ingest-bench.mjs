// `npm run bench:ingest`: file imports end to end against plain COPY (issue 6, "Benchmark").
//
// Generates a tenant with tools/datagen (BENCH_INGEST_CUSTOMERS customers, 1M by default: 3M orders and
// ~6M order items), starts the built api and ingestion services (and the project's Pub/Sub emulator),
// and for customers, orders and order_items measures upload -> rows queryable: from the first byte of
// POST /v1/imports/{entity} until GET /v1/imports/{id} says it finished (the rows are committed then).
// In the same run, on the same server, it COPYs each file into an unindexed table of text columns: the
// floor no loader can beat. As a second reference it COPYs the rows each import loaded, in their final
// form, into an empty copy of the entity's table with its indexes and foreign keys.
// The machine is small and shared: compare the ratios, not the absolute figures.
//
//   BENCH_INGEST_CUSTOMERS=100000 node tools/bench/ingest-bench.mjs [--profile]
//
// --profile writes a V8 CPU profile of the ingestion service to tmp/bench-profiles.
//
// Needs `nx run-many -t build -p api,ingestion,datagen,pubsub-emulator` first (npm run bench:ingest does it).
// PostgreSQL: DATABASE_URL, else the machine's 127.0.0.1:5432, else an embedded one.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { createControlPlane, freePort, ROOT, sql, startChild, startPostgres, urlFor } from './bench-kit.mjs';

const require = createRequire(import.meta.url);
const fromIngestionDist = (file) => require(path.join(ROOT, 'dist/apps/ingestion', file));
const CUSTOMERS = Number(process.env.BENCH_INGEST_CUSTOMERS ?? 1_000_000);
const ENTITIES = ['customers', 'orders', 'order_items'];
const SLUG = 'ingest-bench';
const TENANT_DB = 'tenant_ingest_bench';
const CONTROL_DB = 'ingest_bench_control_plane';
const BASELINE_DB = 'ingest_bench_copy_floor';

async function waitForHttp(url) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within 60 s`);
    await sleep(200);
  }
}

/** A fresh tenant database (own role, tenant schema) and a control plane naming it, with an API key. */
async function createTenant(adminUrl, box) {
  const { escapeIdentifier: id, escapeLiteral: lit } = pg;
  const password = randomBytes(18).toString('base64url');
  await sql(adminUrl, async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS ${id(TENANT_DB)} WITH (FORCE)`);
    await admin.query(`DROP ROLE IF EXISTS ${id(TENANT_DB)}`);
    await admin.query(`CREATE ROLE ${id(TENANT_DB)} LOGIN PASSWORD ${lit(password)}`);
    await admin.query(`CREATE DATABASE ${id(TENANT_DB)} OWNER ${id(TENANT_DB)}`);
    await admin.query(`REVOKE ALL ON DATABASE ${id(TENANT_DB)} FROM PUBLIC`);
  });
  await sql(urlFor(adminUrl, { pathname: `/${TENANT_DB}` }), (db) => db.query(`ALTER SCHEMA public OWNER TO ${id(TENANT_DB)}`));
  const tenantUrl = urlFor(adminUrl, { username: TENANT_DB, password, pathname: `/${TENANT_DB}` });
  const { migrateTenantDatabase, issueApiKey } = fromIngestionDist('libs/tenancy/src/index.js');
  const report = await migrateTenantDatabase({ tenantId: SLUG, connectionString: tenantUrl });
  if (report.status !== 'ok') throw new Error(`tenant schema failed: ${report.error}`);

  const control = await createControlPlane(adminUrl, { database: CONTROL_DB, slug: SLUG, plan: 'enterprise', scopes: '{read,write}', tenantUrl, password, box, issueApiKey });
  return { tenantUrl, controlUrl: control.controlUrl, apiKey: control.apiKey };
}

/** upload -> rows queryable, in seconds: POST the file streamed, then poll the import until it finished. */
async function importEndToEnd(apiUrl, apiKey, entity, file) {
  const started = process.hrtime.bigint();
  const response = await fetch(`${apiUrl}/v1/imports/${entity}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'text/csv', 'content-length': String(fs.statSync(file).size) },
    body: Readable.toWeb(fs.createReadStream(file)),
    duplex: 'half',
  });
  const accepted = await response.json();
  if (response.status !== 202) throw new Error(`upload of ${entity}: HTTP ${response.status} ${JSON.stringify(accepted)}`);
  const uploaded = process.hrtime.bigint();
  for (;;) {
    const shown = await (await fetch(`${apiUrl}/v1/imports/${accepted.importId}`, { headers: { authorization: `Bearer ${apiKey}` } })).json();
    if (['succeeded', 'partially_succeeded', 'failed'].includes(shown.status)) {
      if (shown.status === 'failed') throw new Error(`${entity} import failed: ${shown.errorCode} ${shown.error}`);
      const end = process.hrtime.bigint();
      // The loader's own step timings (ms) come with the import: where its time went.
      const steps = Object.fromEntries(Object.entries(shown.timings).map(([step, ms]) => [step, ms / 1000]));
      return { steps, seconds: Number(end - started) / 1e9, uploadSeconds: Number(uploaded - started) / 1e9, rows: shown.rowsLoaded, rejected: shown.rowsRejected };
    }
    await sleep(100);
  }
}

/** The floor: COPY of the same file into an unindexed table of text columns. */
async function plainCopy(adminUrl, entity, file) {
  const header = fs.readFileSync(file, { encoding: 'utf8', flag: 'r' }).slice(0, 4096).split('\n')[0].trim().split(',');
  const url = urlFor(adminUrl, { pathname: `/${BASELINE_DB}` });
  return sql(url, async (db) => {
    await db.query(`DROP TABLE IF EXISTS ${entity}`);
    await db.query(`CREATE TABLE ${entity} (${header.map((column) => `${pg.escapeIdentifier(column)} text`).join(', ')})`);
    const started = process.hrtime.bigint();
    await pipeline(fs.createReadStream(file), db.query(copyFrom(`COPY ${entity} FROM STDIN WITH (FORMAT csv, HEADER true)`)));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const rows = Number((await db.query(`SELECT count(*) FROM ${entity}`)).rows[0].count);
    return { seconds, rows };
  });
}

/**
 * A second reference: the rows the import loaded, in canonical form (typed columns, `custom` as JSONB,
 * resolved ids), COPYed into an empty table like the entity's own: the same columns, indexes, checks and
 * foreign keys, maintained row by row. What getting these rows into a table the API can serve costs
 * without any of an import's parsing, validation or reference resolution.
 */
async function copyIntoIndexedTable(tenantUrl, entity, work) {
  return sql(tenantUrl, async (db) => {
    const table = pg.escapeIdentifier(entity);
    const copy = pg.escapeIdentifier(`bench_copy_${entity}`);
    const { rows: columnRows } = await db.query(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND is_identity = 'NO' ORDER BY ordinal_position`,
      [entity],
    );
    const columns = columnRows.map((row) => pg.escapeIdentifier(row.column_name)).join(', ');
    const dump = path.join(work, `${entity}.copy`);
    await pipeline(db.query(copyTo(`COPY (SELECT ${columns} FROM ${table}) TO STDOUT`)), fs.createWriteStream(dump));
    const { rows: foreignKeys } = await db.query(`SELECT pg_get_constraintdef(oid) AS definition FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'f'`, [entity]);
    await db.query(`DROP TABLE IF EXISTS ${copy}`);
    await db.query(`CREATE TABLE ${copy} (LIKE ${table} INCLUDING ALL)`);
    for (const fk of foreignKeys) await db.query(`ALTER TABLE ${copy} ADD ${fk.definition}`);
    const started = process.hrtime.bigint();
    await pipeline(fs.createReadStream(dump), db.query(copyFrom(`COPY ${copy} (${columns}) FROM STDIN`)));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const rows = Number((await db.query(`SELECT count(*) FROM ${copy}`)).rows[0].count);
    await db.query(`DROP TABLE ${copy}`);
    fs.rmSync(dump);
    return { seconds, rows };
  });
}

async function main() {
  for (const entry of ['dist/apps/api/main.js', 'dist/apps/ingestion/main.js', 'dist/tools/datagen/main.js', 'dist/tools/pubsub-emulator/main.js']) {
    if (!fs.existsSync(path.join(ROOT, entry))) throw new Error(`${entry} is missing: run \`npx nx run-many -t build -p api,ingestion,datagen,pubsub-emulator\` first`);
  }
  const postgres = await startPostgres('ingest-bench-postgres');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-ingest-bench-'));
  const dataDir = path.join(ROOT, 'tmp/ingest-bench-data', String(CUSTOMERS));
  if (!fs.existsSync(path.join(dataDir, 'order_items.csv'))) {
    console.log(`generating ${CUSTOMERS.toLocaleString('en')} customers with tools/datagen (kept in ${path.relative(ROOT, dataDir)} for later runs)...`);
    execFileSync(process.execPath, ['dist/tools/datagen/main.js', '--customers', String(CUSTOMERS), '--out', dataDir, '--entities', ENTITIES.join(',')], { cwd: ROOT, stdio: 'inherit' });
  }
  const { SecretBox } = fromIngestionDist('libs/platform/crypto/src/index.js');
  const secretsKey = SecretBox.generateKey();
  const tenant = await createTenant(postgres.adminUrl, SecretBox.fromBase64(secretsKey));
  await sql(postgres.adminUrl, async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS ${BASELINE_DB} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${BASELINE_DB}`);
  });

  const [apiPort, ingestionPort, emulatorPort] = [await freePort(), await freePort(), await freePort()];
  const emulator = startChild('pubsub-emulator', ['dist/tools/pubsub-emulator/main.js', '--host', '127.0.0.1', '--port', String(emulatorPort)], {});
  await sleep(1_000);
  const common = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    HOST: '127.0.0.1',
    DATABASE_URL: tenant.controlUrl,
    PULSE_SECRETS_KEY: secretsKey,
    PUBSUB_EMULATOR_HOST: `127.0.0.1:${emulatorPort}`,
    PUBSUB_AUTO_CREATE: 'true',
    PULSE_STORAGE_DIR: path.join(work, 'storage'),
    PULSE_WAREHOUSE_DIR: path.join(work, 'warehouse'),
    METADATA_SERVER_DETECTION: 'none',
    RATE_LIMIT_PLANS: JSON.stringify({ standard: { perSecond: 1000, burst: 1000 } }),
  };
  // --profile: a V8 CPU profile of the ingestion service (open it in Chrome DevTools) to see where its time goes.
  const profileArgs = process.argv.includes('--profile') ? ['--cpu-prof', `--cpu-prof-dir=${path.join(ROOT, 'tmp/bench-profiles')}`] : [];
  const ingestion = startChild('ingestion', [...profileArgs, '--max-old-space-size=768', 'dist/apps/ingestion/main.js'], { ...common, PORT: String(ingestionPort) });
  const api = startChild('api', ['dist/apps/api/main.js'], { ...common, PORT: String(apiPort) });
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  await waitForHttp(`${apiUrl}/readyz`);
  await waitForHttp(`http://127.0.0.1:${ingestionPort}/readyz`);
  await sleep(1_000); // the consumer's subscription

  const results = [];
  try {
    for (const entity of ENTITIES) {
      const file = path.join(dataDir, `${entity}.csv`);
      const loaded = await importEndToEnd(apiUrl, tenant.apiKey, entity, file);
      const copied = await plainCopy(postgres.adminUrl, entity, file);
      const indexed = await copyIntoIndexedTable(tenant.tenantUrl, entity, work);
      const mb = fs.statSync(file).size / 1024 / 1024;
      results.push({ entity, mb, loaded, copied, indexed });
      console.log(
        `${entity.padEnd(12)} ${loaded.rows.toLocaleString('en').padStart(11)} rows ${mb.toFixed(0).padStart(5)} MB | import ${loaded.seconds.toFixed(1).padStart(6)} s ` +
          `${Math.round(loaded.rows / loaded.seconds).toLocaleString('en').padStart(9)} rows/s | COPY ${copied.seconds.toFixed(1).padStart(5)} s ` +
          `${Math.round(copied.rows / copied.seconds).toLocaleString('en').padStart(9)} rows/s | ratio ${(copied.seconds / loaded.seconds).toFixed(2)} | ` +
          `COPY into the indexed table ${indexed.seconds.toFixed(1)} s (${indexed.rows.toLocaleString('en')} rows)`,
      );
      console.log(`  upload ${loaded.uploadSeconds.toFixed(1)} s; loader steps (s): ${Object.entries(loaded.steps).map(([step, s]) => `${step} ${s.toFixed(2)}`).join(', ')}`);
    }
  } finally {
    await api.stop();
    await ingestion.stop();
    await emulator.stop();
    await sql(postgres.adminUrl, async (admin) => {
      for (const db of [TENANT_DB, CONTROL_DB, BASELINE_DB]) await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(db)} WITH (FORCE)`);
      await admin.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(TENANT_DB)}`);
    });
    fs.rmSync(work, { recursive: true, force: true });
    await postgres.stop();
  }

  const version = await Promise.resolve(process.version);
  console.log(`\n| entity | rows | file | import (upload -> queryable) | plain COPY, unindexed | import / COPY throughput | COPY of the loaded rows into the indexed table | import / that COPY throughput |`);
  console.log(`|---|---:|---:|---:|---:|---:|---:|---:|`);
  for (const { entity, mb, loaded, copied, indexed } of results) {
    console.log(
      `| ${entity} | ${loaded.rows.toLocaleString('en')} | ${mb.toFixed(0)} MB | ${loaded.seconds.toFixed(1)} s, ${Math.round(loaded.rows / loaded.seconds).toLocaleString('en')} rows/s | ` +
        `${copied.seconds.toFixed(1)} s, ${Math.round(copied.rows / copied.seconds).toLocaleString('en')} rows/s | ${((copied.seconds / loaded.seconds) * 100).toFixed(0)} % | ` +
        `${indexed.seconds.toFixed(1)} s | ${((indexed.seconds / loaded.seconds) * 100).toFixed(0)} % |`,
    );
  }
  console.log(`\n${CUSTOMERS.toLocaleString('en')} customers, node ${version}, ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)} at the end.`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
