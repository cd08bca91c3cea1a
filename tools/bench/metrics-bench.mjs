// `npm run bench:metrics`: a full metrics refresh of a big tenant (issue 7, "Benchmark").
//
// On a synthetic tenant (tools/datagen: N customers, 3N orders, ~6N order items, min(10 000, N/5) SKUs;
// N = BENCH_CUSTOMERS, default 1 000 000), measures in one run, side by side:
//   - the refresh as the metrics service runs it: the metric catalog's computeKpis in the DuckDB
//     warehouse, then the write-back (scoring health, staging, one-transaction swap, health history);
//   - (a) the same KPIs as one hand-written DuckDB query set (tools/bench/metrics-reference/duckdb, D),
//     exported the same way, in the same warehouse file;
//   - (b) the same KPIs computed directly in PostgreSQL (tools/bench/metrics-reference/postgres, D) over
//     the same rows loaded into PostgreSQL tables with the indexes a PostgreSQL engineer would add;
//   - the write-back of the customer KPI rows against a plain COPY of the same rows into a table just
//     like customer_kpis (same indexes and foreign key).
// Targets: compute within 1.5x of (a); at least 5x faster than (b); write-back within 2x of plain COPY.
//
//   BENCH_CUSTOMERS=100000 node tools/bench/metrics-bench.mjs [--rounds n] [--no-doc] [--keep]
//
// Needs `nx run metrics:build` and `nx run datagen:build` (npm run bench:metrics does both): it runs the
// compiled code from dist, i.e. exactly what ships. Data is generated once per size under
// tmp/bench-metrics/ and reused. PostgreSQL: DATABASE_URL, else the machine's server on 5432, else an
// embedded one. The machine is small and shared: quote the ratios within one run, not absolute times.
import { DuckDBInstance } from '@duckdb/node-api';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { ROOT, sql, startPostgres, urlFor } from './bench-kit.mjs';

const DIST = path.join(ROOT, 'dist/apps/metrics');
const require = createRequire(import.meta.url);
const fromDist = (file) => require(path.join(DIST, file));

const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 1_000_000);
const AS_OF = process.env.BENCH_AS_OF ?? '2026-10-31'; // the day datagen's data ends
const PARAMS = { asOf: AS_OF, timezone: 'UTC', churnWindowDays: 90, excludedOrderStatuses: ['canceled', 'cancelled', 'refunded'] };
const ENTITIES = ['customers', 'products', 'orders', 'order_items'];
const WORK = path.join(ROOT, 'tmp/bench-metrics', `n${CUSTOMERS}`);
const REFERENCE = path.join(ROOT, 'tools/bench/metrics-reference');
const TENANT = { tenantId: 'bench-metrics', slug: 'bench-metrics' };
const TENANT_DB = 'pulse_bench_metrics_tenant';
const REFERENCE_DB = 'pulse_bench_metrics_reference';

const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const option = (name, fallback) => (args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) : fallback);
const ROUNDS = option('rounds', 1);

const { warehouseColumns, createDuckDbWarehouse } = fromDist('libs/warehouse/src/index.js');
const { computeKpis } = fromDist('libs/metric-catalog/src/index.js');
const { DEFAULT_SCORECARD } = fromDist('libs/contracts/src/index.js');
const { writeBackKpis } = fromDist('apps/metrics/src/write-back/kpi-write-back.js');

const log = (message) => process.stderr.write(`[bench:metrics] ${message}\n`);
const ms = (started) => Math.round(performance.now() - started);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
const seconds = (value) => (value / 1000).toFixed(2);
const ratio = (a, b) => `${(a / b).toFixed(2)}x`;

// ---------------------------------------------------------------------------------------------------
// Data: datagen files, then the warehouse's staged format (`StagedLoad` in libs/warehouse/src/warehouse.ts; docs/metrics.md, "Warehouse").

