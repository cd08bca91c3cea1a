import type { PubSub, Topic } from '@google-cloud/pubsub';
import type { MessagingSettings } from '@pulse/config';
import type { EventContract, EventPayload } from '@pulse/contracts';
import { ensureTopic } from '../topology';
import { buildEventMessage, type EventMessage, type EventMetadata } from './event-message';

/**
 * Typed publishing: the contract decides the topic and validates the payload. Publishing directly is
 * for events whose loss is acceptable or that are already durable elsewhere; state changes go through
 * the outbox (OutboxWriter), which calls `publishMessage` from its relay.
 */
export class EventPublisher {
  private readonly topics = new Map<string, Promise<Topic>>();

  constructor(
    private readonly pubsub: PubSub,
    private readonly settings: Pick<MessagingSettings, 'autoCreate'>,
    /**
     * How long one publish may retry before failing. The client's default is ten minutes, which would
     * stall the outbox relay through an outage instead of letting it record the failure and move on.
     */
    private readonly publishTimeoutMs = 15_000,
  ) {}

  async publish<Contract extends EventContract>(
    contract: Contract,
    payload: EventPayload<Contract>,
    metadata: EventMetadata,
  ): Promise<string> {
    const message = buildEventMessage(contract, payload, metadata);
    await this.publishMessage(message);
    return message.attributes.eventId;
  }

  /** Publishes a prepared message; resolves once Pub/Sub has stored it. */
  async publishMessage(message: EventMessage): Promise<void> {
    const topic = await this.topic(message.topic);
    try {
      await topic.publishMessage({ data: message.data, attributes: { ...message.attributes }, orderingKey: message.orderingKey });
    } catch (error) {
      // After a failure the client pauses the ordering key so later events cannot overtake this one;
      // the caller retries this same message, so let the key publish again.
      topic.resumePublishing(message.orderingKey);
      throw error;
    }
  }

  private topic(name: string): Promise<Topic> {
    let topic = this.topics.get(name);
    if (!topic) {
      topic = ensureTopic(this.pubsub, name, this.settings).then((t) => {
        t.setPublishOptions({ messageOrdering: true, gaxOpts: { timeout: this.publishTimeoutMs } });
        return t;
      });
      // A failed creation is retried on the next publish rather than cached.
      topic.catch(() => this.topics.delete(name));
      this.topics.set(name, topic);
    }
    return topic;
  }
}
