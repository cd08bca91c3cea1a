#!/usr/bin/env node
// `npm start`: the whole platform on this machine, with embedded defaults (README.md, "What `npm start` brings up").
// Builds the services, starts PostgreSQL (embedded unless DATABASE_URL is set), migrates the control
// plane, starts every service as its own process, waits until each answers /readyz, prints where
// everything is, and on Ctrl-C/SIGTERM stops it all in order: services first, the database last.
//
// Environment: DATABASE_URL, PULSE_POSTGRES_PORT (54320), PULSE_DATA_DIR (.pulse), PULSE_OPERATOR_TOKEN,
// PUBSUB_EMULATOR_HOST (use that Pub/Sub instead of starting the project's emulator), PUBSUB_EMULATOR_PORT (8085),
// PULSE_SKIP_BUILD=1 (dist is already fresh, e.g. built by Nx first), PULSE_DEMO_CUSTOMERS (1000: the size
// of the demo tenant's generated data, loaded through POST /v1/imports; 0 skips it), and each service's
// port variable (services.mjs).
import crypto from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { setInterval } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { loadDemoData } from './demo-imports.mjs';
import { ensureDemoTenant } from './demo-tenant.mjs';
import { maskPassword, startControlPlaneDatabase } from './postgres.mjs';
import { createOutput, describeExit, runStep, startProcess } from './processes.mjs';
import { portFromEnv, servicePort, services } from './services.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const env = process.env;
const READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 15_000;
const DEFAULT_POSTGRES_PORT = 54320;
const DEFAULT_EMULATOR_PORT = 8085;
const EMULATOR_BUILD = 'pubsub-emulator';
const EMULATOR_ENTRY = path.join(root, 'dist', 'tools', 'pubsub-emulator', 'main.js');
const DATAGEN_BUILD = 'datagen';
const DATAGEN_ENTRY = path.join(root, 'dist', 'tools', 'datagen', 'main.js');
const DEFAULT_DEMO_CUSTOMERS = 1000;

const output = createOutput(['pulse', 'build', 'migrate', 'datagen', 'postgres', 'pubsub', ...services.map((service) => service.name)]);
const say = (text) => output.line('pulse', text);
const complain = (text) => output.line('pulse', text, process.stderr);

const state = { stopping: false, step: undefined, database: undefined, emulator: undefined, services: [] };

async function shutdown(exitCode, reason) {
  if (state.stopping) return;
  state.stopping = true;
  (exitCode === 0 ? say : complain)(reason);
  await state.step?.stop(STOP_TIMEOUT_MS);
  await Promise.all(state.services.map(({ process }) => process.stop(STOP_TIMEOUT_MS)));
  await state.emulator?.stop(STOP_TIMEOUT_MS);
  await state.database?.then((database) => database.stop(), () => {});
  say(exitCode === 0 ? 'Stopped.' : 'Stopped after the error above.');
  process.exit(exitCode);
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (state.stopping) say(`Still stopping (a service that hangs is killed after ${STOP_TIMEOUT_MS / 1000} s).`);
    else void shutdown(0, `${signal}: stopping everything.`);
  });
}

// `npm start` runs us under `sh -c`, and a SIGTERM sent to npm kills npm and sh without reaching us.
// Being re-parented is how we notice; then shut down as if signalled, rather than run on orphaned.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid && !state.stopping) void shutdown(0, 'The parent process (npm?) exited: stopping everything.');
}, 1_000).unref();

function isPortFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

// Checked up front: a port taken by another program would otherwise fail late, or worse, answer
// our /readyz poll in the service's place.
async function assertPortsFree(ports) {
  const taken = [];
  for (const { port, owner } of ports) if (!(await isPortFree(port))) taken.push(`${port} (${owner})`);
  if (taken.length > 0) throw new Error(`Port already in use: ${taken.join(', ')}. Stop what uses it or choose another port.`);
}

