import type { Pool, QueryResult, QueryResultRow } from 'pg';
import type { Logger } from 'pino';
import type { EventMessage } from '../publishing/event-message';

export interface OutboxRelayOptions {
  pool: Pool;
  publish: (message: EventMessage) => Promise<void>;
  logger: Logger;
  /** Rows read per round. */
  batchSize?: number;
  /** Pause between rounds when the outbox is empty or Pub/Sub is failing. */
  pollIntervalMs?: number;
  /** How long stop() waits for the publish under way before giving it up (see OutboxBatchOptions.abandon). Default 2 s. */
  stopGraceMs?: number;
}

interface OutboxRow {
  id: string;
  event_id: string;
  topic: string;
  tenant_id: string;
  correlation_id: string;
  occurred_at: Date;
  schema_version: number;
  payload: unknown;
}

// One relay per database publishes at a time, so per-tenant order holds across replicas.
const RELAY_LOCK_KEY = 'pulse.outbox-relay';

/**
 * A healthy Pub/Sub answers a publish in milliseconds; an unreachable one only after the publish timeout
 * and the client's retries (about 20 s), twice a service's whole shutdown budget.
 */
export const OUTBOX_STOP_GRACE_MS = 2_000;

/** What a row given up at shutdown records as its last error. */
export const ABANDONED_AT_SHUTDOWN = 'shutdown came before Pub/Sub answered; the event goes out again later';

/**
 * Publishes outbox rows in id order and marks them sent. When Pub/Sub is unreachable rows simply wait;
 * a failed event blocks the later events of its tenant (order per tenant) but not other tenants'.
 * A crash between publish and mark republishes the same eventId, which consumers dedupe.
 */
export class OutboxRelay {
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private running: Promise<void> | undefined;
  private stopping = false;
  private abandon = new AbortController();
  private wake: (() => void) | undefined;

  constructor(private readonly options: OutboxRelayOptions) {
    this.batchSize = options.batchSize ?? 100;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
  }

  start(): void {
    if (this.running) return;
    this.stopping = false;
    this.abandon = new AbortController();
    this.running = this.loop();
  }

  /** Lets a round start now instead of at the next poll (after a commit that enqueued events). */
  notify(): void {
    this.wake?.();
  }

  /** Ends the loop between events, giving up a publish still under way after the grace period. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await waitThenAbandon(this.running, this.abandon, this.options.stopGraceMs);
    this.running = undefined;
  }

  /** One round: publishes what it can of the next batch. Returns how many events were published. */
  relayOnce(): Promise<number> {
    return this.round({});
  }

  private async round(stop: Pick<OutboxBatchOptions, 'stopRequested' | 'abandon'>): Promise<number> {
    const client = await this.options.pool.connect();
    try {
      return await relayOutboxBatch(client, { publish: this.options.publish, logger: this.options.logger, batchSize: this.batchSize, ...stop });
    } finally {
      client.release();
    }
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      let published = 0;
      try {
        // stop() ends the round between events rather than after the batch.
        published = await this.round({ stopRequested: () => this.stopping, abandon: this.abandon.signal });
      } catch (error) {
        this.options.logger.error({ err: error }, 'outbox relay round failed');
      }
      // A full round means more may be waiting: go again at once.
      if (published < this.batchSize && !this.stopping) await this.sleep();
    }
  }

  private sleep(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.pollIntervalMs);
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

/** What relayOutboxBatch needs of a connection to a database with an `outbox` table. */
export interface OutboxConnection {
  query<R extends QueryResultRow = QueryResultRow>(sql: string, values?: unknown[]): Promise<QueryResult<R>>;
}

export interface OutboxBatchOptions {
  publish: (message: EventMessage) => Promise<void>;
  logger: Logger;
  batchSize: number;
  /** Only these topics (a service publishes only what its IAM role allows); all when absent. */
  topics?: readonly string[];
  /** Only rows at least this old: younger ones are still being published by the request that wrote them. */
  minAgeMs?: number;
  /**
   * The tenant whose own database this is (tenant outboxes): only rows naming it are published, so a row
   * naming another tenant (a writer bug, a tampered row) can never become that tenant's event.
   */
  tenantId?: string;
  /**
   * Asked before each event: once it answers true the batch ends there. A publish that fails takes seconds
   * (the client's retries), so a batch naming many tenants while Pub/Sub is down would otherwise hold a
   * shutdown for a few seconds per tenant.
   */
  stopRequested?: () => boolean;
  /**
   * Aborted when the caller cannot wait any longer (a shutdown past its grace): the publish under way is
   * given up and the batch ends. Whether Pub/Sub stored the event is unknown, so its row stays unpublished
   * and goes out again later; consumers deduplicate on eventId.
   */
  abandon?: AbortSignal;
}

