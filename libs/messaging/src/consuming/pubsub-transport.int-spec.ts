import { Controller, Injectable, Module, type INestApplication } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { metricsRefreshRequestedV1, type EventEnvelope, type EventPayload } from '@pulse/contracts';
import type { MessagingSettings } from '@pulse/config';
import type { EmulatorUnderTest } from '@pulse/pubsub-emulator';
import { NotFoundError } from '@pulse/errors';
import { waitFor } from '@pulse/testing';
import { Store, storage } from 'nestjs-pino/storage';
import type { PubSub } from '@google-cloud/pubsub';
import { EventPublisher } from '../publishing/event-publisher';
import { collect, messagingSettings, startServerUnderTest, startServiceApp, testPubSub } from '../messaging.int-kit';
import { deadLetterHoldSubscriptionName, subscriptionName } from '../topology';
import { PubSubContext } from './pubsub.context';

type RefreshEvent = EventEnvelope<EventPayload<typeof metricsRefreshRequestedV1>>;

interface Delivery {
  runId: string;
  attempt: number;
  logBindings: Record<string, unknown>;
}

/** What each test wants its handler to do with a given runId. */
@Injectable()
class HandlerScript {
  readonly deliveries: Delivery[] = [];
  behaviour: (event: RefreshEvent, attempt: number) => Promise<void> = async () => undefined;
}

@Controller()
class RefreshHandler {
  constructor(private readonly script: HandlerScript) {}

  @EventPattern(metricsRefreshRequestedV1.topic)
  async onRefreshRequested(@Payload() event: RefreshEvent, @Ctx() context: PubSubContext): Promise<void> {
    const logger = (storage.getStore() as Store | undefined)?.logger;
    this.script.deliveries.push({
      runId: event.payload.runId,
      attempt: context.getDeliveryAttempt(),
      logBindings: logger?.bindings() ?? {},
    });
    await this.script.behaviour(event, context.getDeliveryAttempt());
  }
}

@Module({ controllers: [RefreshHandler], providers: [HandlerScript], exports: [HandlerScript] })
class RefreshHandlerModule {}

