import type { Message, PubSub } from '@google-cloud/pubsub';
import { ingestionRequestedV1, metricsComputedV1, metricsRefreshRequestedV1 } from '@pulse/contracts';
import type { RunningPubSubEmulator } from '@pulse/pubsub-emulator';
import { createTestDatabase, waitFor, type TestDatabase } from '@pulse/testing';
import pino from 'pino';
import { Pool } from 'pg';
import { collect, messagingSettings, startEmulator, testPubSub } from '../messaging.int-kit';
import type { EventMessage } from '../publishing/event-message';
import { EventPublisher } from '../publishing/event-publisher';
import { ABANDONED_AT_SHUTDOWN } from './outbox-relay';
import { OUTBOX_TABLE_SQL, enqueueEvent } from './outbox-writer';
import { TenantOutboxSweeper } from './tenant-outbox-sweeper';

// Two tenant databases with outboxes, the project's emulator, the real publisher: what the sweeper
// publishes is what arrives on the topics.

interface Tenant {
  tenantId: string;
  pool: Pool;
  database: TestDatabase;
}

describe('TenantOutboxSweeper (real PostgreSQL, project emulator)', () => {
  let emulator: RunningPubSubEmulator;
  let pubsub: PubSub;
  let publisher: EventPublisher;
  let acme: Tenant;
  let globex: Tenant;
  let arrived: { messages: Message[]; close: () => Promise<void> }[];

  const tenant = async (tenantId: string): Promise<Tenant> => {
    const database = await createTestDatabase({ prefix: `sweep_${tenantId}` });
    const pool = new Pool({ connectionString: database.url, max: 2 });
    await pool.query(OUTBOX_TABLE_SQL);
    return { tenantId, pool, database };
  };

  /** An outbox row as a request would leave it, `ageSeconds` old. */
  const leave = async (owner: Tenant, runId: string, ageSeconds: number, contract: typeof metricsRefreshRequestedV1 | typeof metricsComputedV1 = metricsRefreshRequestedV1) => {
    const occurredAt = new Date(Date.now() - ageSeconds * 1000);
    if (contract === metricsComputedV1) {
      const payload = { runId, asOf: '2026-11-26', startedAt: occurredAt.toISOString(), finishedAt: occurredAt.toISOString(), metrics: [] };
      await enqueueEvent((sql, values) => owner.pool.query(sql, values), metricsComputedV1, payload, { tenantId: owner.tenantId, correlationId: runId, occurredAt });
    } else {
      await enqueueEvent((sql, values) => owner.pool.query(sql, values), metricsRefreshRequestedV1, { runId, reason: 'manual' }, { tenantId: owner.tenantId, correlationId: runId, occurredAt });
    }
  };

  const sweeper = (options: { unreachable?: string; publish?: (message: EventMessage) => Promise<void>; stopGraceMs?: number; concurrency?: number } = {}) =>
    new TenantOutboxSweeper<Tenant>({
      listTenants: async () => [acme, globex],
      withTenantConnection: async (owner, work) => {
        if (owner.tenantId === options.unreachable) throw new Error('connection refused');
        const client = await owner.pool.connect();
        try {
          return await work(client);
        } finally {
          client.release();
        }
      },
      tenantIdOf: (owner) => owner.tenantId,
      publish: options.publish ?? ((message) => publisher.publishMessage(message)),
      logger: pino({ level: 'silent' }),
      topics: [ingestionRequestedV1.topic, metricsRefreshRequestedV1.topic],
      minAgeMs: 10_000,
      batchSize: 2,
      stopGraceMs: options.stopGraceMs,
      concurrency: options.concurrency,
    });

  const runIds = () => arrived.flatMap((subscription) => subscription.messages.map((message) => `${message.attributes.tenantId}:${(JSON.parse(message.data.toString()) as { runId: string }).runId}`));
  const unpublished = async (owner: Tenant) =>
    (await owner.pool.query<{ run_id: string }>("SELECT payload->>'runId' AS run_id FROM outbox WHERE published_at IS NULL ORDER BY id")).rows.map((row) => row.run_id);

  beforeAll(async () => {
    emulator = await startEmulator();
    const settings = messagingSettings(emulator);
    pubsub = testPubSub(settings);
    publisher = new EventPublisher(pubsub, settings, 2_000);
    for (const topic of [metricsRefreshRequestedV1.topic, metricsComputedV1.topic]) {
      const [created] = await pubsub.createTopic(topic);
      await created.createSubscription(`${topic}.sweeper-test`, { enableMessageOrdering: true });
    }
    acme = await tenant('acme');
    globex = await tenant('globex');
  });

  beforeEach(async () => {
    arrived = [metricsRefreshRequestedV1.topic, metricsComputedV1.topic].map((topic) => collect(pubsub, `${topic}.sweeper-test`));
    for (const owner of [acme, globex]) await owner.pool.query('TRUNCATE outbox');
  });

  afterEach(async () => {
    for (const subscription of arrived) await subscription.close();
  });

  afterAll(async () => {
    for (const owner of [acme, globex]) {
      await owner?.pool.end();
      await owner?.database.drop();
    }
    await pubsub?.close();
    await emulator?.stop();
  });

  it("publishes every tenant's old enough rows of its own topics, in order, across batches, and marks them", async () => {
    await leave(acme, 'a1', 60);
    await leave(acme, 'a2', 50);
    await leave(acme, 'a3', 40); // a second batch (batchSize 2)
    await leave(globex, 'g1', 30);
    await leave(acme, 'a-fresh', 1); // its request may still be publishing it
    await leave(globex, 'g-other-topic', 60, metricsComputedV1); // another service's event

    expect(await sweeper().sweepOnce()).toBe(4);

    await waitFor(async () => runIds().length >= 4, { timeoutMs: 10_000, description: 'four events to arrive' });
    expect(runIds().filter((id) => id.startsWith('acme:'))).toEqual(['acme:a1', 'acme:a2', 'acme:a3']);
    expect(runIds().filter((id) => id.startsWith('globex:'))).toEqual(['globex:g1']);
    expect(await unpublished(acme)).toEqual(['a-fresh']);
    expect(await unpublished(globex)).toEqual(['g-other-topic']);
  });

  it("never publishes a row of one tenant's outbox as another tenant's event", async () => {
    await leave(acme, 'own', 60);
    // A row in acme's database naming globex (only a writer bug or a tampered row could make one).
    await leave({ ...acme, tenantId: 'globex' }, 'forged', 60);

    expect(await sweeper().sweepOnce()).toBe(1);
    await waitFor(async () => runIds().length >= 1, { timeoutMs: 10_000, description: "acme's own event to arrive" });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(runIds()).toEqual(['acme:own']);
    expect(await unpublished(acme)).toEqual(['forged']);
  });

  it('publishes nothing twice: a second round finds nothing to do', async () => {
    await leave(acme, 'once', 60);
    expect(await sweeper().sweepOnce()).toBe(1);
    expect(await sweeper().sweepOnce()).toBe(0);
    await waitFor(async () => runIds().length >= 1, { timeoutMs: 10_000, description: 'the event to arrive' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(runIds()).toEqual(['acme:once']);
  });

  it('skips a tenant whose database cannot be reached and still sweeps the others', async () => {
    await leave(acme, 'stuck', 60);
    await leave(globex, 'delivered', 60);

    expect(await sweeper({ unreachable: 'acme' }).sweepOnce()).toBe(1);
    await waitFor(async () => runIds().length >= 1, { timeoutMs: 10_000, description: "globex's event to arrive" });
    expect(runIds()).toEqual(['globex:delivered']);
    expect(await unpublished(acme)).toEqual(['stuck']);
  });

  it('gives up the publishes still under way when stopped past its grace; the next round publishes them', async () => {
    await leave(acme, 'a-stuck', 60);
    await leave(globex, 'g-stuck', 60);
    // Pub/Sub unreachable: a publish answers only after about 20 s. These never do.
    const attempted: string[] = [];
    const stuck = sweeper({
      publish: (message) => {
        attempted.push(message.attributes.tenantId ?? '');
        return new Promise<void>(() => undefined);
      },
      stopGraceMs: 200,
    });
    stuck.start();
    await waitFor(() => attempted.length === 2, { timeoutMs: 10_000, description: "both tenants' publishes to start" });

    await stuck.stop(); // without the grace this would wait for ever

    for (const owner of [acme, globex]) {
      const { rows } = await owner.pool.query<{ attempts: number; last_error: string | null }>('SELECT attempts, last_error FROM outbox WHERE published_at IS NULL');
      expect(rows).toEqual([{ attempts: 1, last_error: ABANDONED_AT_SHUTDOWN }]);
    }
    expect(await sweeper().sweepOnce()).toBe(2);
    await waitFor(async () => runIds().length >= 2, { timeoutMs: 10_000, description: 'both events to arrive' });
    expect(runIds().sort()).toEqual(['acme:a-stuck', 'globex:g-stuck']);
  });

  it('leaves rows unpublished, with the error, while Pub/Sub is down; the next round after it is back publishes them', async () => {
    await leave(acme, 'during-outage', 60);
    const port = emulator.port;
    await emulator.stop();
    try {
      expect(await sweeper().sweepOnce()).toBe(0);
      const { rows } = await acme.pool.query<{ attempts: number; last_error: string | null }>('SELECT attempts, last_error FROM outbox');
      expect(rows).toEqual([{ attempts: 1, last_error: expect.any(String) }]);
    } finally {
      emulator = await startEmulator(port);
    }
    // The emulator keeps nothing across a restart: topics and subscriptions again.
    for (const subscription of arrived) await subscription.close();
    for (const name of [metricsRefreshRequestedV1.topic, metricsComputedV1.topic]) {
      const [topic] = await pubsub.createTopic(name);
      await topic.createSubscription(`${name}.sweeper-test`, { enableMessageOrdering: true });
    }
    arrived = [collect(pubsub, `${metricsRefreshRequestedV1.topic}.sweeper-test`)];

    expect(await sweeper().sweepOnce()).toBe(1);
    await waitFor(async () => runIds().length >= 1, { timeoutMs: 10_000, description: 'the event to arrive after the outage' });
    expect(runIds()).toEqual(['acme:during-outage']);
    expect(await unpublished(acme)).toEqual([]);
  });

  it('ends a round at the first publish Pub/Sub does not answer, then tries one tenant at a time until one goes through', async () => {
    await leave(acme, 'a-down', 60);
    await leave(globex, 'g-down', 60);
    let calls = 0;
    let down = true;
    // The first round's two publishes fail together, as two publishes waiting out Pub/Sub's timeout do.
    let bothStarted = () => undefined as void;
    const firstTwo = new Promise<void>((resolve) => (bothStarted = resolve));
    // Each failing publish would hold its tenant's connection and relay lock for the publish's timeout.
    const swept = sweeper({
      concurrency: 2,
      publish: async (message) => {
        calls += 1;
        if (calls === 2) bothStarted();
        if (calls <= 2) await firstTwo;
        if (down) throw Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: 14 });
        await publisher.publishMessage(message);
      },
    });
    // Two tenants at once: both fail.
    expect(await swept.sweepOnce()).toBe(0);
    expect(calls).toBe(2);
    // Pub/Sub still down: one tenant tried, and the round ends (before: both again, and every tenant after them).
    expect(await swept.sweepOnce()).toBe(0);
    expect(calls).toBe(3);

    down = false;
    expect(await swept.sweepOnce()).toBeGreaterThanOrEqual(2);
    expect(await unpublished(acme)).not.toContain('a-down');
    expect(await unpublished(globex)).not.toContain('g-down');
  });
});
