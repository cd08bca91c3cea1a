// `npm run bench:api`: the public API against its floor (issue 5, "Performance").
//
// On a tenant with 1M customers, runs autocannon at 50 connections against the built api and against a
// bare Fastify + pg server that runs the same SQL (no auth, no Nest, no DTO mapping), side by side in
// one run, and writes the numbers to docs/benchmarks.md. The machine is small and shared, so what
// matters are the ratios within one run, not the absolute figures.
//
//   node tools/bench/api-bench.mjs [--reseed] [--duration 15] [--connections 50] [--rounds 2] [--pool 5] [--no-doc] [--profile] [--only <case>]
//
// Needs `nx run api:build` first: it starts dist/apps/api/main.js and reuses the compiled SQL builder,
// tenancy and crypto code from dist, so the bench measures exactly what ships.
import autocannon from 'autocannon';
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import pg from 'pg';
import { createControlPlane, freePort, ROOT, sql, startChild, startPostgres, urlFor } from './bench-kit.mjs';

// API_BENCH_DIST: another build of the api to measure (e.g. a copy with one change, for an A/B run).
const DIST = process.env.API_BENCH_DIST ? path.resolve(process.env.API_BENCH_DIST) : path.join(ROOT, 'dist/apps/api');
const require = createRequire(import.meta.url);
const fromDist = (file) => require(path.join(DIST, file));

const CUSTOMERS = 1_000_000;
const SLUG = 'pulse-bench';
const TENANT_DB = 'tenant_pulse_bench'; // named as the registry names tenant databases and roles
const CONTROL_DB = 'pulse_bench_control_plane';
const LIST_QUERY = { healthBand: 'red', sort: '-revenue90d', limit: '50' };
const LIST_PATH = `/v1/customers?${new URLSearchParams(LIST_QUERY)}`;

const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const option = (name, fallback) => (args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) : fallback);
// The api's per-tenant pool and the bare pool get the same number of connections (`--pool n`): by default
// the api's own default (TENANT_POOL_PER_TENANT, 5), as deployed. On 2 cores, 20 connections gave both
// servers longer tails (docs/benchmarks.md, "API").
const POOL_SIZE = option('pool', 5);

/**
 * The statements GET /v1/customers runs for LIST_QUERY, built by the api's own compiled code: per
 * keyset segment and row count still wanted, the text and the name the api prepares it under.
 */
function listSql() {
  const { parseCustomerListQuery } = fromDist('apps/api/src/customers/customer-list.query.js');
  const { buildCustomerListSql } = fromDist('apps/api/src/customers/customer-list.sql.js');
  const { segmentsAfter } = fromDist('apps/api/src/customers/keyset-pagination.js');
  const { listStatementName } = fromDist('apps/api/src/customers/list-statement.js');
  const spec = parseCustomerListQuery(LIST_QUERY);
  const built = new Map();
  const statement = (segment, wanted) => {
    const key = `${segment}:${wanted}`;
    if (!built.has(key)) {
      const { text, values } = buildCustomerListSql(spec, segment, wanted);
      built.set(key, { name: listStatementName(text), text, values });
    }
    return built.get(key);
  };
  return { limit: spec.limit, segments: segmentsAfter(spec.sort, spec.cursor), statement };
}

// ---------------------------------------------------------------------------------------------------
// The floor: started as `api-bench.mjs --bare-server` in its own process, like the api.

async function bareServer() {
  // The api's V8 setting (apps/api/src/main.ts), so that both servers run on the same runtime.
  v8.setFlagsFromString('--no-allocation-site-pretenuring');
  const { default: Fastify } = await import('fastify');
  const { CUSTOMER_DETAIL_QUERY } = fromDist('apps/api/src/customers/customer-detail.sql.js');
  const pool = new pg.Pool({ connectionString: process.env.BENCH_TENANT_URL, max: POOL_SIZE });
  const list = listSql();
  const app = Fastify({ logger: false });
  app.get('/v1/customers', async () => {
    // Same segment loop as readKeysetPage: later segments only while the page is not full.
    const rows = [];
    for (const segment of list.segments) {
      rows.push(...(await pool.query(list.statement(segment, list.limit + 1 - rows.length))).rows);
      if (rows.length > list.limit) break;
    }
    return { items: rows.slice(0, list.limit) };
  });
  app.get('/v1/customers/:externalId', async (request, reply) => {
    // The statement of CustomersController.get (named, so prepared once per connection, as there).
    const { rows } = await pool.query({ ...CUSTOMER_DETAIL_QUERY, values: [request.params.externalId] });
    if (!rows[0]) return reply.code(404).send({ code: 'not_found' });
    return rows[0];
  });
  await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
  // An orderly exit, so that --profile's CPU profile is written.
  process.once('SIGTERM', () => process.exit(0));
}

