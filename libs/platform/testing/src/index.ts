export {
  createTestDatabase,
  databaseUrl,
  testDatabaseName,
  testPostgresUrlOrThrow,
  withClient,
  type TestDatabase,
  type TestDatabaseOptions,
} from './test-database';
export { freePort } from './free-port';
export { getWithHeaders } from './get-with-headers';
export { waitFor, type WaitForOptions } from './wait-for';
export { startProcess, type StartedProcess, type StartProcessOptions, type ProcessExit } from './start-process';
export { TcpProxy } from './tcp-proxy';
export { describeServiceLifecycle, type ServiceLifecycleOptions } from './service-lifecycle.suite';
export { createTenantRoleDatabase, dropTenantRoleDatabases, registerTestTenant, type TenantRoleDatabase, type TestTenantRegistration } from './tenant-role-database';
export { mariadbTestUrl, MARIADB_SKIP_REASON } from './mariadb-test-server';
export { FakeGcsServer, type RecordedRequest as FakeGcsRequest } from './fake-gcs-server';
