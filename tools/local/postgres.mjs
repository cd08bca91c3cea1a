// The control-plane database for `npm start`: the server of DATABASE_URL if set, otherwise embedded
// PostgreSQL with its data kept between runs.
import { createRequire } from 'node:module';
import { URL } from 'node:url';

const require = createRequire(import.meta.url);
const { startEmbeddedPostgres } = require('./embedded-postgres.cjs');
const { Client, escapeIdentifier } = require('pg');

const CONTROL_PLANE_DATABASE = 'pulse';

export function maskPassword(url) {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '****';
  return parsed.toString();
}

function withDatabase(url, database) {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

async function withClient(url, work) {
  const client = new Client({ connectionString: url });
  try {
    await client.connect();
    return await work(client);
  } finally {
    await client.end().catch(() => {});
  }
}

async function createDatabase(serverUrl, name) {
  await withClient(withDatabase(serverUrl, 'postgres'), (client) => client.query(`CREATE DATABASE ${escapeIdentifier(name)}`)).catch(
    (error) => {
      throw new Error(`Cannot create database "${name}" on ${maskPassword(serverUrl)}: ${error.message}`);
    },
  );
}

/** DATABASE_URL's database, created if missing (needs CREATEDB, but only then). */
async function ensureDatabaseOf(url) {
  try {
    await withClient(url, async () => {});
  } catch (error) {
    // 3D000: the database does not exist. Anything else (auth, network) is the user's to fix.
    if (error.code !== '3D000') throw new Error(`Cannot connect to ${maskPassword(url)}: ${error.message}`);
    await createDatabase(url, decodeURIComponent(new URL(url).pathname.slice(1)));
  }
}

/**
 * Returns { url, dataDir (embedded only), exited (embedded only), stop() } for the control-plane
 * database, started and created as needed. onLog receives the embedded server's log lines.
 */
export async function startControlPlaneDatabase({ databaseUrl, dataDir, port, onLog }) {
  if (databaseUrl) {
    await ensureDatabaseOf(databaseUrl);
    return { url: databaseUrl, stop: async () => {} };
  }
  const server = await startEmbeddedPostgres({ dataDir, port, persistent: true, detached: true, onLog });
  try {
    const exists = await withClient(server.adminUrl, async (client) => {
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [CONTROL_PLANE_DATABASE]);
      return rowCount === 1;
    });
    if (!exists) await createDatabase(server.adminUrl, CONTROL_PLANE_DATABASE);
    const url = withDatabase(server.adminUrl, CONTROL_PLANE_DATABASE);
    return { url, dataDir, exited: server.exited, stop: () => server.stop() };
  } catch (error) {
    await server.stop();
    throw error;
  }
}