function generate() {
  const raw = path.join(WORK, 'raw');
  if (ENTITIES.every((entity) => fs.existsSync(path.join(raw, `${entity}.csv`)))) return raw;
  fs.mkdirSync(raw, { recursive: true });
  log(`generating ${CUSTOMERS} customers with tools/datagen into ${raw}`);
  execFileSync(process.execPath, [path.join(ROOT, 'dist/tools/datagen/main.js'), '--customers', String(CUSTOMERS), '--out', raw, '--entities', ENTITIES.join(',')], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return raw;
}

/**
 * Staged files as ingestion writes them: warehouse columns in order, unmapped columns as `custom` JSON,
 * customer references resolved to the canonical external id (datagen refers to some customers by an
 * alias, as real sources do). Done in DuckDB, once per size.
 */
async function stage(raw) {
  const staged = path.join(WORK, 'staged');
  if (ENTITIES.every((entity) => fs.existsSync(path.join(staged, `${entity}.csv`)))) return staged;
  fs.mkdirSync(staged, { recursive: true });
  log('converting to the staged warehouse format');
  const instance = await DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  const quote = (text) => `'${text.replace(/'/g, "''")}'`;
  for (const entity of ENTITIES) {
    await db.run(`CREATE TABLE raw_${entity} AS SELECT * FROM read_csv(${quote(path.join(raw, `${entity}.csv`))}, header = true, all_varchar = true)`);
  }
  await db.run(`CREATE TABLE alias_map AS
    SELECT DISTINCT alias, external_id FROM (SELECT external_id, unnest(string_split(aliases, '|')) AS alias FROM raw_customers WHERE coalesce(aliases, '') <> '')`);
  for (const entity of ENTITIES) {
    const header = (await (await db.runAndReadAll(`SELECT column_name FROM (DESCRIBE raw_${entity})`)).getRowObjects()).map((row) => row.column_name);
    const columns = warehouseColumns(entity);
    const customColumns = header.filter((column) => !columns.includes(column) && column !== 'aliases');
    const select = columns.map((column) => {
      if (column === 'custom') {
        return customColumns.length ? `to_json(struct_pack(${customColumns.map((c) => `"${c}" := r."${c}"`).join(', ')}))::VARCHAR AS custom` : `'{}' AS custom`;
      }
      if (column === 'customer_external_id') return `coalesce(a.external_id, r.customer_external_id) AS customer_external_id`;
      return header.includes(column) ? `r."${column}"` : `NULL AS "${column}"`;
    });
    const join = columns.includes('customer_external_id') ? 'LEFT JOIN alias_map a ON a.alias = r.customer_external_id' : '';
    await db.run(`COPY (SELECT ${select.join(', ')} FROM raw_${entity} r ${join}) TO ${quote(path.join(staged, `${entity}.csv`))} (HEADER, DELIMITER ',')`);
  }
  db.closeSync();
  instance.closeSync();
  return staged;
}

// ---------------------------------------------------------------------------------------------------
// PostgreSQL.

const databaseUrl = (base, database) => urlFor(base, { pathname: `/${database}` });

async function recreateDatabase(adminUrl, name) {
  await sql(adminUrl, async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  });
  return databaseUrl(adminUrl, name);
}

async function copyFile(client, sql, file) {
  await pipeline(fs.createReadStream(file), client.query(copyStreams.from(sql)));
}

/** The tenant schema (every migration, in order) and the tenant's customers, as ingestion leaves them. */
async function prepareTenantDatabase(adminUrl, staged) {
  const url = await recreateDatabase(adminUrl, TENANT_DB);
  await sql(url, async (client) => {
    const dir = path.join(ROOT, 'libs/tenancy/prisma/migrations');
    for (const folder of fs.readdirSync(dir).filter((name) => fs.existsSync(path.join(dir, name, 'migration.sql'))).sort()) {
      await client.query(fs.readFileSync(path.join(dir, folder, 'migration.sql'), 'utf8'));
    }
    const columns = warehouseColumns('customers');
    await copyFile(client, `COPY customers (${columns.join(', ')}) FROM STDIN WITH (FORMAT csv, HEADER true)`, path.join(staged, 'customers.csv'));
    await copyFile(client, `COPY products (${warehouseColumns('products').join(', ')}) FROM STDIN WITH (FORMAT csv, HEADER true)`, path.join(staged, 'products.csv'));
    await client.query('VACUUM ANALYZE customers');
    await client.query('VACUUM ANALYZE products');
  });
  return url;
}

/** Reference (b): the warehouse tables as PostgreSQL tables, loaded with the same staged rows. */
async function prepareReferenceDatabase(adminUrl, staged) {
  const url = await recreateDatabase(adminUrl, REFERENCE_DB);
  await sql(url, async (client) => {
    await client.query(fs.readFileSync(path.join(REFERENCE, 'postgres/schema.sql'), 'utf8'));
    for (const entity of ENTITIES) {
      await copyFile(client, `COPY ${entity} (${warehouseColumns(entity).join(', ')}) FROM STDIN WITH (FORMAT csv, HEADER true)`, path.join(staged, `${entity}.csv`));
    }
    await client.query(fs.readFileSync(path.join(REFERENCE, 'postgres/indexes.sql'), 'utf8'));
  });
  return url;
}

