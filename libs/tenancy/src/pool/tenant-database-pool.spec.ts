import type { PoolClient } from 'pg';
import { createTenantContext, type TenantContext } from '../context/tenant-context';
import type { TenantConnectionPool, TenantPoolSettings } from './pg-tenant-pool';
import { TenantDatabasePool, type TenantDatabasePoolOptions } from './tenant-database-pool';

/**
 * Fake pools that behave like pg.Pool where it matters here: a connection opens only after taking a
 * permit, is reused when idle, and closes (giving its permit back a moment later, like a socket closing)
 * when destroyed or when the pool ends. `world` sees every "physical" connection.
 */
class FakeWorld {
  open = 0;
  peakOpen = 0;
  readonly pools: FakePool[] = [];
  readonly statements: string[] = [];

  poolsOf(tenantId: string): FakePool[] {
    return this.pools.filter((pool) => pool.settings.tenantId === tenantId);
  }
}

interface FakeConnection {
  releasePermit: () => void;
  closed: boolean;
}

class FakePool implements TenantConnectionPool {
  readonly idle: FakeConnection[] = [];
  readonly lent = new Set<FakeConnection>();
  ending = false;
  ended = false;
  peakConnections = 0;

  constructor(
    readonly settings: TenantPoolSettings,
    private readonly world: FakeWorld,
  ) {}

  get total(): number {
    return this.idle.length + this.lent.size;
  }

  async connect(): Promise<PoolClient> {
    if (this.ending) throw new Error('Cannot use a pool after calling end on the pool');
    let connection = this.idle.pop();
    if (!connection) {
      if (this.total >= this.settings.maxConnections) throw new Error(`fake pool of ${this.settings.tenantId} asked beyond its max`);
      const placeholder: FakeConnection = { releasePermit: () => undefined, closed: false };
      this.lent.add(placeholder); // counts toward the pool's size while connecting, as in pg-pool
      try {
        placeholder.releasePermit = await this.settings.acquireConnectionPermit();
      } catch (error) {
        this.lent.delete(placeholder);
        throw error;
      }
      this.world.open += 1;
      this.world.peakOpen = Math.max(this.world.peakOpen, this.world.open);
      connection = placeholder;
      this.lent.delete(placeholder);
    }
    this.lent.add(connection);
    this.peakConnections = Math.max(this.peakConnections, this.total);
    return this.client(connection);
  }

  async end(): Promise<void> {
    this.ending = true;
    for (const connection of this.idle.splice(0)) this.close(connection);
    while (this.lent.size > 0) await new Promise((resolve) => setTimeout(resolve, 1));
    await new Promise((resolve) => setImmediate(resolve));
    this.ended = true;
  }

  private client(connection: FakeConnection): PoolClient {
    let released = false;
    const client = {
      query: async (text: string) => {
        this.world.statements.push(`${this.settings.tenantId}: ${text}`);
        return { rows: [{ database: this.settings.connectionString }], rowCount: 1 };
      },
      release: (destroy?: boolean | Error) => {
        if (released) throw new Error('released twice');
        released = true;
        this.lent.delete(connection);
        if (destroy || this.ending) this.close(connection);
        else this.idle.push(connection);
      },
    };
    return client as unknown as PoolClient;
  }

