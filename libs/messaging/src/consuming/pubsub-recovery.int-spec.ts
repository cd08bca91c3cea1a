import type { PubSub } from '@google-cloud/pubsub';
import { Controller, Injectable, Module, type INestApplication } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { metricsRefreshRequestedV1, tenantUpdatedV1, type EventEnvelope } from '@pulse/contracts';
import type { MessagingSettings } from '@pulse/config';
import type { EmulatorUnderTest } from '@pulse/pubsub-emulator';
import { NotFoundError } from '@pulse/errors';
import { waitFor } from '@pulse/testing';
import pino from 'pino';
import { EventPublisher } from '../publishing/event-publisher';
import { messagingSettings, readiness, startEmulator, startServerUnderTest, startServiceApp, subscriptionIds, testPubSub } from '../messaging.int-kit';
import { ensureSubscription, ensureTopic, subscriptionName } from '../topology';
import { PubSubServer } from './pubsub.server';

// A consumer must not go quiet when its subscription disappears under it (deleted by someone, expired,
// or deleted by another process on the same host): it recreates what it owns, reports itself not ready
// while it cannot receive, and receives again afterwards.

/** What a test app's handlers received, by a key each test chooses (runId or slug). */
@Injectable()
class Received {
  readonly keys: string[] = [];
}

@Controller()
class Handlers {
  constructor(private readonly received: Received) {}

  @EventPattern(tenantUpdatedV1.topic, { broadcast: true })
  onTenantUpdated(@Payload() event: EventEnvelope<{ slug: string }>): void {
    this.received.keys.push(event.payload.slug);
    if (event.payload.slug.startsWith('poison')) throw new NotFoundError('tenant.not_found', `No tenant "${event.payload.slug}".`);
  }

  @EventPattern(metricsRefreshRequestedV1.topic)
  onRefreshRequested(@Payload() event: EventEnvelope<{ runId: string }>): void {
    this.received.keys.push(event.payload.runId);
  }
}

@Module({ controllers: [Handlers], providers: [Received] })
class HandlersModule {}

