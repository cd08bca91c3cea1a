import type { DatabaseConnection, SourceConnection, SourceCredentials } from '@pulse/contracts';
import type { DiscoveredColumn, SourceConnector, SourceRecord } from './connector';
import { ConnectorError } from './connector-errors';
import { FileConnector, parseFileUrl } from './files/file-connector';
import type { FileStore } from './files/file-listing';
import { GCS_READ_SCOPE, GcsFileStore } from './files/gcs-file-store';
import { HttpsFileStore } from './files/https-file-store';
import { S3FileStore } from './files/s3-file-store';
import { GoogleAccess } from './google/google-access';
import { HttpClient } from './http/http-client';
import { RestConnector, type RestAuth } from './http/rest-connector';
import type { ExpectedColumn } from './schema-drift';
import type { SourceAddressPolicy } from './network/source-address-policy';
import { secretValues } from './security/credentials';
import { SecretScrubber, withScrubbedErrors } from './security/secret-scrubber';
import { SHEETS_READ_SCOPE, SheetsConnector } from './sheets/sheets-connector';
import type { DatabaseEndpoint } from './sql/drivers/database-endpoint';
import { MssqlDriver } from './sql/drivers/mssql.driver';
import { MysqlDriver } from './sql/drivers/mysql.driver';
import { OracleDriver } from './sql/drivers/oracle.driver';
import { PostgresDriver } from './sql/drivers/postgres.driver';
import { SqlConnector, type SqlDriver } from './sql/sql-connector';
import { openSshTunnel, type OpenTunnel } from './tunnel/ssh-tunnel';

export interface OpenSourceOptions {
  /**
   * Which addresses the source may reach: public ones, plus the operator's allow-list of private
   * networks (SOURCE_ALLOWED_PRIVATE_NETWORKS). Required, so no caller gets "anything goes" by omission.
   */
  addresses: SourceAddressPolicy;
  /** Columns recorded when the source was set up, for the drift check at the start of each sync. */
  expectedColumns?: ExpectedColumn[];
  /** Source columns the mapping reads: only these can make drift fatal. */
  mappedColumns?: string[];
  /** Service-level endpoint overrides (emulators, tests); tenants cannot set these. */
  googleEndpoints?: { sheets?: string; storage?: string };
}

/** A connected source: the streaming connector plus what the API's test endpoint and the sync need. */
export interface OpenedSource {
  connector: SourceConnector;
  /** The columns the source has now (empty for file sources: the parser reads their headers). */
  columns(): Promise<DiscoveredColumn[]>;
  preview(limit: number): Promise<SourceRecord[]>;
  /** Key columns for delete detection on full reads (empty: deletes are not detected). */
  primaryKey: string[];
  /** Every failure message passes through this before it is stored, returned or logged. */
  scrubber: SecretScrubber;
  close(): Promise<void>;
}

function need<K extends keyof SourceCredentials>(credentials: SourceCredentials, name: K, kind: string): string {
  const value = credentials[name];
  if (!value) throw new ConnectorError('invalid_source_config', `A ${kind} source needs the credential ${JSON.stringify(name)}`);
  return value;
}

async function connectDriver(connection: DatabaseConnection, endpoint: DatabaseEndpoint, addresses: SourceAddressPolicy): Promise<SqlDriver> {
  switch (connection.kind) {
    case 'postgres':
      return PostgresDriver.connect(endpoint, addresses);
    case 'mysql':
      return MysqlDriver.connect(endpoint, addresses);
    case 'mssql':
      return MssqlDriver.connect(endpoint, addresses);
    case 'oracle':
      return OracleDriver.connect(endpoint, addresses);
  }
}

async function openDatabase(connection: DatabaseConnection, credentials: SourceCredentials, options: OpenSourceOptions): Promise<Omit<OpenedSource, 'scrubber'>> {
  let tunnel: OpenTunnel | null = null;
  let endpoint: DatabaseEndpoint = {
    host: connection.host,
    port: connection.port,
    database: connection.database,
    user: connection.user,
    password: credentials.password,
    ssl: connection.ssl,
    statementTimeoutMs: connection.statementTimeoutMs,
  };
  if (connection.sshTunnel) {
    tunnel = await openSshTunnel(
      { ...connection.sshTunnel, privateKey: credentials.sshPrivateKey, passphrase: credentials.sshPassphrase, password: credentials.sshPassword },
      { host: connection.host, port: connection.port },
      options.addresses,
    );
    endpoint = { ...endpoint, host: tunnel.host, port: tunnel.port, viaTunnel: true };
  }
  try {
    const connector = new SqlConnector(await connectDriver(connection, endpoint, options.addresses), {
      source: connection.table ? { table: connection.table } : { query: connection.query as string },
      mode: connection.syncMode,
      cursorColumns: connection.syncMode === 'incremental' ? connection.cursorColumns : [],
      primaryKey: connection.primaryKey,
      lookbackSeconds: connection.lookbackSeconds,
      pageSize: connection.pageSize,
      expectedColumns: options.expectedColumns,
      mappedColumns: options.mappedColumns,
    });
    return {
      connector,
      columns: () => connector.describeSource(),
      preview: (limit) => connector.preview(limit),
      primaryKey: connection.primaryKey,
      close: async () => {
        await connector.close().catch(() => undefined);
        await tunnel?.close();
      },
    };
  } catch (error) {
    await tunnel?.close();
    throw error;
  }
}

