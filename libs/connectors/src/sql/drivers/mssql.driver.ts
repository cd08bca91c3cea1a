import { connect as connectTcp, type Socket } from 'node:net';
import { ConnectionPool } from 'mssql';
import type { JsonValue, SourceRecord } from '../../connector';
import { ConnectorError } from '../../connector-errors';
import { mssqlDialect } from '../sql-dialect';
import type { ResultColumn, SqlDriver } from '../sql-connector';
import type { SourceAddressPolicy } from '../../network/source-address-policy';
import { connectFailure } from './connect-failure';
import { checkedDatabaseAddress, type DatabaseEndpoint } from './database-endpoint';

/** The part of an `mssql` ConnectionPool the driver uses (tests substitute a recording fake). */
export interface MssqlPool {
  request(): MssqlRequest;
  close(): Promise<void>;
}
export interface MssqlRequest {
  input(name: string, value: unknown): unknown;
  query(sql: string): Promise<{ recordset: Record<string, unknown>[] & { columns?: Record<string, { name: string; type: unknown; scale?: number }> } }>;
}

/** tedious calls its connector with (host, port) of the server or of a routing redirect, and an abort signal for its connect timeout. */
function checkedConnector(endpoint: DatabaseEndpoint, addresses: SourceAddressPolicy) {
  return async (target: { host: string; port: number; localAddress?: string }, _lookup: unknown, signal?: AbortSignal): Promise<Socket> => {
    const address = await checkedDatabaseAddress(endpoint, addresses, target.host, target.port);
    signal?.throwIfAborted();
    return new Promise<Socket>((resolve, reject) => {
      const socket = connectTcp({ host: address, port: target.port, localAddress: target.localAddress });
      const abort = () => {
        socket.destroy();
        reject(signal?.reason as Error);
      };
      signal?.addEventListener('abort', abort, { once: true });
      socket.once('connect', () => {
        signal?.removeEventListener('abort', abort);
        resolve(socket);
      });
      socket.once('error', (error) => {
        signal?.removeEventListener('abort', abort);
        reject(error);
      });
    });
  };
}

/** Dates from tedious are JavaScript Dates (millisecond precision): exact cursors come from CONVERT() aliases instead. */
function toJson(value: unknown): JsonValue {
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (typeof value === 'bigint') return value.toString();
  return value as JsonValue;
}

export class MssqlDriver implements SqlDriver {
  readonly dialect = mssqlDialect;

  constructor(private readonly pool: MssqlPool) {}

  /**
   * tedious opens its sockets through `connector`, for the configured server and for any server an
   * availability group routes the login to (readOnlyIntent): each host is checked by the policy and the
   * socket opened to the checked address. `server` stays the configured name, which TLS verifies.
   */
  static async connect(endpoint: DatabaseEndpoint, addresses: SourceAddressPolicy): Promise<MssqlDriver> {
    const pool = new ConnectionPool({
      server: endpoint.host,
      port: endpoint.port,
      database: endpoint.database,
      user: endpoint.user,
      password: endpoint.password,
      requestTimeout: endpoint.statementTimeoutMs,
      pool: { max: 1, min: 0 },
      options: {
        encrypt: endpoint.ssl !== false && endpoint.ssl !== undefined,
        trustServerCertificate: typeof endpoint.ssl === 'object' && !endpoint.ssl.rejectUnauthorized,
        // ApplicationIntent=ReadOnly: an availability group routes the sync to a readable secondary.
        readOnlyIntent: true,
        connector: checkedConnector(endpoint, addresses) as () => Promise<Socket>,
      },
    });
    pool.on('error', () => undefined);
    try {
      await pool.connect();
    } catch (error) {
      await pool.close().catch(() => undefined);
      throw connectFailure('SQL Server', endpoint, error);
    }
    return new MssqlDriver(pool as unknown as MssqlPool);
  }

  async query(sql: string, params: readonly JsonValue[]): Promise<SourceRecord[]> {
    const request = this.pool.request();
    params.forEach((value, index) => request.input(`p${index + 1}`, value));
    try {
      const result = await request.query(sql);
      return result.recordset.map((row) => Object.fromEntries(Object.entries(row).map(([name, value]) => [name, toJson(value)])));
    } catch (error) {
      throw new ConnectorError('source_request_failed', `SQL Server rejected the query: ${(error as Error).message}`, { cause: error });
    }
  }

  async describe(sql: string): Promise<ResultColumn[]> {
    try {
      const result = await this.pool.request().query(sql);
      return Object.values(result.recordset.columns ?? {}).map((column) => ({
        name: column.name,
        sourceType: String((column.type as { declaration?: string }).declaration ?? 'unknown'),
        numericScale: column.scale ?? null,
      }));
    } catch (error) {
      throw new ConnectorError('source_request_failed', `SQL Server rejected the query: ${(error as Error).message}`, { cause: error });
    }
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
