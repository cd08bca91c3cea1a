import { Client, types, type QueryConfig } from 'pg';
import type { JsonValue, SourceRecord } from '../../connector';
import { ConnectorError } from '../../connector-errors';
import { postgresDialect } from '../sql-dialect';
import type { ResultColumn, SqlDriver } from '../sql-connector';
import type { SourceAddressPolicy } from '../../network/source-address-policy';
import { connectFailure } from './connect-failure';
import { checkedDatabaseAddress, tlsServerName, type DatabaseEndpoint } from './database-endpoint';

const OID = { int8: 20, numeric: 1700, date: 1082, time: 1083, timestamp: 1114, timestamptz: 1184, bytea: 17 } as const;

// Exact text for what JavaScript numbers and Dates would round: bigint, numeric, microsecond timestamps.
// The session runs in UTC, so timestamptz text always ends in +00 and becomes ISO-8601 with Z.
const EXACT_PARSERS: Record<number, (text: string) => JsonValue> = {
  [OID.int8]: (text) => text,
  [OID.numeric]: (text) => text,
  [OID.date]: (text) => text,
  [OID.time]: (text) => text,
  [OID.timestamp]: (text) => text.replace(' ', 'T'),
  [OID.timestamptz]: (text) => text.replace(' ', 'T').replace(/\+00$/, 'Z'),
  [OID.bytea]: (text) => Buffer.from(text.slice(2), 'hex').toString('base64'),
};

const TYPE_NAMES = new Map<number, string>(Object.entries(types.builtins).map(([name, oid]) => [oid, name.toLowerCase()]));

export class PostgresDriver implements SqlDriver {
  readonly dialect = postgresDialect;

  private constructor(private readonly client: Client) {}

  /** Connects to the address the policy checked; TLS still verifies the certificate against the configured host name. */
  static async connect(endpoint: DatabaseEndpoint, addresses: SourceAddressPolicy): Promise<PostgresDriver> {
    const address = await checkedDatabaseAddress(endpoint, addresses);
    const client = new Client({
      host: address,
      port: endpoint.port,
      database: endpoint.database,
      user: endpoint.user,
      password: endpoint.password,
      // pg sets SNI and checks the certificate against `host` only when it is a name; here it is the pinned address.
      ssl: endpoint.ssl ? { ...(typeof endpoint.ssl === 'object' ? endpoint.ssl : {}), servername: tlsServerName(endpoint) } : endpoint.ssl,
      application_name: 'pulse-connector',
      statement_timeout: endpoint.statementTimeoutMs,
      types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => EXACT_PARSERS[oid] ?? types.getTypeParser(oid, format)) as typeof types.getTypeParser },
    });
    // An idle error on a connection we are about to throw away must not end the process.
    client.on('error', () => undefined);
    try {
      await client.connect();
      // The parsers above and the saved cursor positions read the server's text output: pinned here, as a
      // database or role may set other defaults (DateStyle 'SQL, DMY' wrote dates as 01/03/2026, the
      // escape bytea format, floats with fewer digits than round-trip a cursor).
      await client.query("SET TIME ZONE 'UTC'");
      await client.query("SET DateStyle = 'ISO, MDY'");
      await client.query("SET IntervalStyle = 'postgres'");
      await client.query("SET bytea_output = 'hex'");
      await client.query('SET extra_float_digits = 1');
      // Defence in depth: a source query can only read, whatever the role is allowed to do.
      await client.query('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY');
    } catch (error) {
      await client.end().catch(() => undefined);
      throw connectFailure('PostgreSQL', endpoint, error);
    }
    return new PostgresDriver(client);
  }

  // Always the extended protocol, even without parameters: it takes exactly one statement, where the
  // simple protocol pg uses for a query without values would run several (a COMMIT and a READ WRITE
  // transaction among them, out of the read-only session's reach).
  async query(sql: string, params: readonly JsonValue[]): Promise<SourceRecord[]> {
    try {
      const result = await this.client.query(extendedProtocol(sql, params));
      return result.rows as SourceRecord[];
    } catch (error) {
      throw new ConnectorError('source_request_failed', `PostgreSQL rejected the query: ${(error as Error).message}`, { cause: error });
    }
  }

  async describe(sql: string): Promise<ResultColumn[]> {
    try {
      const result = await this.client.query(extendedProtocol(sql, []));
      return result.fields.map((field) => ({ name: field.name, sourceType: TYPE_NAMES.get(field.dataTypeID) ?? `oid:${field.dataTypeID}` }));
    } catch (error) {
      throw new ConnectorError('source_request_failed', `PostgreSQL rejected the query: ${(error as Error).message}`, { cause: error });
    }
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}

/** A query pg sends with the extended protocol, parameters or not (`queryMode`, pg 8.11+, is missing from @types/pg). */
function extendedProtocol(text: string, values: readonly JsonValue[]): QueryConfig {
  const config: QueryConfig & { queryMode: 'extended' } = { text, values: values as unknown[], queryMode: 'extended' };
  return config;
}