function restAuth(connection: Extract<SourceConnection, { kind: 'rest' }>, credentials: SourceCredentials): RestAuth {
  const auth = connection.auth;
  switch (auth.type) {
    case 'none':
      return auth;
    case 'bearer':
      return { type: 'bearer', token: need(credentials, 'token', 'bearer-auth REST') };
    case 'basic':
      return { type: 'basic', username: auth.username, password: need(credentials, 'password', 'basic-auth REST') };
    case 'api_key':
      return { type: 'api_key', value: need(credentials, 'apiKey', 'API-key REST'), header: auth.header, queryParam: auth.queryParam };
  }
}

function fileStore(connection: Extract<SourceConnection, { kind: 'files' }>, credentials: SourceCredentials, http: HttpClient, options: OpenSourceOptions): FileStore {
  const location = parseFileUrl(connection.url);
  switch (location.scheme) {
    case 'gs':
      return new GcsFileStore(
        location.bucket as string,
        http,
        new GoogleAccess(need(credentials, 'serviceAccountKey', 'gs://'), [GCS_READ_SCOPE]),
        connection.endpoint ?? options.googleEndpoints?.storage,
      );
    case 's3':
      return new S3FileStore(location.bucket as string, http, {
        accessKeyId: need(credentials, 'accessKeyId', 's3://'),
        secretAccessKey: need(credentials, 'secretAccessKey', 's3://'),
        region: connection.region ?? 'us-east-1',
        endpoint: connection.endpoint,
      });
    case 'https':
      return new HttpsFileStore(connection.url, http, credentials.token ? { authorization: `Bearer ${credentials.token}` } : {});
  }
}

/**
 * Connects to a source as configured. The returned connector's errors are scrubbed of the source's
 * secrets; callers must close it (it may hold a database connection and an SSH tunnel).
 */
export async function openSource(connection: SourceConnection, credentials: SourceCredentials, options: OpenSourceOptions): Promise<OpenedSource> {
  const secrets = secretValues(credentials);
  if (connection.kind === 'rest' && connection.auth.type === 'basic' && credentials.password) {
    // Basic auth sends base64(user:password): scrub that whole form too.
    secrets.push(Buffer.from(`${connection.auth.username}:${credentials.password}`).toString('base64'));
  }
  const scrubber = new SecretScrubber(secrets);
  let opened: Omit<OpenedSource, 'scrubber'>;
  try {
    opened = await openUnscrubbed(connection, credentials, options);
  } catch (error) {
    throw scrubber.scrubError(error);
  }
  const connector = withScrubbedErrors(opened.connector, scrubber);
  const guard = async <T>(work: () => Promise<T>) => work().catch((error: unknown) => Promise.reject(scrubber.scrubError(error)));
  return {
    connector,
    columns: () => guard(opened.columns),
    preview: (limit) => guard(() => opened.preview(limit)),
    primaryKey: opened.primaryKey,
    scrubber,
    close: () => guard(opened.close),
  };
}

/** A source of one stream (a sheet tab, a REST collection): its columns and first page are that stream's. */
function singleStreamSource(connector: SheetsConnector | RestConnector, primaryKey: string[]): Omit<OpenedSource, 'scrubber'> {
  return {
    connector,
    columns: async () => (await connector.discover())[0]?.columns ?? [],
    preview: async (limit) => {
      const page = await connector.readPage(null, { syncStart: true });
      return page.kind === 'records' ? page.records.slice(0, limit) : [];
    },
    primaryKey,
    close: () => connector.close(),
  };
}

async function openUnscrubbed(connection: SourceConnection, credentials: SourceCredentials, options: OpenSourceOptions): Promise<Omit<OpenedSource, 'scrubber'>> {
  switch (connection.kind) {
    case 'postgres':
    case 'mysql':
    case 'mssql':
    case 'oracle':
      return openDatabase(connection, credentials, options);
    case 'google_sheets': {
      const http = new HttpClient(options.addresses);
      const connector = new SheetsConnector(
        { spreadsheetId: connection.spreadsheetId, tab: connection.tab, headerRow: connection.headerRow },
        http,
        new GoogleAccess(need(credentials, 'serviceAccountKey', 'Google Sheets'), [SHEETS_READ_SCOPE]),
        options.googleEndpoints?.sheets,
      );
      return singleStreamSource(connector, connection.primaryKey);
    }
    case 'files': {
      const http = new HttpClient(options.addresses);
      const connector = new FileConnector(parseFileUrl(connection.url), fileStore(connection, credentials, http, options), connection.format);
      return {
        connector,
        columns: async () => [],
        // Files are previewed by name: their rows are the parser's business (same path as an upload).
        preview: async (limit) => (await connector.discover()).slice(0, limit).map((stream) => ({ file: stream.name })),
        primaryKey: [],
        close: async () => {
          await connector.close();
          await http.close();
        },
      };
    }
    case 'rest': {
      const connector = new RestConnector({
        url: connection.url,
        recordsPath: connection.recordsPath,
        pagination: connection.pagination,
        auth: restAuth(connection, credentials),
        headers: connection.headers,
        addresses: options.addresses,
      });
      return singleStreamSource(connector, connection.primaryKey);
    }
  }
}
