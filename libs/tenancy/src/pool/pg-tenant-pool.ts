import { Client, Pool, type ClientConfig, type PoolClient } from 'pg';
import type { ReleasePermit } from './semaphore';

/**
 * How much longer than statement_timeout the client waits for an answer before it gives up on the
 * server: a live server cancels the statement itself first (and keeps the connection usable).
 */
const SERVER_SILENCE_GRACE_MS = 2_000;

/** What TenantDatabasePool needs of one tenant's connection pool; a `pg.Pool` is one. */
export interface TenantConnectionPool {
  connect(): Promise<PoolClient>;
  end(): Promise<void>;
}

/** Everything a pool factory is told about the pool to make for one tenant database. */
export interface TenantPoolSettings {
  readonly tenantId: string;
  readonly connectionString: string;
  /** The tenant's connection limit: the pool may never hold more connections than this. */
  readonly maxConnections: number;
  readonly idleTimeoutMs: number;
  readonly connectionTimeoutMs: number;
  /** statement_timeout of every connection, and (a little longer) the client's own query timeout; 0: none. */
  readonly queryTimeoutMs: number;
  readonly applicationName: string;
  /**
   * Must resolve before each physical connection is opened; the permit it returns must be released
   * once that connection is closed. This is what makes the global cap hold whatever the pool does.
   */
  readonly acquireConnectionPermit: () => Promise<ReleasePermit>;
  /** Errors of idle connections (the server went away): the pool has already dropped the connection. */
  readonly onIdleError: (error: Error) => void;
}

/**
 * A `pg.Pool` whose every connection first takes a permit from the global connection budget and gives
 * it back only when its socket has closed. Permits are taken in Client.connect, which pg-pool calls for
 * every new connection it opens (first use, growth, replacing a broken one), so no code path of the
 * pool can open a connection without one. A connection counts against the cap from before its socket
 * opens until after it closed, so the server never sees more sessions than the cap.
 */
export function createPgTenantPool(settings: TenantPoolSettings): Pool {
  class BudgetedClient extends Client {
    constructor(config?: string | ClientConfig) {
      // The connect timeout starts only once the permit is held (pg.Client applies it in connect()).
      super({
        ...(typeof config === 'string' ? { connectionString: config } : config),
        connectionTimeoutMillis: settings.connectionTimeoutMs,
        ...(settings.queryTimeoutMs > 0 ? { statement_timeout: settings.queryTimeoutMs, query_timeout: settings.queryTimeoutMs + SERVER_SILENCE_GRACE_MS } : {}),
      });
    }

    override connect(): Promise<Client>;
    override connect(callback: ((err: Error) => void) | ((err: null, client: Client) => void)): void;
    override connect(callback?: ((err: Error) => void) | ((err: null, client: Client) => void)): Promise<Client> | void {
      const connecting = (async (): Promise<Client> => {
        const release = await settings.acquireConnectionPermit();
        // 'end' is emitted when the socket has closed, whichever side closed it and why.
        this.once('end', release);
        try {
          await super.connect();
        } catch (error) {
          release();
          throw error;
        }
        return this;
      })();
      if (!callback) return connecting;
      const done = callback as (err: Error | null, client?: Client) => void;
      connecting.then(
        (client) => done(null, client),
        (error: Error) => done(error),
      );
    }
  }

  const pool = new Pool({
    connectionString: settings.connectionString,
    application_name: settings.applicationName,
    max: settings.maxConnections,
    idleTimeoutMillis: settings.idleTimeoutMs,
    Client: BudgetedClient,
  });
  pool.on('error', settings.onIdleError);
  // pg-pool listens for errors of idle clients only: a connection cut while a client is lent out would
  // emit an unhandled 'error' and end the process; the client's failing query reports it instead.
  pool.on('connect', (client) => client.on('error', settings.onIdleError));
  return pool;
}
