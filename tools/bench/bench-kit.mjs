// What the bench scripts share: the workspace root, PostgreSQL (the machine's or an embedded one), one-off
// SQL, child processes, and a throwaway control plane naming one tenant database with an API key.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);
const embeddedPostgres = () => require(path.join(ROOT, 'tools/local/embedded-postgres.cjs'));

export const urlFor = (base, changes) => Object.assign(new URL(base), changes).toString();

export const freePort = () => embeddedPostgres().freePort();

/** One connection for one piece of work, always closed. */
export async function sql(url, work) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * DATABASE_URL, else the machine's PostgreSQL at 127.0.0.1:5432, else an embedded one whose data folder
 * (under tmp/, kept between runs so large seeds survive) is `embeddedDir`.
 */
export async function startPostgres(embeddedDir) {
  const candidate = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const probe = new pg.Client({ connectionString: candidate, connectionTimeoutMillis: 2000 });
  try {
    await probe.connect();
    await probe.end();
    return { adminUrl: candidate, stop: async () => {}, kind: 'server' };
  } catch {
    const { startEmbeddedPostgres } = embeddedPostgres();
    const server = await startEmbeddedPostgres({ dataDir: path.join(ROOT, 'tmp', embeddedDir), port: await freePort() });
    return { adminUrl: server.adminUrl, stop: server.stop, kind: 'embedded' };
  }
}

/** A node process from the workspace root; `stdout: 'inherit'` to see its logs. Killed when the bench exits. */
export function startChild(name, argv, env, { stdout = 'ignore' } = {}) {
  const child = spawn(process.execPath, argv, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', stdout, 'inherit'] });
  child.on('exit', (code, signal) => {
    if (!child.stopping) console.error(`${name} exited early (code ${code}, signal ${signal})`);
  });
  process.once('exit', () => child.kill());
  return {
    pid: child.pid,
    stop: () => {
      child.stopping = true;
      child.kill('SIGTERM');
      return new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
    },
  };
}

/**
 * A fresh control plane database (the tenant registry's migrations) with one active tenant whose
 * database is `tenant.url` (password sealed with `box`), and an API key with `scopes`. Returns its URL,
 * the key and how to drop it.
 */
export async function createControlPlane(adminUrl, { database, slug, plan, scopes, tenantUrl, password, box, issueApiKey }) {
  const controlUrl = urlFor(adminUrl, { pathname: `/${database}` });
  await sql(adminUrl, async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
  });
  const key = issueApiKey();
  const tenantId = randomUUID();
  const server = new URL(tenantUrl);
  await sql(controlUrl, async (db) => {
    const dir = path.join(ROOT, 'apps/tenant-registry/prisma/migrations');
    for (const name of fs.readdirSync(dir).filter((n) => fs.existsSync(path.join(dir, n, 'migration.sql'))).sort()) {
      await db.query(fs.readFileSync(path.join(dir, name, 'migration.sql'), 'utf8'));
    }
    await db.query(`INSERT INTO tenants (id, slug, name, status, plan, hostnames, updated_at) VALUES ($1, $2, 'Bench', 'active', $3, '{}', now())`, [tenantId, slug, plan]);
    await db.query(
      `INSERT INTO tenant_databases (tenant_id, host, port, database_name, role_name, password_encrypted, updated_at) VALUES ($1, $2, $3, $4, $4, $5, now())`,
      [tenantId, server.hostname, Number(server.port || 5432), decodeURIComponent(server.pathname.slice(1)), box.encrypt(password)],
    );
    await db.query(`INSERT INTO api_keys (id, tenant_id, prefix, secret_hash, name, scopes) VALUES ($1, $2, $3, $4, 'bench', $5)`, [
      randomUUID(),
      tenantId,
      key.prefix,
      key.secretHash,
      scopes,
    ]);
  });
  return { controlUrl, apiKey: key.token, drop: () => sql(adminUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`)) };
}
