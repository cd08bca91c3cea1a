import type { PoolClient, QueryResult, QueryResultRow } from 'pg';
import type { TenantContext } from '../context/tenant-context';
import { TenancyError } from '../tenancy-errors';
import { createPgTenantPool, type TenantConnectionPool, type TenantPoolSettings } from './pg-tenant-pool';
import { PermitTimeoutError, Semaphore, type ReleasePermit } from './semaphore';

/** A connection to one tenant's database, lent for the duration of a callback (released by the pool). */
export type TenantDatabaseClient = Omit<PoolClient, 'release'>;

export interface TenantConnection {
  /** postgresql:// URL of the tenant's database, with its own role's credentials. */
  connectionString: string;
}

export interface TenantDatabasePoolOptions {
  /** Where a tenant's database is: the only source of connection strings (the control plane). */
  resolveConnection: (tenantId: string) => Promise<TenantConnection>;
  /** Connections one tenant's pool may hold. Default 5. */
  maxConnectionsPerTenant?: number;
  /** Connections all tenants' pools together may hold, a hard cap. Default 20. */
  maxTotalConnections?: number;
  /** Tenant pools kept before the least recently used idle ones are ended. Default 50. */
  maxOpenPools?: number;
  /** An idle connection is closed after this long. Default 10 s. */
  idleTimeoutMs?: number;
  /** Opening a connection may take this long. Default 10 s. */
  connectionTimeoutMs?: number;
  /** Waiting for a tenant slot or for room under the global cap may take this long. Default 10 s. */
  acquireTimeoutMs?: number;
  /**
   * A statement may run this long (the server's statement_timeout: it cancels the statement, 57014, and
   * the connection stays usable); a server that does not answer at all (frozen, or a network that drops
   * packets) fails the query a little later on the client side, and that connection is discarded.
   * Default 0: no limit (background work runs long statements).
   */
  queryTimeoutMs?: number;
  /** application_name of every connection (pg_stat_activity). Default `pulse`. */
  applicationName?: string;
  /** Errors of idle connections, e.g. to log them; the broken connection is already gone. */
  onIdleConnectionError?: (error: Error, tenantId: string) => void;
  /** Makes the pool of one tenant; a `pg.Pool` by default. Tests pass fakes. */
  createPool?: (settings: TenantPoolSettings) => TenantConnectionPool;
}

/** A plain snapshot of counters and gauges, for metrics endpoints and logs. */
export interface TenantDatabasePoolMetrics {
  /** Checkouts that found their tenant's pool open. */
  hits: number;
  /** Checkouts that had to create their tenant's pool. */
  misses: number;
  /** Pools ended to stay within maxOpenPools or to free connections for other tenants. */
  evictions: number;
  /** Checkouts that had to wait (tenant limit or global cap). */
  waits: number;
  /** Checkouts that gave up waiting (TenancyError `tenant_database_busy`). */
  timeouts: number;
  openPools: number;
  /** Evicted pools whose connections are still closing. */
  closingPools: number;
  /** Connections open or opening, all tenants: never above maxTotalConnections. */
  openConnections: number;
  maxTotalConnections: number;
  /** Connections lent out right now. */
  checkedOut: number;
  /** Connections waiting for room under the global cap right now. */
  waitingForConnection: number;
}

interface PoolEntry {
  readonly tenantId: string;
  readonly ready: Promise<TenantConnectionPool>;
  readonly slots: Semaphore;
  /** Checkouts in progress or lent out: an entry with any is never evicted. */
  active: number;
  /** Permits held by this tenant's connections (open or opening). */
  connections: number;
  /** Of those, how many were counted in `reclaiming` when the pool was evicted. */
  reclaimable: number;
  closing: boolean;
  /** Settles once an evicted pool has ended and all its connections have closed. */
  ended?: Promise<void>;
  onDrained?: () => void;
}

const DEFAULTS = {
  maxConnectionsPerTenant: 5,
  maxTotalConnections: 20,
  maxOpenPools: 50,
  idleTimeoutMs: 10_000,
  connectionTimeoutMs: 10_000,
  acquireTimeoutMs: 10_000,
  queryTimeoutMs: 0,
  applicationName: 'pulse',
};

type IsolationLevel = 'read committed' | 'repeatable read' | 'serializable';

export interface TenantTransactionOptions {
  isolationLevel?: IsolationLevel;
  readOnly?: boolean;
}

function nonNegativeInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  return value;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/**
 * The only way services reach tenant databases. One pool per tenant database, created on first use from
 * the connection the resolver gives for the context's tenantId (so a context can only ever reach its own
 * tenant's database), kept in LRU order.
 *
 * Connection budget:
 * - per tenant, at most `maxConnectionsPerTenant` connections (its pool's size and a checkout limit);
 * - overall, at most `maxTotalConnections` open connections at any moment. Every physical connection
 *   holds a permit of one global semaphore from before its socket opens until after it closed (see
 *   createPgTenantPool), so the cap holds whatever the pools do, including pools that are being ended
 *   while their clients are still lent out: those connections keep their permits until they close.
 * - When a new connection must wait for a permit, capacity is reclaimed: idle pools of the least
 *   recently used tenants are ended, and connections returned while others wait are closed instead of
 *   kept idle. A wait longer than `acquireTimeoutMs` fails with `tenant_database_busy` (retryable).
 *
 * Do not nest checkouts of different tenants (a callback of tenant A waiting for tenant B): with the
 * cap reached, such waits only end by timeout.
 */
export class TenantDatabasePool {
  private readonly entries = new Map<string, PoolEntry>();
  private readonly closingEntries = new Set<PoolEntry>();
  private readonly budget: Semaphore;
  private readonly settings: Required<Omit<TenantDatabasePoolOptions, 'onIdleConnectionError' | 'createPool'>>;
  private readonly createPool: (settings: TenantPoolSettings) => TenantConnectionPool;
  /** Permits that evicted pools will give back once their connections have closed. */
  private reclaiming = 0;
  private closed?: Promise<void>;
  private readonly counters = { hits: 0, misses: 0, evictions: 0, waits: 0, timeouts: 0, checkedOut: 0 };

  constructor(private readonly options: TenantDatabasePoolOptions) {
    this.settings = {
      resolveConnection: options.resolveConnection,
      maxConnectionsPerTenant: positiveInteger('maxConnectionsPerTenant', options.maxConnectionsPerTenant ?? DEFAULTS.maxConnectionsPerTenant),
      maxTotalConnections: positiveInteger('maxTotalConnections', options.maxTotalConnections ?? DEFAULTS.maxTotalConnections),
      maxOpenPools: positiveInteger('maxOpenPools', options.maxOpenPools ?? DEFAULTS.maxOpenPools),
      idleTimeoutMs: positiveInteger('idleTimeoutMs', options.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs),
      connectionTimeoutMs: positiveInteger('connectionTimeoutMs', options.connectionTimeoutMs ?? DEFAULTS.connectionTimeoutMs),
      acquireTimeoutMs: positiveInteger('acquireTimeoutMs', options.acquireTimeoutMs ?? DEFAULTS.acquireTimeoutMs),
      queryTimeoutMs: nonNegativeInteger('queryTimeoutMs', options.queryTimeoutMs ?? DEFAULTS.queryTimeoutMs),
      applicationName: options.applicationName ?? DEFAULTS.applicationName,
    };
    this.createPool = options.createPool ?? createPgTenantPool;
    this.budget = new Semaphore(this.settings.maxTotalConnections, () => this.reclaimIdleConnections());
  }

  /** Lends `fn` a connection to the context's tenant database and takes it back when `fn` settles. */
  async withTenantClient<T>(context: TenantContext, fn: (client: TenantDatabaseClient) => Promise<T>): Promise<T> {
    const { entry, client, releaseSlot } = await this.checkout(context);
    let broken = false;
    try {
      return await fn(client);
    } catch (error) {
      broken = isConnectionError(error);
      throw error;
    } finally {
      this.checkin(entry, client, releaseSlot, broken);
    }
  }

  /** Runs `fn` in a transaction on the context's tenant database: COMMIT if it resolves, else ROLLBACK. */
  async withTenantTransaction<T>(
    context: TenantContext,
    fn: (client: TenantDatabaseClient) => Promise<T>,
    options: TenantTransactionOptions = {},
  ): Promise<T> {
    const { entry, client, releaseSlot } = await this.checkout(context);
    let broken = false;
    try {
      const mode = [options.isolationLevel && `ISOLATION LEVEL ${options.isolationLevel.toUpperCase()}`, options.readOnly && 'READ ONLY'].filter(Boolean).join(' ');
      await client.query(mode ? `BEGIN ${mode}` : 'BEGIN');
      try {
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        // A connection that cannot even roll back is not given to anyone else.
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw error;
      }
    } catch (error) {
      broken ||= isConnectionError(error);
      throw error;
    } finally {
      this.checkin(entry, client, releaseSlot, broken);
    }
  }