// ---------------------------------------------------------------------------------------------------
// The reference query sets take $1 as-of date, $2 timezone, $3 churn window, $4 excluded statuses.

function referenceSql(dialect, file) {
  const list = PARAMS.excludedOrderStatuses.map((status) => `'${status}'`).join(', ');
  const values = { 1: `'${PARAMS.asOf}'`, 2: `'${PARAMS.timezone}'`, 3: String(PARAMS.churnWindowDays), 4: dialect === 'duckdb' ? `[${list}]` : `ARRAY[${list}]` };
  return fs
    .readFileSync(path.join(REFERENCE, dialect, `${file}.sql`), 'utf8')
    .replace(/\$([1-4])(?!\d)/g, (_, n) => values[n])
    .replace(/;\s*$/, '');
}

const OUTPUTS = ['customer_kpis', 'product_kpis', 'metric_series'];

async function runReferenceDuckDb(warehouse, outDir) {
  const timings = {};
  let rows = 0;
  for (const file of OUTPUTS) {
    const started = performance.now();
    const result = await warehouse.exportQuery(TENANT, referenceSql('duckdb', file), { label: `reference.${file}`, destination: path.join(outDir, `${file}.csv`) });
    timings[file] = ms(started);
    if (file === 'customer_kpis') rows = result.rows;
  }
  return { total: Object.values(timings).reduce((a, b) => a + b, 0), timings, customerRows: rows };
}

async function runReferencePostgres(url, outDir) {
  return sql(url, async (client) => {
    await client.query('SET TIME ZONE UTC');
    const timings = {};
    for (const file of OUTPUTS) {
      const started = performance.now();
      const out = client.query(copyStreams.to(`COPY (${referenceSql('postgres', file)}) TO STDOUT WITH (FORMAT csv, HEADER true)`));
      await pipeline(out, fs.createWriteStream(path.join(outDir, `${file}.csv`)));
      timings[file] = ms(started);
    }
    return { total: Object.values(timings).reduce((a, b) => a + b, 0), timings };
  });
}

async function runPulseCompute(warehouse, outDir) {
  const started = performance.now();
  const outputs = await computeKpis(warehouse, TENANT, PARAMS, outDir);
  const total = ms(started);
  return { total, outputs, timings: Object.fromEntries(OUTPUTS.map((label) => [label, outputs.timings[label]])) };
}

/** The service's write-back (writeBackKpis in one transaction, as RunTenantMetricsUseCase runs it). */
async function runWriteBack(tenantUrl, outputs) {
  return sql(tenantUrl, async (client) => {
    const { rows } = await client.query(`INSERT INTO metric_runs (status, reason, as_of) VALUES ('running', 'manual', $1) RETURNING id`, [AS_OF]);
    const started = performance.now();
    await client.query('BEGIN');
    const result = await writeBackKpis(client, {
      runId: rows[0].id,
      asOf: AS_OF,
      customerKpis: outputs.customerKpis,
      productKpis: outputs.productKpis,
      metricSeries: outputs.metricSeries,
      scorecard: { version: null, definition: DEFAULT_SCORECARD },
    });
    await client.query('COMMIT');
    return { total: ms(started), result };
  });
}

/**
 * The floors for the write-back: the customer_kpis rows the write-back produced, COPYed from a file into
 * an empty table like customer_kpis with its indexes and its foreign key to customers (`total`: what it
 * costs to put the rows where the API reads them), and into an empty table of its columns alone, no
 * index, no key (`unindexed`: the floor the ingestion benchmark calls plain COPY).
 */