async function step(name, command, args, stepEnv = {}) {
  const startedAt = Date.now();
  await runStep({ name, command, args, cwd: root, env: { ...env, ...stepEnv }, output }, (started) => (state.step = started));
  state.step = undefined;
  output.line(name, `done in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
}

function distEntry(service) {
  return path.join(root, 'dist', 'apps', service.build, 'main.js');
}

async function build(withEmulator) {
  if (env.PULSE_SKIP_BUILD === '1') {
    const missing = [...services.map(distEntry), DATAGEN_ENTRY, ...(withEmulator ? [EMULATOR_ENTRY] : [])].filter((entry) => !existsSync(entry));
    if (missing.length > 0) throw new Error(`PULSE_SKIP_BUILD=1 but ${missing.map((m) => path.relative(root, m)).join(', ')} missing: build first.`);
    say('PULSE_SKIP_BUILD=1: using the services already built in dist/.');
    return;
  }
  const projects = [...services.map((service) => service.build), DATAGEN_BUILD, ...(withEmulator ? [EMULATOR_BUILD] : [])].join(',');
  say(`Building ${projects}...`);
  await step('build', 'npx', ['nx', 'run-many', '-t', 'build', '-p', projects, '--outputStyle=static']);
}

function startService(service, port, runtime) {
  const child = startProcess({
    name: service.name,
    command: process.execPath,
    args: [distEntry(service)],
    cwd: root,
    output,
    env: {
      ...env,
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: runtime.databaseUrl,
      PUBSUB_EMULATOR_HOST: runtime.pubsubEmulatorHost,
      ...service.env?.(runtime),
    },
  });
  void child.exited.then((result) => {
    if (!state.stopping) void shutdown(1, `${service.name} ${describeExit(result)} unexpectedly.`);
  });
  return child;
}

/** The project's Pub/Sub emulator (tools/pubsub-emulator), which the services reach via PUBSUB_EMULATOR_HOST. */
async function startEmulator(port) {
  const emulator = startProcess({
    name: 'pubsub',
    command: process.execPath,
    args: [EMULATOR_ENTRY, '--host', '127.0.0.1', '--port', String(port)],
    cwd: root,
    output,
    env,
  });
  state.emulator = emulator;
  void emulator.exited.then((result) => {
    if (!state.stopping) void shutdown(1, `The Pub/Sub emulator ${describeExit(result)} unexpectedly.`);
  });
  const deadline = Date.now() + 15_000;
  while (!(await isListening(port))) {
    if (state.stopping) return;
    if (Date.now() > deadline) throw new Error(`The Pub/Sub emulator did not listen on port ${port} within 15 s.`);
    await sleep(100);
  }
}

function isListening(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

function readyzStatus(port) {
  return new Promise((resolve, reject) => {
    // agent: false, so no kept-alive connection holds a service open while it shuts down.
    const request = http.get({ host: '127.0.0.1', port, path: '/readyz', agent: false, timeout: 2_000 }, (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    request.on('timeout', () => request.destroy(new Error('no answer within 2 s')));
    request.on('error', reject);
  });
}

async function waitUntilReady(started) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const notReady = [];
  await Promise.all(
    started.map(async ({ service, port }) => {
      let last = 'no answer yet';
      while (!state.stopping) {
        try {
          const status = await readyzStatus(port);
          if (status === 200) return;
          last = `GET /readyz answered ${status}`;
        } catch (error) {
          last = error.code === 'ECONNREFUSED' ? 'connection refused' : error.message;
        }
        if (Date.now() > deadline) {
          notReady.push(`${service.name} (${last})`);
          return;
        }
        await sleep(250);
      }
    }),
  );
  if (notReady.length > 0) throw new Error(`Not ready within ${READY_TIMEOUT_MS / 1000} s: ${notReady.join(', ')}. See its output above.`);
}

function displayPath(file) {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') ? file : relative;
}

/**
 * The key that encrypts tenant database passwords must outlive a run (the passwords are stored), so
 * it is generated once into the data folder unless PULSE_SECRETS_KEY is given.
 */
async function secretsKey(dataRoot) {
  if (env.PULSE_SECRETS_KEY) return env.PULSE_SECRETS_KEY;
  const file = path.join(dataRoot, 'secrets.key');
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  await mkdir(dataRoot, { recursive: true });
  const key = crypto.randomBytes(32).toString('base64');
  await writeFile(file, `${key}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return key;
}

function printSummary({ started, database, pubsubEmulatorHost, emulatorStarted, operatorToken, tokenFromEnv, demo, demoData, seconds }) {
  const row = (name, value, note = '') => `  ${name.padEnd(17)} ${value}${note ? `  ${note}` : ''}`;
  const lines = [
    '',
    output.bold(`Pulse is ready (${seconds} s):`),
    ...started.map(({ service, port }) => row(service.name, `http://127.0.0.1:${port}`, '(/healthz, /readyz)')),
    row('PostgreSQL', maskPassword(database.url), database.dataDir ? `(embedded, data in ${displayPath(database.dataDir)})` : '(DATABASE_URL)'),
    row('Pub/Sub', pubsubEmulatorHost, emulatorStarted ? '(project emulator; PUBSUB_EMULATOR_HOST for clients)' : '(PUBSUB_EMULATOR_HOST)'),
    tokenFromEnv
      ? row('operator token', '(from PULSE_OPERATOR_TOKEN)')
      : row('operator token', operatorToken, '(generated for this run; set PULSE_OPERATOR_TOKEN to choose one)'),
    row('demo tenant', demo.slug, demo.created ? '(created now)' : ''),
    row('demo API key', demo.apiKey, `(issued for this run; shown once${demo.revoked === 0 ? '' : demo.revoked === 1 ? '; the previous one is revoked' : `; the ${demo.revoked} earlier ones are revoked`})`),
    demoData.skipped
      ? row('demo data', `not loaded now (${demoData.skipped})`)
      : row('demo data', `${demoData.rows} rows loaded through POST /v1/imports`, demoData.rejected > 0 ? `(${demoData.rejected} rejected)` : ''),
    '',
    'Press Ctrl-C to stop.',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

// Issue 8 (docs/connectors.md): the demo tenant's database source. A small CRM database on the same
// PostgreSQL server plays the tenant's external system; the source syncs it into the demo tenant's
// customers every 5 minutes (incremental on updated_at), and once right away. A few accounts change on
// every start, so each run has something new to pull. Failing here never stops `npm start`.
const DEMO_SOURCE_NAME = 'Demo CRM (PostgreSQL)';
/**
 * The login the demo source reads demo_crm with: it may connect to that database and read its one table,
 * nothing else. Never the server's own login (a superuser): a source's tenant can edit its query and table,
 * and would read every database on the server with it, the control plane and other tenants included.
 */
const DEMO_SOURCE_LOGIN = 'pulse_demo_crm_reader';

async function ensureDemoSource(serverUrl, apiUrl, apiKey) {
  const { default: pg } = await import('pg');
  const withDatabase = async (name, work) => {
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end().catch(() => {});
    }
  };
  const adminDatabase = decodeURIComponent(new URL(serverUrl).pathname.slice(1)) || 'postgres';
  // A new password on every start: the source is given it below, and no other copy is kept.
  const readerPassword = crypto.randomBytes(24).toString('base64url');
  await withDatabase(adminDatabase, async (client) => {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = 'demo_crm'");
    if (rowCount === 0) await client.query('CREATE DATABASE demo_crm');
    const role = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [DEMO_SOURCE_LOGIN]);
    if (role.rowCount === 0) await client.query(`CREATE ROLE ${DEMO_SOURCE_LOGIN} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE`);
    await client.query(`ALTER ROLE ${DEMO_SOURCE_LOGIN} PASSWORD ${client.escapeLiteral(readerPassword)}`);
    await client.query(`REVOKE CONNECT ON DATABASE demo_crm FROM PUBLIC`);
    await client.query(`GRANT CONNECT ON DATABASE demo_crm TO ${DEMO_SOURCE_LOGIN}`);
  });
  await withDatabase('demo_crm', async (client) => {
    await client.query(`CREATE TABLE IF NOT EXISTS crm_accounts (
      account_id text PRIMARY KEY, company text NOT NULL, contact_email text, segment text, updated_at timestamptz NOT NULL DEFAULT now())`);
    await client.query(`INSERT INTO crm_accounts (account_id, company, contact_email, segment)
      SELECT 'crm-' || lpad(g::text, 3, '0'), 'CRM Account ' || g, 'contact' || g || '@example.com', (ARRAY['smb', 'mid-market', 'enterprise'])[1 + g % 3]
        FROM generate_series(1, 50) g ON CONFLICT (account_id) DO NOTHING`);
    await client.query('UPDATE crm_accounts SET updated_at = now() WHERE account_id IN (SELECT account_id FROM crm_accounts ORDER BY random() LIMIT 3)');
    await client.query(`GRANT SELECT ON crm_accounts TO ${DEMO_SOURCE_LOGIN}`);
  });
  const call = async (method, urlPath, body) => {
    const response = await fetch(`${apiUrl}${urlPath}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
  const existing = await call('GET', '/v1/sources?limit=200');
  let source = existing.body?.items?.find((item) => item.name === DEMO_SOURCE_NAME);
  const server = new URL(serverUrl);
  const connection = {
    kind: 'postgres', host: server.hostname, port: Number(server.port || 5432), database: 'demo_crm', user: DEMO_SOURCE_LOGIN,
    table: { name: 'crm_accounts' }, cursorColumns: ['updated_at'], primaryKey: ['account_id'], lookbackSeconds: 60,
  };
  const credentials = { password: readerPassword };
  if (!source) {
    const created = await call('POST', '/v1/sources', {
      name: DEMO_SOURCE_NAME,
      entity: 'customers',
      connection,
      credentials,
      mapping: { columns: { account_id: 'external_id', company: 'name', contact_email: 'email', segment: 'segment' } },
      schedule: '*/5 * * * *',
    });
    if (created.status !== 201) throw new Error(`creating it answered HTTP ${created.status} ${created.body?.code ?? ''}`);
    source = created.body;
  } else {
    // This start's password; and the reader login for a source an earlier version created with the server's own.
    const moved = source.connection?.user !== DEMO_SOURCE_LOGIN;
    const updated = await call('PATCH', `/v1/sources/${source.id}`, moved ? { connection, credentials } : { credentials });
    if (updated.status !== 200) throw new Error(`updating it answered HTTP ${updated.status} ${updated.body?.code ?? ''}`);
  }
  const run = await call('POST', `/v1/sources/${source.id}/syncs`);
  if (run.status !== 202) throw new Error(`queuing a sync answered HTTP ${run.status} ${run.body?.code ?? ''}`);
  return { id: source.id, schedule: source.schedule };
}

async function main() {
  const startedAt = Date.now();
  const plan = services.map((service) => ({ service, port: servicePort(service, env) }));
  const embedded = !env.DATABASE_URL;
  const postgresPort = portFromEnv('PULSE_POSTGRES_PORT', DEFAULT_POSTGRES_PORT);
  const startEmulatorToo = !env.PUBSUB_EMULATOR_HOST;
  const emulatorPort = portFromEnv('PUBSUB_EMULATOR_PORT', DEFAULT_EMULATOR_PORT);
  const pubsubEmulatorHost = env.PUBSUB_EMULATOR_HOST || `127.0.0.1:${emulatorPort}`;
  await assertPortsFree([
    ...plan.map(({ service, port }) => ({ port, owner: `${service.name}, ${service.port.variable}` })),
    ...(embedded ? [{ port: postgresPort, owner: 'embedded PostgreSQL, PULSE_POSTGRES_PORT' }] : []),
    ...(startEmulatorToo ? [{ port: emulatorPort, owner: 'Pub/Sub emulator, PUBSUB_EMULATOR_PORT' }] : []),
  ]);
  const tokenFromEnv = Boolean(env.PULSE_OPERATOR_TOKEN);
  const operatorToken = env.PULSE_OPERATOR_TOKEN || crypto.randomBytes(32).toString('base64url');

  await build(startEmulatorToo);
  if (state.stopping) return;

  if (startEmulatorToo) {
    say(`Starting the Pub/Sub emulator on port ${emulatorPort}...`);
    await startEmulator(emulatorPort);
  } else {
    say(`Using the Pub/Sub of PUBSUB_EMULATOR_HOST (${pubsubEmulatorHost}).`);
  }
  if (state.stopping) return;

  const dataRoot = path.resolve(root, env.PULSE_DATA_DIR || '.pulse');
  const dataDir = path.join(dataRoot, 'postgres');
  say(embedded ? `Starting embedded PostgreSQL on port ${postgresPort}...` : 'Using the PostgreSQL server of DATABASE_URL.');
  state.database = startControlPlaneDatabase({
    databaseUrl: env.DATABASE_URL,
    dataDir,
    port: postgresPort,
    // Only what needs attention; routine LOG lines (start-up, checkpoints) would drown the services' output.
    onLog: (line) => /\b(WARNING|ERROR|FATAL|PANIC|DETAIL|HINT):/.test(line) && output.line('postgres', line, process.stderr),
  });
  const database = await state.database;
  void database.exited?.then(() => {
    if (!state.stopping) void shutdown(1, 'PostgreSQL exited unexpectedly.');
  });
  if (state.stopping) return;

  say('Applying control-plane migrations...');
  await step('migrate', 'npx', ['prisma', 'migrate', 'deploy', '--config', 'apps/tenant-registry/prisma.config.ts'], {
    DATABASE_URL: database.url,
  });
  if (state.stopping) return;

  const runtime = { databaseUrl: database.url, pubsubEmulatorHost, operatorToken, secretsKey: await secretsKey(dataRoot), dataRoot };
  for (const { service, port } of plan) {
    state.services.push({ service, port, process: startService(service, port, runtime) });
  }
  await waitUntilReady(state.services);
  if (state.stopping) return;

  const registry = state.services.find(({ service }) => service.name === 'tenant-registry');
  say('Ensuring the demo tenant...');
  const demo = await ensureDemoTenant(`http://127.0.0.1:${registry.port}`, operatorToken);
  if (state.stopping) return;

  const apiService = state.services.find(({ service }) => service.name === 'api');
  const demoCustomers = env.PULSE_DEMO_CUSTOMERS === undefined || env.PULSE_DEMO_CUSTOMERS === '' ? DEFAULT_DEMO_CUSTOMERS : Number(env.PULSE_DEMO_CUSTOMERS);
  if (!Number.isInteger(demoCustomers) || demoCustomers < 0) throw new Error(`PULSE_DEMO_CUSTOMERS=${env.PULSE_DEMO_CUSTOMERS} is not a whole number`);
  if (demoCustomers > 0) say(`Loading the demo tenant's data (${demoCustomers} customers) through POST /v1/imports...`);
  const demoData = await loadDemoData({
    apiUrl: `http://127.0.0.1:${apiService.port}`,
    apiKey: demo.apiKey,
    customers: demoCustomers,
    dataDir: dataRoot,
    generate: (outDir) => step('datagen', process.execPath, [DATAGEN_ENTRY, '--customers', String(demoCustomers), '--out', outDir]),
    say,
  });
  if (state.stopping) return;

  say('Ensuring the demo database source (a CRM database on the same server, synced every 5 minutes)...');
  const demoSource = await ensureDemoSource(database.url, `http://127.0.0.1:${apiService.port}`, demo.apiKey).catch((error) => {
    complain(`Demo database source skipped: ${error.message}`);
    return null;
  });
  if (demoSource) say(`Demo source queued its first sync (schedule ${demoSource.schedule}): GET /v1/sources/${demoSource.id}/syncs`);
  if (state.stopping) return;

  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  printSummary({ started: state.services, database, pubsubEmulatorHost, emulatorStarted: startEmulatorToo, operatorToken, tokenFromEnv, demo, demoData, seconds });
}

main().catch((error) => void shutdown(1, error.message));