  /** One query on the context's tenant database. */
  query<Row extends QueryResultRow = QueryResultRow>(context: TenantContext, text: string, values?: unknown[]): Promise<QueryResult<Row>> {
    return this.withTenantClient(context, (client) => client.query<Row>(text, values));
  }

  metrics(): TenantDatabasePoolMetrics {
    return {
      ...this.counters,
      openPools: this.entries.size,
      closingPools: this.closingEntries.size,
      openConnections: this.budget.inUse,
      maxTotalConnections: this.budget.capacity,
      waitingForConnection: this.budget.waiting,
    };
  }

  /** Ends every pool once its lent connections are back; later checkouts fail. Safe to call twice. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      for (const entry of [...this.entries.values()]) this.evict(entry, false);
      await Promise.all([...this.closingEntries].map((entry) => entry.ended));
    })();
    return this.closed;
  }

  private async checkout(context: TenantContext): Promise<{ entry: PoolEntry; client: PoolClient; releaseSlot: ReleasePermit }> {
    if (this.closed) throw new TenancyError('internal', 'tenant_database_pool_closed', 'The tenant database pool is closed');
    const entry = this.entryFor(context.tenantId);
    try {
      const pool = await entry.ready;
      const releaseSlot = await this.wait(() => entry.slots.tryAcquire(), () => entry.slots.acquire(this.settings.acquireTimeoutMs), context);
      try {
        const client = await pool.connect();
        this.counters.checkedOut += 1;
        return { entry, client, releaseSlot };
      } catch (error) {
        releaseSlot();
        throw this.translate(error, context);
      }
    } catch (error) {
      entry.active -= 1;
      this.afterUse(entry);
      throw error;
    }
  }

  private checkin(entry: PoolEntry, client: PoolClient, releaseSlot: ReleasePermit, connectionBroken: boolean): void {
    this.counters.checkedOut -= 1;
    // A connection still inside a transaction (its borrower began one and returned without COMMIT or
    // ROLLBACK, or it failed) would run the next borrower's statements in that transaction: never
    // committed, or refused as "current transaction is aborted". Closing it rolls the transaction back
    // and releases its session locks; no round trip is spent on connections returned idle.
    const broken = connectionBroken || !isIdleOutsideTransaction(client);
    // Under pressure a returned connection is closed rather than kept idle, unless this tenant itself
    // has checkouts waiting for it: its permit then goes to whoever waits for room under the cap.
    const destroy = broken || (this.budget.waiting > this.reclaiming && entry.slots.waiting === 0);
    if (destroy && !entry.closing) {
      // Its permit is on its way back: later check-ins need not close theirs for the same waiter.
      entry.reclaimable += 1;
      this.reclaiming += 1;
    }
    client.release(destroy || undefined);
    releaseSlot();
    entry.active -= 1;
    this.afterUse(entry);
  }

  /** The tenant's pool entry, marked active (so it cannot be evicted) and most recently used. */
  private entryFor(tenantId: string): PoolEntry {
    const existing = this.entries.get(tenantId);
    if (existing) {
      existing.active += 1;
      this.counters.hits += 1;
      // Map order is recency order: move to the most recent end.
      this.entries.delete(tenantId);
      this.entries.set(tenantId, existing);
      return existing;
    }
    this.counters.misses += 1;
    const entry: PoolEntry = {
      tenantId,
      slots: new Semaphore(this.settings.maxConnectionsPerTenant),
      active: 1,
      connections: 0,
      reclaimable: 0,
      closing: false,
      ready: undefined as unknown as Promise<TenantConnectionPool>,
    };
    (entry as { ready: Promise<TenantConnectionPool> }).ready = this.openPool(entry);
    // A failed resolution is not cached: the next checkout asks the resolver again.
    entry.ready.catch(() => {
      if (this.entries.get(tenantId) === entry) this.entries.delete(tenantId);
    });
    this.entries.set(tenantId, entry);
    this.evictExcessPools();
    return entry;
  }

