// Jest globalSetup of the integration preset: provides one PostgreSQL server for the whole run and
// hands its admin URL to the test files as PULSE_TEST_POSTGRES_URL. Each test file then creates its
// own database on it (@pulse/testing createTestDatabase), so files can run in parallel.
//
// DATABASE_URL set (CI, a developer's own server): use that server. Otherwise: a throwaway embedded
// PostgreSQL in a temp dir on a free port, removed again by the teardown.
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { URL } = require('node:url');
const { Client } = require('pg');
const { startEmbeddedPostgres, freePort } = require('../local/embedded-postgres.cjs');

function masked(url) {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '****';
  return parsed.toString();
}

async function serverVersion(adminUrl) {
  const client = new Client({ connectionString: adminUrl });
  try {
    await client.connect();
    return (await client.query('SHOW server_version')).rows[0].server_version;
  } finally {
    await client.end().catch(() => {});
  }
}

// Test runs of several projects start in parallel, so a port found free can be taken before PostgreSQL
// binds it: try another one then.
async function startOnFreePort(dataDir, attempts = 3) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startEmbeddedPostgres({ dataDir, port: await freePort(), persistent: false });
    } catch (error) {
      if (attempt >= attempts || !/Address already in use/.test(error.message)) throw error;
    }
  }
}

module.exports = async function postgresGlobalSetup() {
  const databaseUrl = process.env.DATABASE_URL;
  if (databaseUrl) {
    // Databases are created from the server's maintenance database, whatever DATABASE_URL points at.
    const admin = new URL(databaseUrl);
    admin.pathname = '/postgres';
    const adminUrl = admin.toString();
    let version;
    try {
      version = await serverVersion(adminUrl);
    } catch (error) {
      throw new Error(`Integration tests cannot reach the PostgreSQL server of DATABASE_URL (${masked(adminUrl)}): ${error.message}`);
    }
    process.env.PULSE_TEST_POSTGRES_URL = adminUrl;
    console.log(`\nIntegration tests use PostgreSQL ${version} from DATABASE_URL: ${masked(adminUrl)}`);
    return;
  }

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-test-pg-'));
  let server;
  try {
    server = await startOnFreePort(dataDir);
    const version = await serverVersion(server.adminUrl);
    console.log(`\nIntegration tests use embedded PostgreSQL ${version} at ${masked(server.adminUrl)} (temporary: ${dataDir})`);
  } catch (error) {
    // Jest skips the teardown when the setup fails, so clean up here.
    await server?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  globalThis.__PULSE_TEST_POSTGRES__ = server;
  process.env.PULSE_TEST_POSTGRES_URL = server.adminUrl;
};