  private close(connection: FakeConnection): void {
    if (connection.closed) return;
    connection.closed = true;
    // The socket closes a moment later; only then is the permit given back.
    setImmediate(() => {
      this.world.open -= 1;
      connection.releasePermit();
    });
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function context(tenant: string): TenantContext {
  return createTenantContext({ tenantId: `id-${tenant}`, slug: `tenant-${tenant}` });
}

function setup(options: Partial<TenantDatabasePoolOptions> = {}) {
  const world = new FakeWorld();
  const resolveConnection = jest.fn(async (tenantId: string) => ({ connectionString: `postgresql://db/${tenantId}` }));
  const pool = new TenantDatabasePool({
    resolveConnection,
    acquireTimeoutMs: 2_000,
    createPool: (settings) => {
      const fake = new FakePool(settings, world);
      world.pools.push(fake);
      return fake;
    },
    ...options,
  });
  return { world, pool, resolveConnection };
}

describe('TenantDatabasePool (fake pools)', () => {
  it("serves each tenant its own database, resolved once, and counts hits and misses", async () => {
    const { pool, resolveConnection } = setup();
    const [a1, b1, a2] = await Promise.all([
      pool.query<{ database: string }>(context('a'), 'SELECT 1'),
      pool.query<{ database: string }>(context('b'), 'SELECT 1'),
      pool.query<{ database: string }>(context('a'), 'SELECT 1'),
    ]);
    expect([a1.rows[0]!.database, b1.rows[0]!.database, a2.rows[0]!.database]).toEqual([
      'postgresql://db/id-a',
      'postgresql://db/id-b',
      'postgresql://db/id-a',
    ]);
    expect(resolveConnection.mock.calls.map(([tenantId]) => tenantId).sort()).toEqual(['id-a', 'id-b']);
    expect(pool.metrics()).toMatchObject({ hits: 1, misses: 2, openPools: 2, checkedOut: 0 });
    await pool.close();
  });

  it('never has more connections open than the global cap, however many tenants work at once', async () => {
    const { world, pool } = setup({ maxTotalConnections: 4, maxConnectionsPerTenant: 3, maxOpenPools: 100 });
    let peakReported = 0;
    const work = Array.from({ length: 60 }, (_, i) =>
      pool.withTenantClient(context(`t${i % 15}`), async (client) => {
        peakReported = Math.max(peakReported, pool.metrics().openConnections);
        await sleep(1 + (i % 4));
        return client.query('SELECT 1');
      }),
    );
    await Promise.all(work);
    expect(world.peakOpen).toBe(4);
    expect(peakReported).toBeLessThanOrEqual(4);
    expect(pool.metrics().waits).toBeGreaterThan(0);
    expect(pool.metrics().timeouts).toBe(0);
    await pool.close();
    await sleep(5);
    expect(world.open).toBe(0);
    expect(pool.metrics().openConnections).toBe(0);
  });

  it("keeps each tenant within its own connection limit", async () => {
    const { world, pool } = setup({ maxConnectionsPerTenant: 2, maxTotalConnections: 10 });
    await Promise.all(Array.from({ length: 8 }, () => pool.withTenantClient(context('a'), () => sleep(3))));
    expect(world.poolsOf('id-a')).toHaveLength(1);
    expect(world.poolsOf('id-a')[0]!.peakConnections).toBe(2);
    await pool.close();
  });

  it('ends the least recently used idle pool when there are more than maxOpenPools', async () => {
    const { world, pool } = setup({ maxOpenPools: 2 });
    await pool.query(context('a'), 'SELECT 1');
    await pool.query(context('b'), 'SELECT 1');
    await pool.query(context('a'), 'SELECT 1'); // a is now more recent than b
    await pool.query(context('c'), 'SELECT 1');
    await sleep(5);
    expect(world.poolsOf('id-b')[0]!.ended).toBe(true);
    expect(world.poolsOf('id-a')[0]!.ended).toBe(false);
    expect(pool.metrics()).toMatchObject({ openPools: 2, evictions: 1, closingPools: 0 });
    // b comes back with a fresh pool.
    await pool.query(context('b'), 'SELECT 1');
    expect(world.poolsOf('id-b')).toHaveLength(2);
    await pool.close();
  });

  it('does not end a pool while one of its connections is lent out, and ends it once returned', async () => {
    const { world, pool } = setup({ maxOpenPools: 1 });
    let finishA!: () => void;
    const holdingA = pool.withTenantClient(context('a'), () => new Promise<void>((resolve) => (finishA = resolve)));
    await sleep(1);
    await pool.query(context('b'), 'SELECT 1'); // over the limit, but a is busy: b... is the idle one
    await sleep(5);
    const [poolA] = world.poolsOf('id-a');
    expect(poolA!.ended).toBe(false);
    finishA();
    await holdingA;
    await pool.query(context('c'), 'SELECT 1');
    await sleep(5);
    expect(world.pools.filter((p) => !p.ended).map((p) => p.settings.tenantId)).toEqual(['id-c']);
    await pool.close();
  });

  it('frees the cap for a waiting tenant by ending idle pools, least recently used first', async () => {
    const { world, pool } = setup({ maxTotalConnections: 2, maxConnectionsPerTenant: 2 });
    // a then b each leave an idle connection behind: the cap is full of idle connections.
    await pool.query(context('a'), 'SELECT 1');
    await pool.query(context('b'), 'SELECT 1');
    expect(pool.metrics().openConnections).toBe(2);
    await pool.query(context('c'), 'SELECT 1');
    await sleep(5);
    expect(world.poolsOf('id-a')[0]!.ended).toBe(true); // least recently used goes first
    expect(world.poolsOf('id-b')[0]!.ended).toBe(false);
    expect(world.peakOpen).toBe(2);
    expect(pool.metrics()).toMatchObject({ evictions: 1, waits: 1, openConnections: 2 });
    await pool.close();
  });

  it('keeps the cap while a pool is ended with a connection still lent out', async () => {
    const { world, pool } = setup({ maxTotalConnections: 1, acquireTimeoutMs: 200 });
    let finishA!: () => void;
    const holdingA = pool.withTenantClient(context('a'), () => new Promise<void>((resolve) => (finishA = resolve)));
    await sleep(1);
    const closing = pool.close();
    // a's connection still holds the only permit until it is returned and closed.
    expect(pool.metrics().openConnections).toBe(1);
    finishA();
    await holdingA;
    await closing;
    expect(world.peakOpen).toBe(1);
    expect(world.open).toBe(0);
    expect(pool.metrics().openConnections).toBe(0);
  });

  it('fails with tenant_database_busy when no connection frees up in time', async () => {
    const { pool } = setup({ maxTotalConnections: 1, acquireTimeoutMs: 30 });
    let finishA!: () => void;
    const holdingA = pool.withTenantClient(context('a'), () => new Promise<void>((resolve) => (finishA = resolve)));
    await sleep(1);
    await expect(pool.query(context('b'), 'SELECT 1')).rejects.toMatchObject({ code: 'tenant_database_busy', kind: 'unavailable', retryable: true });
    expect(pool.metrics()).toMatchObject({ timeouts: 1, waitingForConnection: 0 });
    finishA();
    await holdingA;
    // Once a's connection is back, b gets through.
    await expect(pool.query(context('b'), 'SELECT 1')).resolves.toBeDefined();
    await pool.close();
  });

  it('does not cache a failed resolution', async () => {
    const { pool, resolveConnection } = setup();
    resolveConnection.mockRejectedValueOnce(new Error('control plane down'));
    await expect(pool.query(context('a'), 'SELECT 1')).rejects.toThrow('control plane down');
    await expect(pool.query(context('a'), 'SELECT 1')).resolves.toBeDefined();
    expect(resolveConnection).toHaveBeenCalledTimes(2);
    expect(pool.metrics().openPools).toBe(1);
    await pool.close();
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    const { world, pool } = setup();
    await pool.withTenantTransaction(context('a'), (client) => client.query('UPDATE ok'), { isolationLevel: 'repeatable read' });
    await expect(
      pool.withTenantTransaction(context('a'), async (client) => {
        await client.query('UPDATE doomed');
        throw new Error('business rule');
      }),
    ).rejects.toThrow('business rule');
    expect(world.statements).toEqual([
      'id-a: BEGIN ISOLATION LEVEL REPEATABLE READ',
      'id-a: UPDATE ok',
      'id-a: COMMIT',
      'id-a: BEGIN',
      'id-a: UPDATE doomed',
      'id-a: ROLLBACK',
    ]);
    expect(pool.metrics().checkedOut).toBe(0);
    await pool.close();
  });

  it('refuses checkouts after close', async () => {
    const { pool } = setup();
    await pool.close();
    await expect(pool.query(context('a'), 'SELECT 1')).rejects.toMatchObject({ code: 'tenant_database_pool_closed' });
  });

  it('validates its limits', () => {
    expect(() => setup({ maxTotalConnections: 0 })).toThrow(RangeError);
    expect(() => setup({ maxConnectionsPerTenant: 1.5 })).toThrow(RangeError);
  });
});