// ---------------------------------------------------------------------------------------------------
// PostgreSQL, control plane, tenant, seed.

/** The tenant database, made like the registry (and api.int-kit seedTenant) makes one; reused across runs. */
async function ensureTenantDatabase(adminUrl, password, reseed) {
  const { escapeIdentifier: id, escapeLiteral: lit } = pg;
  const tenantUrl = urlFor(adminUrl, { username: TENANT_DB, password, pathname: `/${TENANT_DB}` });
  const existing = await sql(adminUrl, async (admin) => {
    if (reseed) {
      await admin.query(`DROP DATABASE IF EXISTS ${id(TENANT_DB)} WITH (FORCE)`);
      await admin.query(`DROP ROLE IF EXISTS ${id(TENANT_DB)}`);
    }
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [TENANT_DB]);
    if (rowCount) {
      // A fresh password every run: it is encrypted with this run's PULSE_SECRETS_KEY.
      await admin.query(`ALTER ROLE ${id(TENANT_DB)} PASSWORD ${lit(password)}`);
      return true;
    }
    await admin.query(`CREATE ROLE ${id(TENANT_DB)} LOGIN PASSWORD ${lit(password)}`);
    await admin.query(`CREATE DATABASE ${id(TENANT_DB)} OWNER ${id(TENANT_DB)}`);
    await admin.query(`REVOKE ALL ON DATABASE ${id(TENANT_DB)} FROM PUBLIC`);
    return false;
  });
  if (existing) {
    const count = await sql(tenantUrl, async (db) => Number((await db.query('SELECT count(*) FROM customers')).rows[0].count)).catch(() => 0);
    if (count === CUSTOMERS) {
      // A seed from an older schema gets the migrations added since (e.g. new indexes), as a tenant would.
      const report = await migrateTenant(tenantUrl);
      if (report.applied.length > 0) console.log(`applied ${report.applied.join(', ')} to the seeded tenant`);
      // A seed from before the customer read returned health contributions has no health history yet.
      const seededHistory = await sql(tenantUrl, seedHealthHistory);
      if (report.applied.length > 0 || seededHistory) await sql(tenantUrl, (db) => db.query('ANALYZE'));
      return tenantUrl;
    }
    console.log(`tenant database has ${count} customers, not ${CUSTOMERS}: rebuilding (or pass --reseed)`);
    return ensureTenantDatabase(adminUrl, password, true);
  }
  await sql(urlFor(adminUrl, { pathname: `/${TENANT_DB}` }), (db) => db.query(`ALTER SCHEMA public OWNER TO ${id(TENANT_DB)}`));
  await migrateTenant(tenantUrl);
  await seed(tenantUrl);
  return tenantUrl;
}

async function migrateTenant(tenantUrl) {
  const { migrateTenantDatabase } = fromDist('libs/tenancy/src/index.js');
  const report = await migrateTenantDatabase({ tenantId: SLUG, connectionString: tenantUrl });
  if (report.status !== 'ok') throw new Error(`tenant schema failed: ${report.error}`);
  return report;
}

