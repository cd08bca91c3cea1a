import type { PubSub } from '@google-cloud/pubsub';
import { Controller, Inject, Injectable, Module, type INestApplication } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { metricsRefreshRequestedV1, type EventEnvelope, type EventPayload } from '@pulse/contracts';
import type { MessagingSettings } from '@pulse/config';
import type { RunningPubSubEmulator } from '@pulse/pubsub-emulator';
import { createTestDatabase, waitFor, type TestDatabase } from '@pulse/testing';
import pino from 'pino';
import { Pool } from 'pg';
import { PROCESSED_EVENTS_TABLE_SQL, processOnce } from '../idempotency/process-once';
import { messagingSettings, startEmulator, startServiceApp, testPubSub } from '../messaging.int-kit';
import { EventPublisher } from '../publishing/event-publisher';
import { ABANDONED_AT_SHUTDOWN, OutboxRelay } from './outbox-relay';
import { OUTBOX_TABLE_SQL, enqueueEvent } from './outbox-writer';

type RefreshEvent = EventEnvelope<EventPayload<typeof metricsRefreshRequestedV1>>;

const POOL = Symbol('POOL');

/** Records every delivery, and applies each event once to a ledger table. */
@Injectable()
class Deliveries {
  readonly received: Array<{ tenantId: string; runId: string }> = [];
}

@Controller()
class LedgerHandler {
  constructor(
    private readonly deliveries: Deliveries,
    @Inject(POOL) private readonly pool: Pool,
  ) {}

  @EventPattern(metricsRefreshRequestedV1.topic)
  async apply(@Payload() event: RefreshEvent): Promise<void> {
    this.deliveries.received.push({ tenantId: event.tenantId, runId: event.payload.runId });
    await processOnce(this.pool, { consumer: 'metrics', eventId: event.eventId }, (client) =>
      client.query('INSERT INTO ledger (tenant_id, run_id) VALUES ($1, $2)', [event.tenantId, event.payload.runId]),
    );
  }
}