async function runPlainCopy(tenantUrl, scratch) {
  const file = path.join(scratch, 'customer_kpis_rows.csv');
  return sql(tenantUrl, async (client) => {
    await pipeline(client.query(copyStreams.to('COPY customer_kpis TO STDOUT WITH (FORMAT csv)')), fs.createWriteStream(file));
    const timeCopy = async (create) => {
      await client.query('DROP TABLE IF EXISTS bench_plain_copy');
      for (const statement of create) await client.query(statement);
      await client.query('CHECKPOINT');
      const started = performance.now();
      await copyFile(client, 'COPY bench_plain_copy FROM STDIN WITH (FORMAT csv)', file);
      const total = ms(started);
      const { rows } = await client.query('SELECT count(*)::int AS n FROM bench_plain_copy');
      await client.query('DROP TABLE bench_plain_copy');
      return { total, rows: rows[0].n };
    };
    const indexed = await timeCopy([
      'CREATE TABLE bench_plain_copy (LIKE customer_kpis INCLUDING ALL)',
      'ALTER TABLE bench_plain_copy ADD FOREIGN KEY (customer_id) REFERENCES customers (id)',
    ]);
    const unindexed = await timeCopy(['CREATE TABLE bench_plain_copy (LIKE customer_kpis)']);
    return { total: indexed.total, unindexed: unindexed.total, rows: indexed.rows };
  });
}

// ---------------------------------------------------------------------------------------------------

function writeDoc(markdown) {
  const doc = path.join(ROOT, 'docs/benchmarks.md');
  const text = fs.readFileSync(doc, 'utf8');
  const start = text.indexOf('\n## Metrics\n');
  let updated;
  if (start === -1) updated = `${text.trimEnd()}\n\n${markdown}`;
  else {
    const next = text.indexOf('\n## ', start + 1);
    updated = `${text.slice(0, start)}\n${markdown}${next === -1 ? '' : `\n${text.slice(next + 1)}`}`;
  }
  fs.writeFileSync(doc, `${updated.trimEnd()}\n`);
}