  private async openPool(entry: PoolEntry): Promise<TenantConnectionPool> {
    const { connectionString } = await this.settings.resolveConnection(entry.tenantId);
    if (typeof connectionString !== 'string' || connectionString.length === 0) {
      throw new TenancyError('internal', 'tenant_database_unreachable', `No database connection is known for tenant ${entry.tenantId}`);
    }
    return this.createPool({
      tenantId: entry.tenantId,
      connectionString,
      maxConnections: this.settings.maxConnectionsPerTenant,
      idleTimeoutMs: this.settings.idleTimeoutMs,
      connectionTimeoutMs: this.settings.connectionTimeoutMs,
      queryTimeoutMs: this.settings.queryTimeoutMs,
      applicationName: this.settings.applicationName,
      acquireConnectionPermit: () => this.connectionPermit(entry),
      onIdleError: (error) => this.options.onIdleConnectionError?.(error, entry.tenantId),
    });
  }

  /** A global permit for one new connection of `entry`'s pool, accounted to that entry. */
  private async connectionPermit(entry: PoolEntry): Promise<ReleasePermit> {
    const release = await this.wait(() => this.budget.tryAcquire(), () => this.budget.acquire(this.settings.acquireTimeoutMs));
    entry.connections += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      entry.connections -= 1;
      if (entry.reclaimable > 0) {
        entry.reclaimable -= 1;
        this.reclaiming -= 1;
      }
      release();
      if (entry.connections === 0) entry.onDrained?.();
    };
  }

  private async wait(now: () => ReleasePermit | undefined, later: () => Promise<ReleasePermit>, context?: TenantContext): Promise<ReleasePermit> {
    const immediate = now();
    if (immediate) return immediate;
    this.counters.waits += 1;
    try {
      return await later();
    } catch (error) {
      throw this.translate(error, context);
    }
  }

  private translate(error: unknown, context?: TenantContext): unknown {
    if (!(error instanceof PermitTimeoutError)) return error;
    this.counters.timeouts += 1;
    const who = context ? ` for tenant ${context.tenantId}` : '';
    return new TenancyError(
      'unavailable',
      'tenant_database_busy',
      `No tenant database connection became available${who} within ${error.waitedMs} ms (connection limit reached)`,
      { cause: error },
    );
  }

  private afterUse(entry: PoolEntry): void {
    if (entry.active === 0) {
      this.reclaimIdleConnections();
      this.evictExcessPools();
    }
  }

  /** Ends idle pools, least recently used first, until the connections closing cover everyone waiting. */
  private reclaimIdleConnections(): void {
    for (const entry of this.entries.values()) {
      if (this.budget.waiting <= this.reclaiming) return;
      if (entry.active === 0 && entry.connections > 0) this.evict(entry, true);
    }
  }

  private evictExcessPools(): void {
    for (const entry of this.entries.values()) {
      if (this.entries.size <= this.settings.maxOpenPools) return;
      if (entry.active === 0) this.evict(entry, true);
    }
  }

  /** Ends a pool: idle connections close now, lent ones when returned (they keep their permits till then). */
  private evict(entry: PoolEntry, counted: boolean): void {
    if (this.entries.get(entry.tenantId) === entry) this.entries.delete(entry.tenantId);
    if (entry.closing) return;
    entry.closing = true;
    if (counted) this.counters.evictions += 1;
    this.reclaiming += entry.connections - entry.reclaimable;
    entry.reclaimable = entry.connections;
    this.closingEntries.add(entry);
    // pool.end() resolves once the pool has let go of its clients, a moment before their sockets have
    // closed; the entry is gone only when the last permit is back.
    const drained = new Promise<void>((resolve) => (entry.onDrained = resolve));
    entry.ended = entry.ready
      .then((pool) => pool.end())
      .catch(() => undefined)
      .then(() => (entry.connections === 0 ? undefined : drained))
      .finally(() => this.closingEntries.delete(entry));
  }
}

/** pg's record of the server's last ReadyForQuery status: 'I' idle, 'T' in a transaction, 'E' in a failed one. */
function isIdleOutsideTransaction(client: PoolClient): boolean {
  const status = typeof client.getTransactionStatus === 'function' ? client.getTransactionStatus() : undefined;
  return status === undefined || status === null || status === 'I';
}

function isConnectionError(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  // pg's client-side query timeout: the server may still answer that query later, out of turn.
  if (message === 'Query read timeout') return true;
  // Class 08: connection exception; 57P01-57P03: the server is shutting down or terminated the session.
  return typeof code === 'string' && (code.startsWith('08') || /^57P0[1-3]$/.test(code) || code === 'ECONNRESET' || code === 'EPIPE');
}