describe(`Pub/Sub transport (real client, ${process.env['PUBSUB_EMULATOR_UNDER_TEST'] ?? 'in-process'} emulator)`, () => {
  let emulator: EmulatorUnderTest;
  let settings: MessagingSettings;
  let publisherApp: INestApplication;
  let metricsApp: INestApplication;
  let pubsub: PubSub;
  let script: HandlerScript;

  const publish = (runId: string, tenantId = 'acme') =>
    publisherApp.get(EventPublisher).publish(metricsRefreshRequestedV1, { runId, reason: 'manual' }, { tenantId, correlationId: `corr-${runId}` });
  const deliveriesOf = (runId: string) => script.deliveries.filter((d) => d.runId === runId);

  beforeAll(async () => {
    emulator = await startServerUnderTest();
    settings = messagingSettings(emulator);
    pubsub = testPubSub(settings);
    publisherApp = await startServiceApp('api', settings);
    metricsApp = await startServiceApp('metrics', settings, [RefreshHandlerModule], { consume: true });
    script = metricsApp.get(HandlerScript);
  });

  afterEach(() => {
    script.behaviour = async () => undefined;
  });

  afterAll(async () => {
    await metricsApp?.close();
    await publisherApp?.close();
    await pubsub?.close();
    await emulator?.stop();
  });

  it('delivers an event published by one app to the handler of another, with its log context', async () => {
    const eventId = await publish('run-deliver');

    await waitFor(async () => deliveriesOf('run-deliver').length === 1, { timeoutMs: 10_000, description: 'delivery of run-deliver' });
    const [delivery] = deliveriesOf('run-deliver');
    expect(delivery?.attempt).toBe(1);
    expect(delivery?.logBindings).toMatchObject({ correlationId: 'corr-run-deliver', tenantId: 'acme', eventId, topic: 'metrics.refresh-requested.v1' });
  });

  it('fans out to every consuming service', async () => {
    const apiScript = await (async () => {
      const app = await startServiceApp('tenant-registry', settings, [RefreshHandlerModule], { consume: true });
      return { app, script: app.get(HandlerScript) };
    })();
    try {
      await publish('run-fanout');
      await waitFor(async () => deliveriesOf('run-fanout').length === 1 && apiScript.script.deliveries.some((d) => d.runId === 'run-fanout'), {
        timeoutMs: 10_000,
        description: 'both subscriptions to receive run-fanout',
      });
    } finally {
      await apiScript.app.close();
    }
  });

  it('redelivers after a handler failure and acks once it succeeds', async () => {
    script.behaviour = async (event, attempt) => {
      if (event.payload.runId === 'run-retry' && attempt === 1) throw new Error('warehouse busy');
    };
    await publish('run-retry');

    await waitFor(async () => deliveriesOf('run-retry').length === 2, { timeoutMs: 10_000, description: 'the redelivery of run-retry' });
    expect(deliveriesOf('run-retry').map((d) => d.attempt)).toEqual([1, 2]);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(deliveriesOf('run-retry')).toHaveLength(2); // acked: no third delivery
  });

  it('dead-letters a message after the configured number of failed attempts, with the reason', async () => {
    const hold = collect(pubsub, deadLetterHoldSubscriptionName(subscriptionName(metricsRefreshRequestedV1.topic, 'metrics')));
    script.behaviour = async (event) => {
      if (event.payload.runId === 'run-poison') throw new Error('boom');
    };
    try {
      await publish('run-poison');
      await waitFor(async () => hold.messages.some((m) => m.attributes['eventId'] !== undefined && JSON.parse(m.data.toString()).runId === 'run-poison'), {
        timeoutMs: 15_000,
        description: 'run-poison on the dead-letter topic',
      });
      expect(deliveriesOf('run-poison').map((d) => d.attempt)).toEqual([1, 2, 3, 4, 5]);
      const deadLetter = hold.messages.find((m) => JSON.parse(m.data.toString()).runId === 'run-poison');
      expect(deadLetter?.attributes).toMatchObject({
        deadLetterReason: 'failed 5 deliveries; last error: boom',
        deadLetterSourceSubscription: 'metrics.refresh-requested.v1.metrics',
        tenantId: 'acme',
      });
    } finally {
      await hold.close();
    }
  });

  it('dead-letters at the first attempt an error that can never succeed', async () => {
    const hold = collect(pubsub, deadLetterHoldSubscriptionName(subscriptionName(metricsRefreshRequestedV1.topic, 'metrics')));
    script.behaviour = async (event) => {
      if (event.payload.runId === 'run-unknown-tenant') throw new NotFoundError('tenant.not_found', 'No tenant "acme".');
    };
    try {
      await publish('run-unknown-tenant');
      await waitFor(async () => hold.messages.some((m) => m.attributes['correlationId'] === 'corr-run-unknown-tenant'), {
        timeoutMs: 10_000,
        description: 'run-unknown-tenant on the dead-letter topic',
      });
      expect(deliveriesOf('run-unknown-tenant').map((d) => d.attempt)).toEqual([1]);
      expect(hold.messages.find((m) => m.attributes['correlationId'] === 'corr-run-unknown-tenant')?.attributes['deadLetterReason']).toBe(
        'not retryable: tenant.not_found: No tenant "acme".',
      );
    } finally {
      await hold.close();
    }
  });

  it('never hands an invalid message to the handler: it is dead-lettered with the reason', async () => {
    const hold = collect(pubsub, deadLetterHoldSubscriptionName(subscriptionName(metricsRefreshRequestedV1.topic, 'metrics')));
    try {
      await pubsub.topic(metricsRefreshRequestedV1.topic).publishMessage({
        json: { runId: 42, reason: 'manual' },
        attributes: {
          eventId: '5d7c0c5e-3b1a-4f0e-8c59-6d0e7f0a9b10',
          tenantId: 'acme',
          correlationId: 'corr-invalid',
          occurredAt: new Date().toISOString(),
          schemaVersion: '1',
        },
      });
      await waitFor(async () => hold.messages.some((m) => m.attributes['correlationId'] === 'corr-invalid'), {
        timeoutMs: 10_000,
        description: 'the invalid message on the dead-letter topic',
      });
      const deadLetter = hold.messages.find((m) => m.attributes['correlationId'] === 'corr-invalid');
      expect(deadLetter?.attributes['deadLetterReason']).toBe('invalid payload (runId: Invalid input: expected string, received number)');
      expect(script.deliveries.some((d) => (d.runId as unknown) === 42)).toBe(false);
    } finally {
      await hold.close();
    }
  });

  it('handles at most maxInFlight messages of a subscription at once', async () => {
    const app = await startServiceApp('flow-limited', { ...settings, maxInFlight: 2 }, [RefreshHandlerModule], { consume: true });
    const limited = app.get(HandlerScript);
    let running = 0;
    let peak = 0;
    limited.behaviour = async (event) => {
      if (!event.payload.runId.startsWith('run-flow')) return;
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 150));
      running -= 1;
    };
    try {
      await Promise.all(Array.from({ length: 8 }, (_, i) => publish(`run-flow-${i}`, `tenant-${i}`)));
      await waitFor(async () => limited.deliveries.filter((d) => d.runId.startsWith('run-flow')).length === 8, {
        timeoutMs: 15_000,
        description: 'all eight flow-controlled messages',
      });
      expect(peak).toBe(2);
    } finally {
      await app.close();
    }
  });

  it('drains in-flight messages on shutdown: the handler finishes and its message is acked', async () => {
    const app = await startServiceApp('ingestion', settings, [RefreshHandlerModule], { consume: true });
    const slowScript = app.get(HandlerScript);
    let finished = false;
    slowScript.behaviour = async (event) => {
      if (event.payload.runId !== 'run-drain') return;
      await new Promise((resolve) => setTimeout(resolve, 700));
      finished = true;
    };
    await publish('run-drain');
    await waitFor(async () => slowScript.deliveries.some((d) => d.runId === 'run-drain'), { timeoutMs: 10_000, description: 'run-drain to start' });

    await app.close();
    expect(finished).toBe(true);

    // Another replica of the same service now gets nothing: the message was acked, not abandoned.
    const replica = await startServiceApp('ingestion', settings, [RefreshHandlerModule], { consume: true });
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(replica.get(HandlerScript).deliveries.filter((d) => d.runId === 'run-drain')).toEqual([]);
    } finally {
      await replica.close();
    }
  });
});