async function main() {
  const raw = generate();
  const staged = await stage(raw);
  const rowCounts = Object.fromEntries(ENTITIES.map((entity) => [entity, Number(execFileSync('wc', ['-l', path.join(staged, `${entity}.csv`)]).toString().trim().split(/\s+/)[0]) - 1]));
  log(`rows: ${JSON.stringify(rowCounts)}`);

  const postgres = await startPostgres('bench-metrics-postgres');
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-bench-metrics-'));
  const warehouse = createDuckDbWarehouse({ directory: path.join(runDir, 'warehouse') });
  try {
    const { rows: version } = await sql(postgres.adminUrl, (c) => c.query('SHOW server_version'));
    log('loading the warehouse (applyPendingLoads of the staged files)');
    let started = performance.now();
    for (const entity of ENTITIES) {
      await warehouse.appendStaged({ tenant: TENANT, entity, importId: randomUUID(), mode: 'replace', objectUri: pathToFileURL(path.join(staged, `${entity}.csv`)).href });
    }
    await warehouse.applyPendingLoads(TENANT);
    const warehouseLoadMs = ms(started);
    log(`warehouse loaded in ${seconds(warehouseLoadMs)} s; preparing PostgreSQL (tenant database, reference tables)`);
    started = performance.now();
    const tenantUrl = await prepareTenantDatabase(postgres.adminUrl, staged);
    const referenceUrl = await prepareReferenceDatabase(postgres.adminUrl, staged);
    log(`PostgreSQL ready in ${seconds(ms(started))} s`);

    const results = { pulse: [], duck: [], pg: [], writeBack: [], copy: [], unindexedCopy: [] };
    let last;
    for (let round = 1; round <= ROUNDS; round += 1) {
      const dir = (name) => fs.mkdtempSync(path.join(runDir, `${name}-`));
      log(`round ${round}/${ROUNDS}: metric catalog (computeKpis)`);
      const pulse = await runPulseCompute(warehouse, dir('pulse'));
      log(`  ${seconds(pulse.total)} s; (a) hand-written DuckDB`);
      const duck = await runReferenceDuckDb(warehouse, dir('duck'));
      log(`  ${seconds(duck.total)} s; (b) PostgreSQL`);
      const pgRef = await runReferencePostgres(referenceUrl, dir('pg'));
      log(`  ${seconds(pgRef.total)} s; write-back`);
      const writeBack = await runWriteBack(tenantUrl, pulse.outputs);
      log(`  ${seconds(writeBack.total)} s; plain COPY`);
      const copy = await runPlainCopy(tenantUrl, runDir);
      log(`  ${seconds(copy.total)} s; unindexed ${seconds(copy.unindexed)} s`);
      if (pulse.outputs.customerKpis.rows !== duck.customerRows) {
        throw new Error(`the catalog wrote ${pulse.outputs.customerKpis.rows} customer rows, the reference ${duck.customerRows}`);
      }
      results.pulse.push(pulse.total);
      results.duck.push(duck.total);
      results.pg.push(pgRef.total);
      results.writeBack.push(writeBack.total);
      results.copy.push(copy.total);
      results.unindexedCopy.push(copy.unindexed);
      last = { pulse, duck, pgRef, writeBack, copy };
    }

    const m = Object.fromEntries(Object.entries(results).map(([key, values]) => [key, median(values)]));
    const wb = last.writeBack.result;
    // The customer KPI rows' share of the write-back: scoring + staging, resolving ids, building the new
    // customer_kpis beside the live one (insert, indexes, foreign key, ANALYZE) and swapping it in. The
    // health history insert is reported on its own line.
    const customerPart = ['write_back.stage.customer_kpis', 'write_back.resolve_customers', 'write_back.customer_kpis', 'write_back.swap'].reduce((sum, label) => sum + (wb.timings[label] ?? 0), 0);
    // From the KPI tables' lock to the last insert: what a reader of them may wait for.
    const readersWait = ['write_back.lock_kpi_tables', 'write_back.swap', 'write_back.truncate', 'write_back.product_kpis', 'write_back.metric_series'].reduce((sum, label) => sum + (wb.timings[label] ?? 0), 0);
    const per = (timings, label) => seconds(timings[label] ?? 0);
    const markdown = `## Metrics

Measured ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), Node ${process.version}, PostgreSQL ${version[0].server_version} (${postgres.adminUrl.includes('127.0.0.1:5432') ? "the machine's server" : 'embedded or DATABASE_URL'}), DuckDB (@duckdb/node-api), the machine shared with other work (1-minute load average ${os.loadavg()[0].toFixed(1)} at the end).

Command: \`BENCH_CUSTOMERS=${CUSTOMERS} npm run bench:metrics\` (\`node tools/bench/metrics-bench.mjs [--rounds n] [--no-doc]\`), ${ROUNDS} round(s): totals are the median of the rounds, step timings those of the last round.

Tenant (tools/datagen, as of ${AS_OF}, staged like ingestion stages it): ${Object.entries(rowCounts).map(([entity, n]) => `${n.toLocaleString('en-US')} ${entity}`).join(', ')}.
Loading the warehouse (applyPendingLoads of the four staged files) took ${seconds(warehouseLoadMs)} s; it is not part of a refresh.

Compute (all three KPI files: customer KPIs, product KPIs, tenant series), each exported to CSV:

| query set | customer_kpis s | product_kpis s | metric_series s | total s | vs metric catalog |
| --- | ---: | ---: | ---: | ---: | ---: |
| metric catalog (computeKpis, DuckDB) | ${per(last.pulse.timings, 'customer_kpis')} | ${per(last.pulse.timings, 'product_kpis')} | ${per(last.pulse.timings, 'metric_series')} | ${seconds(m.pulse)} | — |
| (a) hand-written DuckDB | ${per(last.duck.timings, 'customer_kpis')} | ${per(last.duck.timings, 'product_kpis')} | ${per(last.duck.timings, 'metric_series')} | ${seconds(m.duck)} | ${ratio(m.pulse, m.duck)} of (a) |
| (b) hand-written PostgreSQL | ${per(last.pgRef.timings, 'customer_kpis')} | ${per(last.pgRef.timings, 'product_kpis')} | ${per(last.pgRef.timings, 'metric_series')} | ${seconds(m.pg)} | ${ratio(m.pg, m.pulse)} faster |

Write-back of the run (${wb.rowCounts.customer_kpis.toLocaleString('en-US')} customer KPI rows scored with the default scorecard, ${wb.rowCounts.health_scores.toLocaleString('en-US')} health history rows, ${wb.rowCounts.product_kpis.toLocaleString('en-US')} product rows, ${wb.rowCounts.metric_series.toLocaleString('en-US')} series rows), one transaction:

| step | s |
| --- | ---: |
| score health + COPY customer KPIs into staging | ${per(wb.timings, 'write_back.stage.customer_kpis')} |
| COPY product KPIs, series into staging | ${seconds((wb.timings['write_back.stage.product_kpis'] ?? 0) + (wb.timings['write_back.stage.metric_series'] ?? 0))} |
| count unknown customers | ${per(wb.timings, 'write_back.unknown_customers')} |
| resolve customer ids next to the previous scores | ${per(wb.timings, 'write_back.resolve_customers')} |
| INSERT health_scores history (invisible until COMMIT: no reader waits for it) | ${per(wb.timings, 'write_back.health_scores')} |
| build the new customer_kpis beside the live one: INSERT, indexes, foreign key, ANALYZE (readers read the live one) | ${per(wb.timings, 'write_back.customer_kpis')} |
| lock the KPI tables (ACCESS EXCLUSIVE, 200 ms attempts) | ${per(wb.timings, 'write_back.lock_kpi_tables')} |
| swap customer_kpis in by renames | ${per(wb.timings, 'write_back.swap')} |
| TRUNCATE product_kpis, metric_series; INSERT them | ${seconds((wb.timings['write_back.truncate'] ?? 0) + (wb.timings['write_back.product_kpis'] ?? 0) + (wb.timings['write_back.metric_series'] ?? 0))} |
| customer KPI rows: scoring, staging, resolving, building, swapping | ${seconds(customerPart)} |
| of which readers of the KPI tables may wait (their lock to the last INSERT) | ${seconds(readersWait)} |
| **write-back total** | **${seconds(m.writeBack)}** |
| COPY of the same ${last.copy.rows.toLocaleString('en-US')} customer_kpis rows into an empty copy of the table (same indexes, foreign key, maintained row by row) | ${seconds(m.copy)} |
| plain COPY of those rows into an unindexed table of the same columns (the ingestion benchmark's floor) | ${seconds(m.unindexedCopy)} |

Targets (issue 7):

| target | result |
| --- | --- |
| refresh compute within 1.5x of (a) | ${m.pulse <= 1.5 * m.duck ? '**met**' : '**not met**'}: ${ratio(m.pulse, m.duck)} |
| at least 5x faster than (b) | ${m.pg >= 5 * m.pulse ? '**met**' : '**not met**'}: ${ratio(m.pg, m.pulse)} |
| write-back of the customer KPI rows within 2x of a COPY of the same rows into the indexed table | ${customerPart <= 2 * m.copy ? '**met**' : '**not met**'}: ${ratio(customerPart, m.copy)} (the whole write-back, health history, products and series included: ${ratio(m.writeBack, m.copy)}) |
| the same, against a plain COPY into an unindexed table | ${customerPart <= 2 * m.unindexedCopy ? '**met**' : '**not met**'}: ${ratio(customerPart, m.unindexedCopy)} |

Reading the figures:

- Absolute times depend heavily on what else runs on the 2 cores (the load average is printed above);
  compare the ratios within the run.
- The catalog's statements compute far more than those three queries (RFM quintiles over all customers,
  exact per-SKU median reorder intervals, ten series metrics at three grains over the whole history);
  product_kpis (the medians) costs most in every engine. The catalog against (a) isolates the overhead
  of the generated SQL; (a) against (b) shows what DuckDB gains over PostgreSQL on these definitions.
- The write-back inserts the rows into a new customer_kpis, built beside the live one inside its
  transaction, and only then adds its secondary indexes and its foreign key (one sorted build
  each), which is why it beats a plain COPY that maintains them row by row; readers keep reading the live
  table meanwhile and wait only for the swap. Its largest step is the health history: one row per customer per
  run into an append-only table whose foreign keys and indexes must be maintained row by row.
- Issue 7 asks for the write-back within 2x of "a plain COPY of the same rows". Both readings are
  reported: a COPY into the table the API reads (its indexes and key kept), and a COPY into a bare table
  of the same columns, which skips everything that makes the rows readable (the ingestion benchmark's
  floor): ${customerPart <= 2 * m.copy ? 'met' : 'not met'} against the first, ${customerPart <= 2 * m.unindexedCopy ? 'met' : 'not met'} against the second.
`;
    process.stdout.write(`\n${markdown}\n`);
    if (!flag('no-doc')) {
      writeDoc(markdown);
      log('docs/benchmarks.md updated');
    }
  } finally {
    await warehouse.close();
    if (!flag('keep')) {
      await sql(postgres.adminUrl, async (admin) => {
        for (const name of [TENANT_DB, REFERENCE_DB]) await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
      }).catch(() => undefined);
    }
    fs.rmSync(runDir, { recursive: true, force: true });
    await postgres.stop();
  }
}

await main();
