// Jest globalTeardown of the integration preset: stops the embedded PostgreSQL that the global setup
// started (which also deletes its temporary data directory). A DATABASE_URL server is left alone.
'use strict';

module.exports = async function postgresGlobalTeardown() {
  const server = globalThis.__PULSE_TEST_POSTGRES__;
  if (!server) return;
  delete globalThis.__PULSE_TEST_POSTGRES__;
  await server.stop();
};