async function seed(tenantUrl) {
  const started = Date.now();
  console.log(`seeding ${CUSTOMERS.toLocaleString('en')} customers (once; reused by later runs)...`);
  await sql(tenantUrl, async (db) => {
    await db.query("SET maintenance_work_mem = '256MB'");
    // Building secondary indexes once after the load is several times faster than maintaining two dozen of
    // them row by row; their definitions come from the catalog, so they stay the migrations' own.
    const { rows: indexes } = await db.query(
      `SELECT indexname, indexdef FROM pg_indexes
        WHERE schemaname = 'public' AND tablename IN ('customers', 'customer_kpis') AND indexname NOT LIKE '%\\_pkey'`,
    );
    for (const { indexname } of indexes) await db.query(`DROP INDEX ${pg.escapeIdentifier(indexname)}`);
    await db.query('SELECT setseed(0.42)'); // the same data on every machine
    await db.query(
      `INSERT INTO customers (id, external_id, name, email, segment, plan, owner, customer_since, custom)
       SELECT g, 'cus_' || lpad(g::text, 7, '0'),
              (ARRAY['Acme','Globex','Initech','Umbrella','Hooli','Stark','Wayne','Tyrell','Wonka','Soylent'])[1 + g % 10]
                || ' ' || (ARRAY['Labs','Foods','Retail','Systems','Group','Outdoors','Health','Media'])[1 + (g / 10) % 8] || ' ' || g,
              'ops' || g || '@example.com',
              (ARRAY['enterprise','mid-market','smb','smb','smb'])[1 + (random() * 4)::int],
              (ARRAY['basic','pro','pro','premium'])[1 + (random() * 3)::int],
              'owner' || (g % 40) || '@pulse.test',
              date '2018-01-01' + (random() * 2500)::int,
              jsonb_build_object('plan', (ARRAY['bronze','silver','gold','platinum'])[1 + (random() * 3)::int],
                                 'employees', (10 ^ (1 + random() * 3))::int)
         FROM generate_series(1, $1::int) g`,
      [CUSTOMERS],
    );
    await db.query("SELECT setval(pg_get_serial_sequence('customers', 'id'), $1::int)", [CUSTOMERS]);
    // Skewed like real books: most revenue from few customers, a tail that has not ordered lately;
    // bands follow scores (red < 40 <= yellow < 70 <= green), about a third red.
    await db.query(
      `INSERT INTO customer_kpis (customer_id, orders_count, first_order_at, last_order_at, days_since_last_order,
         revenue_total, revenue_30d, revenue_90d, revenue_365d, aov, rfm_recency, rfm_frequency, rfm_monetary,
         rfm_segment, mrr, last_nps, open_tickets, active_30d, health_score, health_band, health_trend, as_of, run_id)
       SELECT id, orders, now() - (days + 400) * interval '1 day', now() - days * interval '1 day', days,
              r90 * 5, r90 / 3, r90, r90 * 4, CASE WHEN orders > 0 THEN round(r90 * 4 / orders, 2) END,
              5 - least(days, 364) / 73, 1 + least(orders, 49) / 10, 1 + (random() * 4)::int,
              (ARRAY['champions','loyal','at_risk','hibernating','new'])[1 + (random() * 4)::int],
              round((r90 / 3)::numeric, 2), (random() * 10)::int, (random() ^ 4 * 6)::int, days < 30,
              score, (CASE WHEN score < 40 THEN 'red' WHEN score < 70 THEN 'yellow' ELSE 'green' END)::health_band,
              (ARRAY['improving','stable','stable','declining'])[1 + (random() * 3)::int]::health_trend,
              current_date, $1::uuid
         FROM (SELECT id, (random() ^ 2 * 365)::int AS days, (1 + random() ^ 2 * 60)::int AS orders,
                      round((random() ^ 3 * 50000)::numeric, 2) AS r90, least(100, (random() * 110)::int) AS score
                 FROM customers) s`,
      [randomUUID()],
    );
    for (const { indexdef } of indexes) await db.query(indexdef);
    await seedHealthHistory(db);
    await db.query('ANALYZE');
  });
  console.log(`seeded in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/**
 * The health history row of the run customer_kpis holds, for every scored customer, with the default
 * scorecard's three contributions: what the single read's statement looks up (the customer's
 * health.contributions). Skipped when the tenant has history already; returns whether it added any.
 */
async function seedHealthHistory(db) {
  if ((await db.query('SELECT 1 FROM health_scores LIMIT 1')).rowCount) return false;
  console.log('seeding the health history of the KPI run...');
  await db.query(
    `INSERT INTO metric_runs (id, status, reason, as_of, started_at, finished_at)
     SELECT DISTINCT run_id, 'succeeded'::metric_run_status, 'bench seed', as_of, now(), now() FROM customer_kpis
     ON CONFLICT (id) DO NOTHING`,
  );
  await db.query(
    `INSERT INTO health_scores (customer_id, run_id, score, band, trend, contributions)
     SELECT customer_id, run_id, health_score, health_band, health_trend,
            jsonb_build_array(
              jsonb_build_object('measure', 'daysSinceLastOrder', 'value', days_since_last_order, 'weight', 0.5,
                                 'score', CASE WHEN days_since_last_order <= 30 THEN 100 WHEN days_since_last_order <= 90 THEN 60 ELSE 0 END,
                                 'points', round(health_score * 0.5)),
              jsonb_build_object('measure', 'revenue90d', 'value', revenue_90d, 'weight', 0.3,
                                 'score', least(100, round(revenue_90d / 10, 2)), 'points', round(health_score * 0.3)),
              jsonb_build_object('measure', 'orders', 'value', orders_count, 'weight', 0.2,
                                 'score', CASE WHEN orders_count >= 10 THEN 100 WHEN orders_count >= 3 THEN 60 ELSE 20 END,
                                 'points', health_score - round(health_score * 0.5) - round(health_score * 0.3)))
       FROM customer_kpis WHERE health_score IS NOT NULL`,
  );
  return true;
}

// ---------------------------------------------------------------------------------------------------
// Processes and load.

async function waitFor(url, headers) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const response = await fetch(url, { headers });
      if (response.ok) return;
      if (Date.now() > deadline) throw new Error(`${url}: HTTP ${response.status} ${await response.text()}`);
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await sleep(250);
  }
}

/** Clock ticks per second of /proc's CPU times (100 on Linux as built). */
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100;
  } catch {
    return 100;
  }
})();

/**
 * CPU time (user + system) a process has used so far, in microseconds, from /proc (Linux); undefined
 * elsewhere. Per request, it says what a server costs independently of how busy the shared machine was.
 */
function cpuMicros(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** CPU time so far of every PostgreSQL process on this machine (its backends serve both servers' queries), by pid. */
function postgresCpuSnapshot() {
  const snapshot = new Map();
  for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres') snapshot.set(pid, cpuMicros(pid) ?? 0);
    } catch {
      // the process ended between listing and reading
    }
  }
  return snapshot;
}

/**
 * PostgreSQL's CPU time between two snapshots, process by process: a pool closes idle connections, so
 * the other server's backends may end during a run and must not count as negative time.
 */
function postgresCpuBetween(before, after) {
  let total = 0;
  for (const [pid, cpu] of after) total += cpu - (before.get(pid) ?? 0);
  return total;
}

/** CPU time of this process so far (autocannon runs in it): what the load generator takes from the shared cores. */
function ownCpuMicros() {
  const { user, system } = process.cpuUsage();
  return user + system;
}

function load(url, { headers = {}, ids, duration, connections }) {
  // Single reads pick a random id from a fixed list per request, so both servers see the same mix.
  const requests = ids ? [{ setupRequest: (request) => ({ ...request, path: `/v1/customers/${ids[Math.floor(Math.random() * ids.length)]}` }) }] : undefined;
  return autocannon({ url, connections, duration, headers, requests });
}

/**
 * Median per call, in microseconds, of what TenantAuthGuard asks TenantResolver (warm cache): the key
 * alone, and key + host for a tenant host and for a host that is not a tenant's (the bare API host,
 * and what the load test sends: 127.0.0.1).
 */
async function authPathMicros(controlUrl, apiKey) {
  const { TenantResolver } = fromDist('libs/tenancy/src/index.js');
  const pool = new pg.Pool({ connectionString: controlUrl, max: 2 });
  const resolver = new TenantResolver(pool, { baseDomain: 'pulse.localhost', cacheTtlMs: 600_000 });
  const guard = (host) => async () => {
    await resolver.resolveApiKey(apiKey);
    await resolver.resolveHost(host);
  };
  const measure = async (call) => {
    await call(); // warms the cache
    const batches = [];
    for (let batch = 0; batch < 20; batch++) {
      const started = process.hrtime.bigint();
      for (let i = 0; i < 200; i++) await call();
      batches.push(Number(process.hrtime.bigint() - started) / 1000 / 200);
    }
    return median(batches);
  };
  const result = {
    key: await measure(() => resolver.resolveApiKey(apiKey)),
    tenantHost: await measure(guard(`${SLUG}.pulse.localhost`)),
    otherHost: await measure(guard('127.0.0.1')),
  };
  await pool.end();
  return result;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

// ---------------------------------------------------------------------------------------------------

async function main() {
  const duration = option('duration', 15);
  const connections = option('connections', 50);
  const rounds = option('rounds', 2);
  // --only <case>: one case (e.g. with --profile, to look at a single route); no report, no document.
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
  const loadAverage = os.loadavg()[0];
  if (!fs.existsSync(path.join(DIST, 'main.js'))) throw new Error('dist/apps/api/main.js is missing: run `npx nx run api:build` first');

  const postgres = await startPostgres('bench-postgres');
  const password = randomBytes(18).toString('base64url');
  const { SecretBox } = fromDist('libs/platform/crypto/src/index.js');
  const secretsKey = SecretBox.generateKey();
  const tenantUrl = await ensureTenantDatabase(postgres.adminUrl, password, flag('reseed'));
  const control = await createControlPlane(postgres.adminUrl, {
    database: CONTROL_DB,
    slug: SLUG,
    plan: 'standard',
    scopes: '{read}',
    tenantUrl,
    password,
    box: SecretBox.fromBase64(secretsKey),
    issueApiKey: fromDist('libs/tenancy/src/index.js').issueApiKey,
  });
  const ids = await sql(tenantUrl, async (db) => (await db.query('SELECT external_id FROM customers ORDER BY random() LIMIT 1000')).rows.map((r) => r.external_id));
  const postgresVersion = await sql(postgres.adminUrl, async (db) => (await db.query('SHOW server_version')).rows[0].server_version);

  const [apiPort, barePort] = [await freePort(), await freePort()];
  // --profile: a V8 CPU profile of the api (open it in Chrome DevTools) to see where its time goes.
  const profileArgs = flag('profile') ? ['--cpu-prof', `--cpu-prof-dir=${path.join(ROOT, 'tmp/bench-profiles')}`] : [];
  const apiServer = startChild('api', [...profileArgs, path.join(DIST, 'main.js')], {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: String(apiPort),
    DATABASE_URL: control.controlUrl,
    PULSE_SECRETS_KEY: secretsKey,
    // Pub/Sub down on purpose: the api only retries its subscriptions in the background.
    PUBSUB_EMULATOR_HOST: '127.0.0.1:9',
    METADATA_SERVER_DETECTION: 'none',
    RATE_LIMIT_PLANS: JSON.stringify({ standard: { perSecond: 1_000_000, burst: 1_000_000 } }),
    TENANT_POOL_PER_TENANT: String(POOL_SIZE),
    TENANT_POOL_MAX_CONNECTIONS: String(POOL_SIZE),
  }, { stdout: 'inherit' });
  const bareServer = startChild('bare server', [...profileArgs, fileURLToPath(import.meta.url), '--bare-server'], { PORT: String(barePort), BENCH_TENANT_URL: tenantUrl }, { stdout: 'inherit' });
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const bareUrl = `http://127.0.0.1:${barePort}`;
  const auth = { authorization: `Bearer ${control.apiKey}` };

  const runs = [];
  try {
    await waitFor(`${apiUrl}${LIST_PATH}`, auth);
    await waitFor(`${bareUrl}${LIST_PATH}`);
    const api = (name, url, options) => ({ name, target: 'api', pid: apiServer.pid, url: `${apiUrl}${url}`, options: { ...options, headers: auth } });
    const floor = (name, url, options) => ({ name, target: 'bare', pid: bareServer.pid, url: `${bareUrl}${url}`, options });
    const pairs = [
      [api('list', LIST_PATH, { connections }), floor('list', LIST_PATH, { connections })],
      [api('single read', '', { ids, connections }), floor('single read', '', { ids, connections })],
      // One connection: no queueing, so the p50 difference is what the api adds to one request.
      [api('single read, 1 connection', '', { ids, connections: 1 }), floor('single read, 1 connection', '', { ids, connections: 1 })],
    ];
    if (only) pairs.splice(0, pairs.length, ...pairs.filter(([first]) => first.name === only));
    for (let round = 0; round < rounds; round++) {
      // The machine is shared and its load drifts: alternate which side goes first (ABBA).
      const order = pairs.flatMap((pair, i) => ((round + i) % 2 === 0 ? pair : [...pair].reverse()));
      for (const { name, target, pid, url, options } of order) {
        await load(url, { ...options, duration: 3 }); // warm-up: JIT, pools, caches
        const [cpuBefore, postgresBefore, generatorBefore] = [cpuMicros(pid), postgresCpuSnapshot(), ownCpuMicros()];
        const result = await load(url, { ...options, duration });
        const [cpuAfter, postgresAfter, generatorAfter] = [cpuMicros(pid), postgresCpuSnapshot(), ownCpuMicros()];
        const served = Math.max(1, result.requests.total);
        const cpu = cpuBefore === undefined || cpuAfter === undefined ? undefined : (cpuAfter - cpuBefore) / served;
        const postgresCpu = postgresCpuBetween(postgresBefore, postgresAfter) / served;
        const generatorCpu = (generatorAfter - generatorBefore) / served;
        const failed = result.non2xx + result.errors + result.timeouts;
        runs.push({ name, target, p50: result.latency.p50, p99: result.latency.p99, mean: result.latency.average, rps: result.requests.average, cpu, postgresCpu, generatorCpu, failed });
        console.log(
          `round ${round + 1} ${name} ${target}: p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ${result.requests.average} req/s` +
            `${cpu === undefined ? '' : `, server CPU ${cpu.toFixed(0)} µs/request`}, PostgreSQL ${postgresCpu.toFixed(0)} µs, load generator ${generatorCpu.toFixed(0)} µs` +
            ` (failed: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts)`,
        );
      }
    }
  } finally {
    await Promise.all([apiServer.stop(), bareServer.stop()]);
  }
  // Per case, the median of the rounds (each figure on its own).
  const results = [];
  for (const run of runs) {
    if (results.some((r) => r.name === run.name && r.target === run.target)) continue;
    const same = runs.filter((r) => r.name === run.name && r.target === run.target);
    const of = (field) => (same.some((r) => r[field] === undefined) ? undefined : median(same.map((r) => r[field])));
    results.push({ name: run.name, target: run.target, p50: of('p50'), p99: of('p99'), mean: of('mean'), rps: of('rps'), cpu: of('cpu'), postgresCpu: of('postgresCpu'), generatorCpu: of('generatorCpu'), failed: same.reduce((n, r) => n + r.failed, 0) });
  }
  const authMicros = await authPathMicros(control.controlUrl, control.apiKey);
  await control.drop();
  await postgres.stop();

  const machine = { date: new Date().toISOString(), nproc: os.availableParallelism(), cpu: os.cpus()[0]?.model, node: process.version, postgresVersion, postgres: postgres.kind, loadAverage };
  if (only) return;
  const report = render(results, authMicros, machine, { duration, connections, rounds });
  console.log(`\n${report}`);
  if (!flag('no-doc')) writeDoc(report);
}

const ms = (value) => (value < 1 ? value.toFixed(3) : value < 10 ? value.toFixed(2) : value.toFixed(0));

function render(results, authMicros, machine, { duration, connections, rounds }) {
  const pair = (name) => ({ api: results.find((r) => r.name === name && r.target === 'api'), bare: results.find((r) => r.name === name && r.target === 'bare') });
  const rows = results.map((r) => {
    const { bare } = pair(r.name);
    const ratio = r.target === 'api' ? `${((r.rps / bare.rps) * 100).toFixed(0)}%` : '—';
    const micros = (value) => (value === undefined ? '—' : value.toFixed(0));
    return `| ${r.name} | ${r.target} | ${ms(r.p50)} | ${ms(r.p99)} | ${r.rps.toFixed(0)} | ${ratio} | ${micros(r.cpu)} | ${micros(r.postgresCpu)} | ${micros(r.generatorCpu)} | ${r.failed} |`;
  });
  const list = pair('list');
  const single = pair('single read');
  const serial = pair('single read, 1 connection');
  const apiCases = [list.api, single.api];
  const met = (ok) => (ok ? '**met**' : '**not met**');
  const p99Ok = apiCases.every((r) => r.p99 < 50);
  const rpsOk = [list, single].every(({ api, bare }) => api.rps >= 0.7 * bare.rps);
  const authOk = authMicros.otherHost < 1000 && authMicros.tenantHost < 1000;
  const added = 1000 / serial.api.rps - 1000 / serial.bare.rps;
  const us = (value) => `${value.toFixed(1)} µs`;
  const times = (a, b) => (a === undefined || b === undefined ? 'more than' : `${(a / b).toFixed(1)} times`);
  const perRequest = (r) => Math.round((r.cpu ?? 0) + r.postgresCpu + r.generatorCpu);
  const ceiling = (r) => Math.round((machine.nproc * 1e6) / perRequest(r)).toLocaleString('en');
  const floorLatency = (r) => ((connections * perRequest(r)) / (machine.nproc * 1000)).toFixed(0);
  return `## API

Measured ${machine.date.slice(0, 10)} on ${machine.nproc} cores (${machine.cpu}), Node ${machine.node}, PostgreSQL ${machine.postgresVersion} (${machine.postgres === 'server' ? "the machine's server" : 'embedded'}), the machine shared with other work (1-minute load average ${machine.loadAverage.toFixed(1)} at the start).

Command: \`npx nx run api:build && npm run bench:api -- --rounds ${rounds}\` (\`node tools/bench/api-bench.mjs [--reseed] [--duration s] [--connections n] [--rounds n] [--pool n] [--no-doc] [--profile] [--only <case>]\`;
\`--profile\` writes V8 CPU profiles of both servers to tmp/bench-profiles).

Setup: one tenant with ${CUSTOMERS.toLocaleString('en')} customers with KPIs (seeded once by the script with generate_series,
reused by later runs), the built api (\`NODE_ENV=production\`, \`LOG_LEVEL=warn\`, rate limits out of the way,
${POOL_SIZE} tenant connections) and a bare Fastify server running the same SQL with a plain \`pg\` pool of ${POOL_SIZE} (no auth,
no Nest, rows returned as they come: the floor), both with V8's allocation-site pretenuring off (the api sets it in
apps/api/src/main.ts, the bench in the floor's process). autocannon, ${connections} connections, 3 s warm-up then ${duration} s per case,
cases one after the other in one run, ${rounds} round(s) with the api and bare order alternated, each figure the median of the
rounds; the load generator, both servers and PostgreSQL share the ${machine.nproc} cores.

- list: \`GET ${LIST_PATH}\` (the plan reads the page straight off the (health_band, revenue_90d, customer_id) index of tenant migration 20261126160000, then 50 customers by primary key).
- single read: \`GET /v1/customers/{externalId}\`, a random id of 1,000 fixed ones per request (the route's one statement: the row, its KPIs, its aliases and the health contributions of the KPIs' run).

CPU columns: the CPU time (user + system, from /proc) used during the measured load divided by the requests served, by
the server process, by every PostgreSQL process on the machine (the bench's backends and any other work's) and by the load generator (autocannon, in the bench's process): what
one request costs each of them, whatever else the shared machine was doing. Their sum bounds the requests per second
the ${machine.nproc} cores can serve.

| case | server | p50 ms | p99 ms | req/s | api/bare req/s | server CPU µs/request | PostgreSQL CPU µs/request | load generator CPU µs/request | failed |
| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${rows.join('\n')}

Auth path (the api guards' calls to \`TenantResolver\`: \`TenantAuthGuard\`'s \`resolveApiKey\`, \`TenantHostGuard\`'s \`resolveHost\`; warm cache, median of 20 batches of 200 calls; a control-plane lookup on a cache miss is not measured):

| call | per call |
| --- | ---: |
| \`resolveApiKey\` | ${us(authMicros.key)} |
| \`resolveApiKey\` + \`resolveHost\`, tenant host (\`${SLUG}.pulse.localhost\`) | ${us(authMicros.tenantHost)} |
| \`resolveApiKey\` + \`resolveHost\`, not a tenant host (\`127.0.0.1\`, as in the load test; the bare API host likewise) | ${us(authMicros.otherHost)} |

A host that is no tenant's is remembered as such for the cache TTL (an earlier run of this benchmark found that
without it every request on the bare API host read the control plane, and some failed waiting for its small pool).

End to end, one request at a time (one connection: a request's latency is the inverse of the throughput; autocannon's own
latencies are whole milliseconds), the api's single read takes ${ms(1000 / serial.api.rps)} ms against the bare route's
${ms(1000 / serial.bare.rps)} ms: ${ms(added)} ms for all of Nest, auth, rate limiting, validation, DTO mapping, ETag and logging.

Targets (issue 5):

| target | result |
| --- | --- |
| p99 under 50 ms (api, ${connections} connections) | ${met(p99Ok)}: list ${list.api.p99} ms, single read ${single.api.p99} ms (the floor: list ${list.bare.p99} ms, single read ${single.bare.p99} ms) |
| at least 70% of the bare route's throughput | ${met(rpsOk)}: list ${((list.api.rps / list.bare.rps) * 100).toFixed(0)}%, single read ${((single.api.rps / single.bare.rps) * 100).toFixed(0)}% |
| tenant resolution and auth path under 1 ms | ${met(authOk)}: ${us(authMicros.tenantHost)} on a tenant host, ${us(authMicros.otherHost)} on another host (warm cache) |

What the profiles (\`--profile\`), the server CPU per request and A/B runs of modified builds (\`API_BENCH_DIST\`) show:

- Socket writes (\`writev\`: a query is one, a response another) are the largest item of both servers' profiles: about
  60% of the floor's CPU for a single read and a third of the api's (a profile of the single read, 2026-11-26). Both
  servers pay them equally.
- Single read: the api spends ${times(single.api.cpu, single.bare.cpu)} the floor's CPU per request. Request logging was the largest
  share until pino-http was replaced, then AsyncLocalStorage's promise hooks (both below); what remains is spread thin:
  Nest's router with its global guards (nine, most of them a property check on a GET) and a parameter pipe, the API key
  hash, the ETag, rate-limit headers, the tenant pool checkout and DTO mapping, none above about 10 µs. Nest itself is cheap:
  a Nest route with two global guards costs 34 µs against 25 µs for the same Fastify route (a separate experiment
  without database).
- List: the api spends ${times(list.api.cpu, list.bare.cpu)} the floor's CPU per page: parsing and validating the query and building its
  SQL (the strict query schema has 90 keys), serialising nested DTOs (about 40 µs more than flat rows), the ETag (SHA-256
  of 40 KB) and more garbage collection (DTO objects, and requests that stay in flight a little longer). PostgreSQL
  runs the page's statement prepared, with its generic plan (both servers: the floor runs the same named statement), and
  sends 51 rows of 37 columns.
- p99 at ${connections} connections is bound by how many pages per second the ${machine.nproc} shared cores can produce: a list page costs
  the machine ${perRequest(list.api)} µs of CPU through the api and ${perRequest(list.bare)} µs through the floor (server + PostgreSQL + load
  generator), at most ${ceiling(list.api)} and ${ceiling(list.bare)} pages/s; by Little's law the mean latency at ${connections} connections is then
  at least ${floorLatency(list.api)} and ${floorLatency(list.bare)} ms, and p99 is about twice the mean here. The floor's p99 is ${list.bare.p99} ms at ${perRequest(list.bare)} µs
  of machine CPU per page, the api's ${list.api.p99} ms at ${perRequest(list.api)} µs: p99 under 50 ms needs the api's page to cost the machine
  much closer to what the floor's does.

The changes measured along the way, and what was tried and not kept: "API: the measurements along the way" below.
`;
}

function writeDoc(section) {
  const file = path.join(ROOT, 'docs/benchmarks.md');
  const current = fs.existsSync(file)
    ? fs.readFileSync(file, 'utf8')
    : '# Benchmarks\n\nNumbers from the bench scripts (`npm run bench`). The machine is small and shared: compare the ratios\nwithin one run, not absolute figures across runs.\n\n';
  // Replace only this section, so other benches can keep theirs in the same file.
  const next = /^## API\n[\s\S]*?(?=^## |(?![\s\S]))/m.test(current) ? current.replace(/^## API\n[\s\S]*?(?=^## |(?![\s\S]))/m, `${section}\n`) : `${current}${section}`;
  fs.writeFileSync(file, next);
  console.log(`wrote ${path.relative(ROOT, file)}`);
}

if (flag('bare-server')) await bareServer();
else
  await main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
