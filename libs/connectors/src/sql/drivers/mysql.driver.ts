import { connect as connectTcp } from 'node:net';
import { createConnection, type Connection, type FieldPacket } from 'mysql2/promise';
import type { JsonValue, SourceRecord } from '../../connector';
import { ConnectorError } from '../../connector-errors';
import { mysqlDialect } from '../sql-dialect';
import type { ResultColumn, SqlDriver } from '../sql-connector';
import type { SourceAddressPolicy } from '../../network/source-address-policy';
import { connectFailure } from './connect-failure';
import { checkedDatabaseAddress, type DatabaseEndpoint } from './database-endpoint';

const BINARY_CHARSET = 63;

/** Protocol type codes (mysql2/lib/constants/types) to the catalog names the type mapping knows. */
const TYPE_NAMES: Record<number, string> = {
  0: 'decimal', 1: 'tinyint', 2: 'smallint', 3: 'int', 4: 'float', 5: 'double', 7: 'timestamp', 8: 'bigint',
  9: 'mediumint', 10: 'date', 11: 'time', 12: 'datetime', 13: 'year', 15: 'varchar', 16: 'bit', 245: 'json',
  246: 'decimal', 247: 'enum', 248: 'set', 249: 'text', 250: 'text', 251: 'text', 252: 'text', 253: 'varchar', 254: 'char',
};

function typeName(field: FieldPacket): string {
  const code = field.columnType ?? -1;
  if (code === 1 && field.columnLength === 1) return 'tinyint(1)';
  if ([249, 250, 251, 252].includes(code) && field.characterSet === BINARY_CHARSET) return 'blob';
  if ([15, 253, 254].includes(code) && field.characterSet === BINARY_CHARSET) return 'varbinary';
  return TYPE_NAMES[code] ?? `type:${code}`;
}

/** Turns the driver's values into exact JSON: ISO-8601 instants, booleans for tinyint(1), base64 for bytes. */
function normaliser(field: FieldPacket): (value: unknown) => JsonValue {
  switch (typeName(field)) {
    case 'datetime':
      return (value) => (typeof value === 'string' ? value.replace(' ', 'T') : (value as JsonValue));
    case 'timestamp':
      // The session time zone is UTC, so TIMESTAMP text is a UTC instant.
      return (value) => (typeof value === 'string' ? `${value.replace(' ', 'T')}Z` : (value as JsonValue));
    case 'tinyint(1)':
      return (value) => (value === null ? null : Number(value) !== 0);
    default:
      return (value) => (Buffer.isBuffer(value) ? value.toString('base64') : (value as JsonValue));
  }
}

export class MysqlDriver implements SqlDriver {
  readonly dialect = mysqlDialect;

  private constructor(private readonly connection: Connection) {}

  /**
   * Connects to the address the policy checked. mysql2 takes the socket from `stream`, so `host` stays the
   * configured name: TLS verifies the certificate against it.
   */
  static async connect(endpoint: DatabaseEndpoint, addresses: SourceAddressPolicy): Promise<MysqlDriver> {
    const address = await checkedDatabaseAddress(endpoint, addresses);
    let connection: Connection | undefined;
    try {
      connection = await createConnection({
        host: endpoint.host,
        port: endpoint.port,
        stream: () => connectTcp({ host: address, port: endpoint.port }),
        database: endpoint.database,
        user: endpoint.user,
        password: endpoint.password,
        ssl: endpoint.ssl === true ? {} : endpoint.ssl || undefined,
        // Exact text for dates, DECIMAL and BIGINT: JavaScript Dates and numbers would round them.
        dateStrings: true,
        supportBigNumbers: true,
        bigNumberStrings: true,
        timezone: 'Z',
      });
      connection.on('error', () => undefined);
      await connection.query("SET time_zone = '+00:00'");
      await connection.query('SET SESSION TRANSACTION READ ONLY');
      if (endpoint.statementTimeoutMs) {
        const open = connection;
        const millis = Math.ceil(endpoint.statementTimeoutMs);
        // MariaDB and MySQL name this limit differently; the one the server lacks fails harmlessly.
        await open
          .query(`SET SESSION max_statement_time = ${millis / 1000}`)
          .catch(() => open.query(`SET SESSION max_execution_time = ${millis}`))
          .catch(() => undefined);
      }
    } catch (error) {
      await connection?.end().catch(() => undefined);
      throw connectFailure('MySQL', endpoint, error);
    }
    return new MysqlDriver(connection);
  }

  async query(sql: string, params: readonly JsonValue[]): Promise<SourceRecord[]> {
    try {
      // execute = a server-side prepared statement: values are bound, never spliced into the text.
      const [rows, fields] = await this.connection.execute(sql, params as (string | number | boolean | null)[]);
      const normalisers = (fields as FieldPacket[]).map((field) => [field.name, normaliser(field)] as const);
      return (rows as Record<string, unknown>[]).map((row) => {
        const record: SourceRecord = {};
        for (const [name, normalise] of normalisers) record[name] = normalise(row[name] ?? null);
        return record;
      });
    } catch (error) {
      throw new ConnectorError('source_request_failed', `MySQL rejected the query: ${(error as Error).message}`, { cause: error });
    }
  }

  async describe(sql: string): Promise<ResultColumn[]> {
    try {
      const [, fields] = await this.connection.execute(sql);
      return (fields as FieldPacket[]).map((field) => ({ name: field.name, sourceType: typeName(field) }));
    } catch (error) {
      throw new ConnectorError('source_request_failed', `MySQL rejected the query: ${(error as Error).message}`, { cause: error });
    }
  }

  async close(): Promise<void> {
    await this.connection.end();
  }
}