describe(`Pub/Sub consumer recovery (real client, ${process.env['PUBSUB_EMULATOR_UNDER_TEST'] ?? 'in-process'} emulator)`, () => {
  let emulator: EmulatorUnderTest;
  let settings: MessagingSettings;
  let pubsub: PubSub;
  let publisherApp: INestApplication;
  const started: INestApplication[] = [];

  const consume = async (service: string, overrides: Partial<MessagingSettings> = {}) => {
    const app = await startServiceApp(service, { ...settings, ...overrides }, [HandlersModule], { consume: true });
    started.push(app);
    return app;
  };
  const stop = async (app: INestApplication) => {
    started.splice(started.indexOf(app), 1);
    await app.close();
  };
  const received = (app: INestApplication) => app.get(Received).keys;
  const publishTenantUpdated = (slug: string) =>
    publisherApp
      .get(EventPublisher)
      .publish(tenantUpdatedV1, { slug, status: 'active', plan: 'pro', hostnames: [], changed: ['plan'] }, { tenantId: slug, correlationId: `corr-${slug}` });
  const publishRefresh = (runId: string) =>
    publisherApp.get(EventPublisher).publish(metricsRefreshRequestedV1, { runId, reason: 'manual' }, { tenantId: 'acme', correlationId: `corr-${runId}` });
  const broadcastSubscriptionsOf = (service: string) => subscriptionIds(pubsub, `${tenantUpdatedV1.topic}.${service}.`);
  const isReady = async (app: INestApplication) => (await readiness(app)).status === 200;
  /** Not ready, with the subscription named as the failing check. */
  const reportsDown = async (app: INestApplication, subscription: string) => {
    const { status, body } = await readiness(app);
    return status === 503 && Object.entries(body.checks ?? {}).some(([name, check]) => name.includes(subscription) && check.status === 'down');
  };

  beforeAll(async () => {
    emulator = await startServerUnderTest();
    settings = messagingSettings(emulator);
    pubsub = testPubSub(settings);
    publisherApp = await startServiceApp('publisher', settings);
  });

  afterAll(async () => {
    for (const app of started) await app.close();
    await publisherApp?.close();
    await pubsub?.close();
    await emulator?.stop();
  });

  it('recreates a per-replica subscription deleted under a running consumer, staying ready meanwhile', async () => {
    const app = await consume('cache');
    const [subscription] = await broadcastSubscriptionsOf('cache');
    expect(subscription).toBeDefined();
    expect(await isReady(app)).toBe(true);

    await pubsub.subscription(subscription as string).delete();

    // A replica whose cache-invalidation subscription is gone still serves (stale for at most the cache
    // TTL): taking it out of the load balancer would turn a lost subscription into an outage.
    let alwaysReady = true;
    await waitFor(
      async () => {
        alwaysReady &&= await isReady(app);
        return (await broadcastSubscriptionsOf('cache')).includes(subscription as string);
      },
      { timeoutMs: 20_000, description: `${subscription} to be recreated` },
    );
    expect(alwaysReady).toBe(true);
    // Recreated under its own name, with the same expiration policy, so a crashed replica's is still cleaned up.
    expect(await broadcastSubscriptionsOf('cache')).toEqual([subscription]);
    const [metadata] = await pubsub.subscription(subscription as string).getMetadata();
    expect(Number(metadata.expirationPolicy?.ttl?.seconds)).toBe(24 * 60 * 60);

    await publishTenantUpdated('after-recovery');
    await waitFor(() => received(app).includes('after-recovery'), { timeoutMs: 10_000, description: 'the event published after recovery' });
  });

  it("drops a message a per-replica subscription's handler can never handle, instead of redelivering it for ever", async () => {
    await ensureTopic(pubsub, tenantUpdatedV1.topic, { autoCreate: true });
    // As in production, where nothing is created on demand but the replica's own subscriptions: there is no
    // dead-letter topic for such a subscription (before, the publish to it failed and the message was nacked).
    const app = await consume('strict-cache', { autoCreate: false });
    try {
      await publishTenantUpdated('poison-1');
      await publishTenantUpdated('after-poison');
      await waitFor(() => received(app).includes('poison-1') && received(app).includes('after-poison'), { timeoutMs: 10_000, description: 'both events' });
      // The retry backoff is at most 1 s here: a nacked message would have come back by now.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect(received(app).filter((key) => key === 'poison-1')).toEqual(['poison-1']);
      expect(await subscriptionIds(pubsub, 'tenant.updated.v1.strict-cache.')).toHaveLength(1);
    } finally {
      await stop(app);
    }
  });

  it('recreates a shared subscription deleted under a running consumer where the service creates its own (auto-create)', async () => {
    const app = await consume('worker');
    const shared = subscriptionName(metricsRefreshRequestedV1.topic, 'worker');

    await pubsub.subscription(shared).delete();

    await waitFor(() => reportsDown(app, shared), { timeoutMs: 15_000, description: `/readyz to report ${shared} down` });
    await waitFor(() => isReady(app), { timeoutMs: 20_000, description: '/readyz to answer 200 again' });
    await publishRefresh('run-after-recovery');
    await waitFor(() => received(app).includes('run-after-recovery'), { timeoutMs: 10_000, description: 'the event published after recovery' });
  });

  it('reports a shared subscription declared by infrastructure as down until it exists again, then receives', async () => {
    // Infrastructure declares the topics and the service's subscription; the service creates nothing shared.
    await ensureTopic(pubsub, tenantUpdatedV1.topic, settings);
    await ensureSubscription(pubsub, metricsRefreshRequestedV1.topic, 'declared', settings);
    const app = await consume('declared', { autoCreate: false });
    const shared = subscriptionName(metricsRefreshRequestedV1.topic, 'declared');

    await pubsub.subscription(shared).delete();

    await waitFor(() => reportsDown(app, shared), { timeoutMs: 15_000, description: `/readyz to report ${shared} down` });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await reportsDown(app, shared)).toBe(true);
    expect(await subscriptionIds(pubsub, shared)).not.toContain(shared); // not created behind infrastructure's back

    await ensureSubscription(pubsub, metricsRefreshRequestedV1.topic, 'declared', settings);
    await waitFor(() => isReady(app), { timeoutMs: 45_000, description: '/readyz to answer 200 once the subscription is back' });
    await publishRefresh('run-declared-back');
    await waitFor(() => received(app).includes('run-declared-back'), { timeoutMs: 10_000, description: 'the event published once the subscription is back' });
  });

  it('logs an incident once at WARN however many attempts it takes, and its end at INFO', async () => {
    const lines: Array<{ level: number; msg: string; subscription?: string; attempts?: number }> = [];
    const logger = pino({ level: 'debug', messageKey: 'msg' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const declared = { ...settings, autoCreate: false };
    await ensureSubscription(pubsub, metricsRefreshRequestedV1.topic, 'logged', settings);
    const shared = subscriptionName(metricsRefreshRequestedV1.topic, 'logged');
    const probes = new Map<string, () => Promise<void>>();
    const server = new PubSubServer({
      pubsub,
      settings: declared,
      consumer: 'logged',
      host: 'test-host',
      logger,
      readiness: { register: (name, probe) => void probes.set(name, probe) },
    });
    server.addHandler(metricsRefreshRequestedV1.topic, async () => undefined, true);
    await new Promise<void>((resolve, reject) => void server.listen((error) => (error ? reject(error) : resolve())));
    const probe = probes.get(`pubsub:${shared}`) ?? (() => Promise.reject(new Error('no probe registered')));
    try {
      await expect(probe()).resolves.toBeUndefined();
      await pubsub.subscription(shared).delete();
      await waitFor(async () => (await probe().then(() => 'up', (error: Error) => error.message)).includes('NOT_FOUND'), {
        timeoutMs: 15_000,
        description: 'the probe to fail with NOT_FOUND',
      });
      // Several failed attempts (after 1 s, 2 s) before infrastructure declares it again.
      await new Promise((resolve) => setTimeout(resolve, 3_500));
      await ensureSubscription(pubsub, metricsRefreshRequestedV1.topic, 'logged', settings);
      await waitFor(async () => probe().then(() => true), { timeoutMs: 30_000, description: 'the probe to pass again' });

      const about = lines.filter((line) => line.subscription === shared);
      expect(about.filter((line) => line.level === 40).map((line) => line.msg)).toEqual([
        'subscription stream closed; reopening it once infrastructure declares the subscription again',
      ]);
      expect(about.filter((line) => line.level === 50)).toEqual([]);
      const recovered = about.filter((line) => line.msg === 'subscription receiving again');
      expect(recovered).toHaveLength(1);
      expect(recovered[0]?.attempts).toBeGreaterThanOrEqual(2);
    } finally {
      await server.close();
    }
  });

  it('shuts down within seconds when Pub/Sub stops answering, and says its per-replica subscription is left to expire', async () => {
    // An emulator of its own, to stop: the client's delete of the subscription then retries for a minute.
    const own = await startEmulator();
    const ownSettings = messagingSettings(own);
    const ownPubSub = testPubSub(ownSettings);
    const lines: Array<{ level: number; msg: string; subscriptions?: string[] }> = [];
    const logger = pino({ level: 'info', messageKey: 'msg' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const server = new PubSubServer({ pubsub: ownPubSub, settings: ownSettings, consumer: 'leaving', host: 'test-host', logger });
    server.addHandler(tenantUpdatedV1.topic, async () => undefined, true, { broadcast: true });
    try {
      await new Promise<void>((resolve, reject) => void server.listen((error) => (error ? reject(error) : resolve())));
      const subscriptions = await subscriptionIds(ownPubSub, `${tenantUpdatedV1.topic}.leaving.`);
      expect(subscriptions).toHaveLength(1);

      await own.stop();
      const closing = Date.now();
      await server.close();

      // Inside a service's shutdown budget (10 s), which it used to run out of.
      expect(Date.now() - closing).toBeLessThan(9_000);
      expect(lines.filter((line) => line.level === 40).map((line) => [line.msg, line.subscriptions])).toEqual([
        ["could not delete this replica's subscriptions; they expire after a day unused", subscriptions],
      ]);
    } finally {
      await ownPubSub.close();
      await own.stop();
    }
  }, 30_000);

  it('gives two processes of one service on one host per-replica subscriptions of their own: stopping one leaves the other receiving', async () => {
    // Same service name, same host (this machine's): only the process differs.
    const first = await consume('twin');
    const second = await consume('twin');
    const both = await broadcastSubscriptionsOf('twin');
    expect(both).toHaveLength(2);

    await stop(first);

    const remaining = await broadcastSubscriptionsOf('twin');
    expect(remaining).toHaveLength(1);
    expect(both).toContain(remaining[0]);
    await publishTenantUpdated('after-twin-stopped');
    await waitFor(() => received(second).includes('after-twin-stopped'), { timeoutMs: 10_000, description: 'the remaining twin to receive' });
    expect(await isReady(second)).toBe(true);
  });
});