describe('transactional outbox (real PostgreSQL, project emulator)', () => {
  let emulator: RunningPubSubEmulator;
  let settings: MessagingSettings;
  let database: TestDatabase;
  let pool: Pool;
  let consumerApp: INestApplication;
  let publisherClient: PubSub;
  let relay: OutboxRelay;

  const ledger = async () => (await pool.query<{ tenant_id: string; run_id: string }>('SELECT tenant_id, run_id FROM ledger ORDER BY id')).rows;
  const startConsumer = () => {
    @Module({ controllers: [LedgerHandler], providers: [Deliveries, { provide: POOL, useValue: pool }] })
    class LedgerModule {}
    return startServiceApp('metrics', settings, [LedgerModule], { consume: true });
  };
  /** A state change and its event in one transaction; `fail` rolls both back. */
  const changeAndEnqueue = async (tenantId: string, runId: string, fail = false) => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('INSERT INTO refresh_requests (tenant_id, run_id) VALUES ($1, $2)', [tenantId, runId]);
      await enqueueEvent((sql, values) => client.query(sql, values), metricsRefreshRequestedV1, { runId, reason: 'manual' }, {
        tenantId,
        correlationId: `corr-${runId}`,
      });
      if (fail) throw new Error('rolled back');
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      if (!fail) throw error;
    } finally {
      client.release();
    }
  };

  beforeAll(async () => {
    emulator = await startEmulator();
    settings = messagingSettings(emulator);
    database = await createTestDatabase({ prefix: 'outbox' });
    pool = new Pool({ connectionString: database.url, max: 5 });
    await pool.query(OUTBOX_TABLE_SQL);
    await pool.query(PROCESSED_EVENTS_TABLE_SQL);
    await pool.query('CREATE TABLE refresh_requests (tenant_id text, run_id text)');
    await pool.query('CREATE TABLE ledger (id serial PRIMARY KEY, tenant_id text, run_id text)');
    consumerApp = await startConsumer();
    publisherClient = testPubSub(settings);
    const publisher = new EventPublisher(publisherClient, settings, 2_000);
    relay = new OutboxRelay({ pool, publish: (m) => publisher.publishMessage(m), logger: pino({ level: 'silent' }), pollIntervalMs: 100 });
  });

  afterAll(async () => {
    await relay?.stop();
    await consumerApp?.close();
    await publisherClient?.close();
    await pool?.end();
    await database?.drop();
    await emulator?.stop();
  });

  beforeEach(async () => {
    await pool.query('TRUNCATE ledger, refresh_requests, outbox, processed_events');
    consumerApp.get(Deliveries).received.length = 0;
  });

  it('publishes the events of committed changes only', async () => {
    await changeAndEnqueue('acme', 'committed');
    await changeAndEnqueue('acme', 'rolled-back', true);

    expect(await relay.relayOnce()).toBe(1);
    await waitFor(async () => (await ledger()).length === 1, { timeoutMs: 10_000, description: 'the committed event to arrive' });
    expect(await ledger()).toEqual([{ tenant_id: 'acme', run_id: 'committed' }]);
    expect((await pool.query('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL')).rows[0].n).toBe(0);
  });

  it('keeps events while Pub/Sub is down and delivers all of them, in order per tenant, once it is back', async () => {
    const port = emulator.port;
    await consumerApp.close();
    await emulator.stop();
    relay.start();

    const sequence = [
      ['acme', 'a1'],
      ['globex', 'g1'],
      ['acme', 'a2'],
      ['globex', 'g2'],
      ['acme', 'a3'],
      ['globex', 'g3'],
    ] as const;
    for (const [tenant, runId] of sequence) await changeAndEnqueue(tenant, runId);

    await waitFor(
      async () => (await pool.query('SELECT count(*)::int AS n FROM outbox WHERE attempts > 0 AND last_error IS NOT NULL')).rows[0].n > 0,
      { timeoutMs: 30_000, description: 'the relay to fail against the stopped emulator' },
    );
    expect((await pool.query('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL')).rows[0].n).toBe(6);

    // The emulator keeps no state across a restart (real Pub/Sub does): the relay pauses while the
    // consumer re-creates its subscription, so nothing is published to a topic nobody subscribes to yet.
    await relay.stop();
    emulator = await startEmulator(port);
    consumerApp = await startConsumer();
    relay.start();

    // gRPC reconnects to the restarted emulator only when its backoff allows (at most 10 s: pubsub-client.ts);
    // the consumer's client shares that connection (grpc-js pools subchannels per target within a process).
    await waitFor(async () => (await ledger()).length === 6, { timeoutMs: 45_000, description: 'all six events to arrive' });
    const received = consumerApp.get(Deliveries).received;
    expect(received.filter((r) => r.tenantId === 'acme').map((r) => r.runId)).toEqual(['a1', 'a2', 'a3']);
    expect(received.filter((r) => r.tenantId === 'globex').map((r) => r.runId)).toEqual(['g1', 'g2', 'g3']);
    await relay.stop();
    // Each failed publish takes 2-6 s (the client's retries), and stop() waits for the round under way: on a
    // loaded machine the whole test took over a minute.
  }, 150_000);

  it('stops between events when asked to stop: a shutdown waits for the publish under way only', async () => {
    for (const tenant of ['t1', 't2', 't3', 't4']) await changeAndEnqueue(tenant, `run-${tenant}`);
    // Pub/Sub down: the first publish answers only when the test says so (a failing publish takes seconds),
    // any later one fails at once.
    const attempted: string[] = [];
    let fail: (error: Error) => void = () => undefined;
    const stoppable = new OutboxRelay({
      pool,
      publish: (message) => {
        attempted.push(message.attributes.tenantId);
        if (attempted.length > 1) return Promise.reject(new Error('14 UNAVAILABLE'));
        return new Promise<void>((_resolve, reject) => (fail = reject));
      },
      logger: pino({ level: 'silent' }),
    });
    stoppable.start();
    await waitFor(() => attempted.length === 1, { timeoutMs: 10_000, description: 'the first publish to start' });

    const stopped = stoppable.stop();
    fail(new Error('14 UNAVAILABLE'));
    await stopped;

    // The other three tenants' events were not attempted (each would have held the shutdown), and all four wait.
    expect(attempted).toEqual(['t1']);
    const waiting = await pool.query<{ tenant_id: string; attempts: number }>('SELECT tenant_id, attempts FROM outbox WHERE published_at IS NULL ORDER BY id');
    expect(waiting.rows).toEqual([
      { tenant_id: 't1', attempts: 1 },
      { tenant_id: 't2', attempts: 0 },
      { tenant_id: 't3', attempts: 0 },
      { tenant_id: 't4', attempts: 0 },
    ]);
  });

  it('gives up a publish that has not answered by the end of the stop grace: its event stays unpublished and goes out later', async () => {
    for (const tenant of ['t1', 't2']) await changeAndEnqueue(tenant, `run-${tenant}`);
    // Pub/Sub unreachable: a publish answers only after about 20 s, twice a shutdown's budget. This one never does.
    const attempted: string[] = [];
    const stuck = new OutboxRelay({
      pool,
      publish: (message) => {
        attempted.push(message.attributes.tenantId);
        return new Promise<void>(() => undefined);
      },
      logger: pino({ level: 'silent' }),
      stopGraceMs: 200,
    });
    stuck.start();
    await waitFor(() => attempted.length === 1, { timeoutMs: 10_000, description: 'the first publish to start' });

    await stuck.stop(); // without the grace this would wait for ever

    expect(attempted).toEqual(['t1']);
    const waiting = await pool.query<{ tenant_id: string; attempts: number; last_error: string | null }>(
      'SELECT tenant_id, attempts, last_error FROM outbox WHERE published_at IS NULL ORDER BY id',
    );
    expect(waiting.rows).toEqual([
      { tenant_id: 't1', attempts: 1, last_error: ABANDONED_AT_SHUTDOWN },
      { tenant_id: 't2', attempts: 0, last_error: null },
    ]);

    // The next relay (another replica, or this one restarted) publishes both.
    expect(await relay.relayOnce()).toBe(2);
    await waitFor(async () => (await ledger()).length === 2, { timeoutMs: 10_000, description: 'both events to arrive' });
    expect(await ledger()).toEqual([
      { tenant_id: 't1', run_id: 'run-t1' },
      { tenant_id: 't2', run_id: 'run-t2' },
    ]);
  });

  it('republishes after a crash between publish and mark, and the consumer applies the event once', async () => {
    await changeAndEnqueue('acme', 'crash-window');
    expect(await relay.relayOnce()).toBe(1);
    await waitFor(async () => consumerApp.get(Deliveries).received.length === 1, { timeoutMs: 10_000, description: 'first delivery' });

    // As if the relay had died after publishing but before recording it.
    await pool.query('UPDATE outbox SET published_at = NULL');
    expect(await relay.relayOnce()).toBe(1);

    await waitFor(async () => consumerApp.get(Deliveries).received.length === 2, { timeoutMs: 10_000, description: 'the duplicate delivery' });
    expect(await ledger()).toEqual([{ tenant_id: 'acme', run_id: 'crash-window' }]);
  });
});