/**
 * Publishes the next batch of one database's unpublished outbox rows in id order and marks them sent,
 * under an advisory lock so that one relay per database works at a time (per-tenant order holds across
 * replicas; a relay that finds the lock taken publishes nothing this round). A failed event blocks the
 * later events of its tenant but not other tenants'. Returns how many events were published.
 */
export async function relayOutboxBatch(client: OutboxConnection, options: OutboxBatchOptions): Promise<number> {
  const locked = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [RELAY_LOCK_KEY]);
  if (!locked.rows[0]?.locked) return 0;
  try {
    return await publishBatch(client, options);
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [RELAY_LOCK_KEY]);
  }
}

async function publishBatch(client: OutboxConnection, options: OutboxBatchOptions): Promise<number> {
  const { rows } = await client.query<OutboxRow>(
    `SELECT id, event_id, topic, tenant_id, correlation_id, occurred_at, schema_version, payload
       FROM outbox
      WHERE published_at IS NULL
        AND ($2::text[] IS NULL OR topic = ANY($2::text[]))
        AND occurred_at <= now() - make_interval(secs => $3::double precision / 1000)
        AND ($4::text IS NULL OR tenant_id = $4::text)
      ORDER BY id LIMIT $1`,
    [options.batchSize, options.topics ? [...options.topics] : null, options.minAgeMs ?? 0, options.tenantId ?? null],
  );
  const blockedTenants = new Set<string>();
  let published = 0;
  for (const row of rows) {
    if (options.stopRequested?.()) break;
    if (blockedTenants.has(row.tenant_id)) continue;
    try {
      await untilAborted(options.publish(toMessage(row)), options.abandon);
      await client.query('UPDATE outbox SET published_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = $1', [row.id]);
      published += 1;
    } catch (error) {
      if (error instanceof PublishAbandoned) {
        await client.query('UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1', [row.id, ABANDONED_AT_SHUTDOWN]);
        options.logger.warn({ eventId: row.event_id, topic: row.topic, tenantId: row.tenant_id }, 'outbox publish given up at shutdown; the event goes out again later');
        break;
      }
      blockedTenants.add(row.tenant_id);
      const reason = error instanceof Error ? error.message : String(error);
      await client.query('UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1', [row.id, reason.slice(0, 2000)]);
      options.logger.warn({ eventId: row.event_id, topic: row.topic, tenantId: row.tenant_id, err: error }, 'outbox publish failed; will retry');
    }
  }
  return published;
}

/** Waits for a relay loop to end, aborting `abandon` if it is still running after the grace period. */
export async function waitThenAbandon(running: Promise<void> | undefined, abandon: AbortController, graceMs = OUTBOX_STOP_GRACE_MS): Promise<void> {
  const giveUp = setTimeout(() => abandon.abort(), graceMs);
  try {
    await running;
  } finally {
    clearTimeout(giveUp);
  }
}

class PublishAbandoned extends Error {}

/** The publish's outcome, unless `signal` aborts first (the publish then goes on unobserved). */
function untilAborted(publishing: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return publishing;
  return new Promise((resolve, reject) => {
    const abandoned = () => reject(new PublishAbandoned());
    if (signal.aborted) abandoned();
    signal.addEventListener('abort', abandoned, { once: true });
    publishing.then(resolve, reject).finally(() => signal.removeEventListener('abort', abandoned));
  });
}

function toMessage(row: OutboxRow): EventMessage {
  return {
    topic: row.topic,
    data: Buffer.from(JSON.stringify(row.payload)),
    attributes: {
      eventId: row.event_id,
      tenantId: row.tenant_id,
      correlationId: row.correlation_id,
      occurredAt: row.occurred_at.toISOString(),
      schemaVersion: String(row.schema_version),
    },
    orderingKey: row.tenant_id,
  };
}
