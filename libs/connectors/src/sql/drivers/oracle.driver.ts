import { isIP } from 'node:net';
import oracledb from 'oracledb';
import type { JsonValue, SourceRecord } from '../../connector';
import { ConnectorError } from '../../connector-errors';
import { oracleDialect } from '../sql-dialect';
import type { ResultColumn, SqlDriver } from '../sql-connector';
import type { SourceAddressPolicy } from '../../network/source-address-policy';
import { connectFailure } from './connect-failure';
import { checkedDatabaseAddress, type DatabaseEndpoint } from './database-endpoint';

/** The part of an oracledb Connection the driver uses (tests substitute a recording fake). */
export interface OracleConnection {
  execute(sql: string, binds: unknown[], options: Record<string, unknown>): Promise<{ rows?: unknown[]; metaData?: { name: string; dbTypeName?: string; scale?: number }[] }>;
  close(): Promise<void>;
}

// Session formats: '.' decimal point for TO_NUMBER of bound cursor text, ISO-8601 text for dates that
// are fetched as strings (a JavaScript Date would drop TIMESTAMP's microseconds).
export const ORACLE_SESSION_SETUP =
  `ALTER SESSION SET TIME_ZONE = 'UTC' NLS_NUMERIC_CHARACTERS = '.,' NLS_DATE_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS' ` +
  `NLS_TIMESTAMP_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.FF6' NLS_TIMESTAMP_TZ_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.FF6TZH:TZM'`;

const AS_STRING = new Set(['DB_TYPE_NUMBER', 'DB_TYPE_DATE', 'DB_TYPE_TIMESTAMP', 'DB_TYPE_TIMESTAMP_TZ', 'DB_TYPE_TIMESTAMP_LTZ', 'DB_TYPE_CLOB', 'DB_TYPE_NCLOB']);

/** Numbers, dates and CLOBs as text (exact, and no LOB streams to drain); everything else as the driver gives it. */
export const ORACLE_EXECUTE_OPTIONS = {
  outFormat: oracledb.OUT_FORMAT_OBJECT,
  fetchTypeHandler: (metadata: { dbType?: { name?: string } }) => (AS_STRING.has(metadata.dbType?.name ?? '') ? { type: oracledb.STRING } : undefined),
};

function toJson(value: unknown): JsonValue {
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('base64');
  return value as JsonValue;
}

export class OracleDriver implements SqlDriver {
  readonly dialect = oracleDialect;

  constructor(private readonly connection: OracleConnection) {}

  /**
   * Thin mode (pure JavaScript, no Oracle Client libraries); `database` is the service name.
   *
   * The host is checked by the address policy first. Without TLS the connect string names the checked
   * address (pinned). With TLS (tcps) it must name the host: the thin driver verifies the certificate
   * against the connect string's host and has no separate server-name option, so it resolves the name
   * again itself — a DNS answer that changes between the check and that lookup is not caught. The thin
   * driver also follows listener redirects (up to 2) to addresses the server sends, which no hook lets
   * Pulse check. docs/connectors.md, "Private networks", lists both limits.
   */
  static async connect(endpoint: DatabaseEndpoint, addresses: SourceAddressPolicy): Promise<OracleDriver> {
    const address = await checkedDatabaseAddress(endpoint, addresses);
    const host = endpoint.ssl ? endpoint.host : isIP(address) === 6 ? `[${address}]` : address;
    let connection: oracledb.Connection | undefined;
    try {
      connection = await oracledb.getConnection({
        user: endpoint.user,
        password: endpoint.password,
        connectString: `${endpoint.ssl ? 'tcps' : 'tcp'}://${host}:${endpoint.port}/${endpoint.database}`,
      });
      if (endpoint.statementTimeoutMs) connection.callTimeout = endpoint.statementTimeoutMs;
      await connection.execute(ORACLE_SESSION_SETUP);
    } catch (error) {
      await connection?.close().catch(() => undefined);
      throw connectFailure('Oracle', endpoint, error);
    }
    return new OracleDriver(connection as unknown as OracleConnection);
  }

  async query(sql: string, params: readonly JsonValue[]): Promise<SourceRecord[]> {
    try {
      const result = await this.connection.execute(sql, [...params], ORACLE_EXECUTE_OPTIONS);
      return ((result.rows ?? []) as Record<string, unknown>[]).map((row) =>
        Object.fromEntries(Object.entries(row).map(([name, value]) => [name, toJson(value)])),
      );
    } catch (error) {
      throw new ConnectorError('source_request_failed', `Oracle rejected the query: ${(error as Error).message}`, { cause: error });
    }
  }

  async describe(sql: string): Promise<ResultColumn[]> {
    try {
      const result = await this.connection.execute(sql, [], ORACLE_EXECUTE_OPTIONS);
      return (result.metaData ?? []).map((column) => ({ name: column.name, sourceType: column.dbTypeName ?? 'unknown', numericScale: column.scale ?? null }));
    } catch (error) {
      throw new ConnectorError('source_request_failed', `Oracle rejected the query: ${(error as Error).message}`, { cause: error });
    }
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}
