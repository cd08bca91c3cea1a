import type { EventContract, EventPayload } from '@pulse/contracts';
import { withTimeout } from '@pulse/service-runtime';
import { buildEventMessage, type EventMetadata } from '../publishing/event-message';
import type { EventPublisher } from '../publishing/event-publisher';

/**
 * Anything that runs one parameterised statement inside the caller's transaction: a `pg` client after
 * BEGIN, or a Prisma interactive transaction (`(sql, values) => tx.$executeRawUnsafe(sql, ...values)`).
 */
export type SqlExecutor = (sql: string, values: unknown[]) => Promise<unknown>;

/**
 * Records an event in the `outbox` table in the same transaction as the state change it describes: both
 * commit or neither does. The relay publishes it afterwards. Returns the eventId.
 */
export async function enqueueEvent<Contract extends EventContract>(
  execute: SqlExecutor,
  contract: Contract,
  payload: EventPayload<Contract>,
  metadata: EventMetadata,
): Promise<string> {
  const message = buildEventMessage(contract, payload, metadata);
  const { eventId, tenantId, correlationId, occurredAt } = message.attributes;
  await execute(
    `INSERT INTO outbox (event_id, topic, tenant_id, correlation_id, occurred_at, schema_version, payload)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)`,
    [eventId, message.topic, tenantId, correlationId, occurredAt, contract.schemaVersion, message.data.toString('utf8')],
  );
  return eventId;
}

/** The table the outbox needs, for databases whose migrations are not Prisma's (tests, tools). */
export const OUTBOX_TABLE_SQL = `
CREATE TABLE IF NOT EXISTS outbox (
  id              BIGSERIAL PRIMARY KEY,
  event_id        UUID NOT NULL UNIQUE,
  topic           TEXT NOT NULL,
  tenant_id       TEXT NOT NULL,
  correlation_id  TEXT NOT NULL,
  occurred_at     TIMESTAMPTZ NOT NULL,
  schema_version  INTEGER NOT NULL,
  payload         JSONB NOT NULL,
  published_at    TIMESTAMPTZ,
  attempts        INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT
);
CREATE INDEX IF NOT EXISTS outbox_unpublished_idx ON outbox (id) WHERE published_at IS NULL;
`;

/**
 * The fast path after the commit that enqueued an event: publish it now and mark its outbox row sent,
 * waiting for that at most `waitMs` (awaitPublishBriefly). Never throws: a failure, early or late, goes to
 * `onFailure`, since the committed row stays unpublished and the service's TenantOutboxSweeper (or
 * OutboxRelay) publishes it later with the same eventId.
 */
export async function publishAfterCommit<Contract extends EventContract>(
  publisher: EventPublisher,
  execute: SqlExecutor,
  event: { contract: Contract; payload: EventPayload<Contract>; metadata: EventMetadata & { eventId: string } },
  onFailure: (error: unknown) => void,
  waitMs = PUBLISH_AFTER_COMMIT_WAIT_MS,
): Promise<void> {
  const publishing = (async () => {
    await publisher.publish(event.contract, event.payload, event.metadata);
    await execute('UPDATE outbox SET published_at = now() WHERE event_id = $1 AND published_at IS NULL', [event.metadata.eventId]);
  })();
  await awaitPublishBriefly(publishing, onFailure, waitMs);
}

/**
 * How long work that has already committed (an api request, an import, a metrics run) waits for its event's
 * fast-path publish. Pub/Sub answers in milliseconds when healthy; when it is unreachable a publish fails
 * only after about 20 s (a minute for a topic the process has not used yet: a client saw 28 s for a 202),
 * while the event is safe in the outbox. Neither a response nor a handler holding its message and the
 * service's shutdown should wait that out.
 */
export const PUBLISH_AFTER_COMMIT_WAIT_MS = 1_000;

/**
 * Waits for `publishing` (a publishAfterCommit) at most `waitMs`, then lets it go on in the background:
 * a late success still marks the outbox row sent. Its failure, early or late, goes to `onFailure` and is
 * never thrown (the sweeper publishes the row later).
 */
export async function awaitPublishBriefly(publishing: Promise<void>, onFailure: (error: unknown) => void, waitMs: number): Promise<void> {
  const settled = publishing.catch(onFailure);
  // Past the wait the publish goes on; only the waiting stops.
  await withTimeout(settled, waitMs).catch(() => undefined);
}
