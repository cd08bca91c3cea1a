import type { Logger } from 'pino';
import type { EventMessage } from '../publishing/event-message';
import { relayOutboxBatch, waitThenAbandon, type OutboxConnection } from './outbox-relay';

export interface TenantOutboxSweeperOptions<Tenant> {
  /** The tenants whose databases may hold outbox rows, read again every round (e.g. from the control plane). */
  listTenants: () => Promise<readonly Tenant[]>;
  /** Lends a connection to the tenant's own database (the tenancy lib's pool). */
  withTenantConnection: <T>(tenant: Tenant, work: (connection: OutboxConnection) => Promise<T>) => Promise<T>;
  /** The tenant's id: only outbox rows naming it are published from its database (and it is logged). */
  tenantIdOf: (tenant: Tenant) => string;
  publish: (message: EventMessage) => Promise<void>;
  logger: Logger;
  /** The topics this service publishes: its IAM role may publish nothing else. */
  topics: readonly string[];
  /** Pause between rounds. Default 15 s. */
  intervalMs?: number;
  /**
   * Rows younger than this are left to the request that wrote them, which publishes right after its
   * commit; the sweeper picks up what that publish missed (Pub/Sub down, process killed). Default 10 s.
   */
  minAgeMs?: number;
  /** Tenant databases swept at once. Default 4. */
  concurrency?: number;
  batchSize?: number;
  /** How long stop() waits for the publishes under way before giving them up (as OutboxRelay's). Default 2 s. */
  stopGraceMs?: number;
}

/**
 * The relay for tenant-database outboxes. Services write an event to the tenant's outbox in the same
 * transaction as the change it announces and publish it right after the commit; when that publish fails
 * or the process dies first, the row stays unpublished and this sweeper, running in every replica of the
 * service, publishes it (the per-database advisory lock of relayOutboxBatch lets one replica at a time
 * work on a database). A tenant whose database cannot be reached is logged and skipped, never blocks
 * the others. Consumers deduplicate on eventId, so a publish that raced the request's own is harmless.
 */
export class TenantOutboxSweeper<Tenant> {
  private readonly intervalMs: number;
  private running: Promise<void> | undefined;
  private stopping = false;
  private abandon = new AbortController();
  private wake: (() => void) | undefined;
  /** The last publish found Pub/Sub unreachable: the next round sweeps one tenant at a time, as a probe. */
  private pubsubDown = false;
  /** A publish of this round found Pub/Sub unreachable: the round takes no more tenants. */
  private roundCutShort = false;

  constructor(private readonly options: TenantOutboxSweeperOptions<Tenant>) {
    this.intervalMs = options.intervalMs ?? 15_000;
  }

  start(): void {
    if (this.running) return;
    this.stopping = false;
    this.abandon = new AbortController();
    this.running = this.loop();
  }

  /** Ends the round between events, giving up the publishes still under way after the grace period. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await waitThenAbandon(this.running, this.abandon, this.options.stopGraceMs);
    this.running = undefined;
  }

  /**
   * One round over every tenant. Returns how many events were published.
   *
   * While Pub/Sub does not answer, each publish waits out its timeout (15 s) holding a connection to the
   * tenant's database and its relay lock: the round ends at the first such failure instead of going on to
   * every tenant, and the rounds after it try one tenant at a time until a publish goes through.
   */
  async sweepOnce(): Promise<number> {
    const tenants = [...(await this.options.listTenants())];
    let published = 0;
    this.roundCutShort = false;
    const ended = () => this.stopping || this.roundCutShort;
    const worker = async () => {
      for (let tenant = tenants.shift(); tenant !== undefined && !ended(); tenant = tenants.shift()) {
        // Not `published += await ...`: that reads `published` before the await and loses the other workers' counts.
        const count = await this.sweepTenant(tenant);
        published += count;
      }
    };
    await Promise.all(Array.from({ length: this.pubsubDown ? 1 : (this.options.concurrency ?? 4) }, worker));
    return published;
  }

  /** The service's publish, noting whether Pub/Sub answered. */
  private readonly publish = async (message: EventMessage): Promise<void> => {
    try {
      await this.options.publish(message);
      this.pubsubDown = false;
    } catch (error) {
      if (isPubSubUnreachable(error)) this.pubsubDown = this.roundCutShort = true;
      throw error;
    }
  };

  private async sweepTenant(tenant: Tenant): Promise<number> {
    const batchSize = this.options.batchSize ?? 100;
    try {
      return await this.options.withTenantConnection(tenant, async (connection) => {
        let published = 0;
        for (;;) {
          const count = await relayOutboxBatch(connection, {
            publish: this.publish,
            logger: this.options.logger,
            batchSize,
            topics: this.options.topics,
            minAgeMs: this.options.minAgeMs ?? 10_000,
            tenantId: this.options.tenantIdOf(tenant),
            stopRequested: () => this.stopping || this.roundCutShort,
            abandon: this.abandon.signal,
          });
          published += count;
          // A full batch means more may be waiting; anything less (failures included) ends the tenant's turn.
          if (count < batchSize || this.stopping || this.roundCutShort) return published;
        }
      });
    } catch (error) {
      this.options.logger.warn({ err: error, tenantId: this.options.tenantIdOf(tenant) }, 'tenant outbox sweep failed; next round retries');
      return 0;
    }
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      try {
        const published = await this.sweepOnce();
        if (published > 0) this.options.logger.info({ published }, 'published events left in tenant outboxes');
      } catch (error) {
        this.options.logger.error({ err: error }, 'tenant outbox sweep round failed');
      }
      if (!this.stopping) await this.sleep();
    }
  }

  private sleep(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.intervalMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }
}

/** gRPC's UNAVAILABLE (no connection) and DEADLINE_EXCEEDED (no answer in time): Pub/Sub, not the message, is the problem. */
function isPubSubUnreachable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 14 || code === 4;
}
