import type { Message, PubSub, Subscription } from '@google-cloud/pubsub';
import { createPubSubClient } from '@pulse/messaging';
import { startPubSubEmulator, type RunningPubSubEmulator } from '@pulse/pubsub-emulator';
import { randomBytes } from 'node:crypto';

export interface ReceivedEvent {
  attributes: Record<string, string>;
  data: Record<string, unknown>;
}

/** The project's Pub/Sub emulator with a subscription on one topic, to see what the api publishes there. */
export class PublishedEvents {
  readonly received: ReceivedEvent[] = [];

  private constructor(
    readonly emulator: RunningPubSubEmulator,
    private readonly pubsub: PubSub,
    private readonly subscription: Subscription,
  ) {}

  static async start(topic: string): Promise<PublishedEvents> {
    const emulator = await startPubSubEmulator({ host: '127.0.0.1', port: 0 });
    const pubsub = createPubSubClient({ projectId: 'pulse-local', emulatorHost: emulator.address });
    await pubsub.createTopic(topic).catch(() => undefined);
    const [subscription] = await pubsub.topic(topic).createSubscription(`api-test-${randomBytes(4).toString('hex')}`);
    const events = new PublishedEvents(emulator, pubsub, subscription);
    subscription.on('message', (message: Message) => {
      events.received.push({ attributes: message.attributes, data: JSON.parse(message.data.toString('utf8')) as Record<string, unknown> });
      message.ack();
    });
    return events;
  }

  /** The api's settings for this emulator. */
  env(): Record<string, string> {
    return { PUBSUB_EMULATOR_HOST: this.emulator.address, PUBSUB_PROJECT_ID: 'pulse-local' };
  }

  async waitFor(predicate: (event: ReceivedEvent) => boolean, timeoutMs = 10_000): Promise<ReceivedEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(this.received)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async stop(): Promise<void> {
    await this.subscription.close();
    await this.pubsub.close();
    await this.emulator.stop();
  }
}
