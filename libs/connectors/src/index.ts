export type {
  DiscoveredColumn,
  DiscoveredStream,
  JsonValue,
  NormalisedType,
  ReadOptions,
  SourceConnector,
  SourceFile,
  SourcePage,
  SourceRecord,
  StreamState,
} from './connector';
export { ConnectorError, type ConnectorErrorCode } from './connector-errors';
export { SourceAddressPolicy, SourceAddressNotAllowedError, ALLOW_LIST_SETTING, type CheckedAddress } from './network/source-address-policy';
export { sourceAllowListField } from './network/source-networks.schema';
export { runSync, type PageSink, type SyncOutcome } from './sync-runner';
export { openSource, type OpenedSource, type OpenSourceOptions } from './open-source';
export { FullReadKeys, recordKey, keyOfValues } from './incremental/delete-detection';
export { keysetStateSchema, type KeysetState, type SyncMode } from './incremental/keyset-scan';
export { compareSchemas, assertNoBreakingDrift, SchemaDriftError, type ColumnChange, type ExpectedColumn, type SchemaDrift } from './schema-drift';
export { sealCredentials, openCredentials, credentialNames, secretValues } from './security/credentials';
export { credentialDestination } from './security/credential-destination';
export { SecretScrubber, withScrubbedErrors } from './security/secret-scrubber';
export { SqlConnector, type SqlDriver, type SqlStreamConfig, type ResultColumn } from './sql/sql-connector';
export { buildPageQuery, type PageQuery, type PageQueryInput, type SqlSource, type TableRef } from './sql/page-query';
export { SQL_DIALECTS, type SqlDialect, type SqlDialectName } from './sql/sql-dialect';
export { normaliseSqlType } from './sql/type-mapping';
export type { DatabaseEndpoint } from './sql/drivers/database-endpoint';
export { PostgresDriver } from './sql/drivers/postgres.driver';
export { MysqlDriver } from './sql/drivers/mysql.driver';
export { MssqlDriver } from './sql/drivers/mssql.driver';
export { OracleDriver } from './sql/drivers/oracle.driver';
export { RestConnector, type RestStreamConfig, type RestAuth, type RestPagination } from './http/rest-connector';
export { HttpClient, type RetryPolicy } from './http/http-client';
export { inferColumns } from './http/infer-columns';
export { FileConnector, parseFileUrl, formatOf } from './files/file-connector';
export { SheetsConnector, detectHeaderRow } from './sheets/sheets-connector';
export { openSshTunnel, hostKeyFingerprint, type SshTunnelConfig, type OpenTunnel } from './tunnel/ssh-tunnel';
export { nextSyncTime, nextCronTime, assertValidCron, MAX_BACKOFF_MS } from './schedule/next-sync-time';
