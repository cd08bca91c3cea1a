export { TenancyError, type TenancyErrorCode } from './tenancy-errors';
export {
  createTenantContext,
  withCorrelationId,
  tenantLogFields,
  TENANT_ID_PATTERN,
  TENANT_SLUG_PATTERN,
  type TenantContext,
  type TenantContextInput,
} from './context/tenant-context';
export {
  currentTenantSchemaVersion,
  defaultTenantMigrationsDir,
  readTenantMigrations,
  migrationChecksum,
  TENANT_MIGRATIONS_RELATIVE_DIR,
  type TenantMigration,
} from './migrator/migration-files';
export { TenantMigrationError } from './migrator/migration-plan';
export {
  migrateTenantDatabase,
  migrateTenantDatabases,
  TENANT_MIGRATIONS_TABLE,
  type TenantDatabaseTarget,
  type TenantMigrationOptions,
  type TenantMigrationsOptions,
  type TenantMigrationReport,
} from './migrator/tenant-migrator';
export {
  TenantDatabasePool,
  type TenantDatabasePoolOptions,
  type TenantDatabasePoolMetrics,
  type TenantDatabaseClient,
  type TenantConnection,
  type TenantTransactionOptions,
} from './pool/tenant-database-pool';
export type { TenantConnectionPool, TenantPoolSettings } from './pool/pg-tenant-pool';
export { InterruptibleWork, InterruptibleWorks } from './pool/interruptible-work';
export { issueApiKey, parseApiKey, apiKeySecretMatches, hashApiKeySecret, type IssuedApiKey } from './api-keys/api-key';
export { TenantResolver, type ResolvedTenant, type ResolvedApiKey, type TenantResolverOptions } from './resolution/tenant-resolver';
export { normalizeHost } from './resolution/host-name';
export {
  controlPlaneConnectionResolver,
  listLiveTenants,
  liveTenantDatabases,
  tenantDatabaseUrl,
  type LiveTenant,
  type TenantDatabaseLocation,
} from './directory/control-plane-directory';
export { withIndexesRebuilt } from './bulk-load/rebuilt-indexes';
export { isLockNotAvailable, withLockRetry, type LockRetryOptions } from './bulk-load/lock-retry';
