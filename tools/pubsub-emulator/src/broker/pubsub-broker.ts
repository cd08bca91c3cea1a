import { alreadyExists, invalidArgument, notFound } from '../api/api-error';
import { WireSubscription, WireTopic } from '../api/pubsub-wire.types';
import { DELETED_TOPIC, parseResourceNameOrThrow } from '../model/resource-names';
import {
  applySubscriptionUpdateOrThrow,
  readSubscriptionOrThrow,
  SubscriptionSettings,
} from '../model/subscription-settings';
import { applyTopicUpdateOrThrow, readTopicOrThrow, TopicSettings } from '../model/topic-settings';
import { DeadLetteredMessage, QueuePolicy, SubscriptionQueue } from '../queue/subscription-queue';
import { StoredMessage } from '../queue/stored-message';
import { deadLetterCopyOf } from './dead-letter-copy';
import { PublishInput } from './publish-input';

export interface BrokerOptions {
  readonly clock: () => number;
  readonly log: (line: string) => void;
  /** Messages were added to this subscription's backlog: time for the delivery engine to hand them out. */
  readonly onMessagesEnqueued: (subscription: string) => void;
  /** Open streams and waiting pulls of this subscription must end. */
  readonly onSubscriptionDeleted: (subscription: string) => void;
}

export interface SubscriptionRecord {
  settings: SubscriptionSettings;
  readonly queue: SubscriptionQueue;
}

interface TopicRecord {
  settings: TopicSettings;
  /** Names of the subscriptions attached now; a publish fans out to exactly these. */
  readonly subscriptions: Set<string>;
}

/**
 * Topics, subscriptions and the fan-out between them: the admin and publish side of the emulator,
 * answering with the status codes the real service uses. No I/O and no timers; delivery to consumers
 * is the delivery engine's job, told about new messages through `onMessagesEnqueued`.
 */
export class PubSubBroker {
  private readonly topics = new Map<string, TopicRecord>();
  private readonly subscriptions = new Map<string, SubscriptionRecord>();
  private nextMessageId = 1;
  /** Ack ids are numbered across the broker's subscriptions (see SubscriptionQueue). */
  private nextAckNumber = 1;

  constructor(private readonly options: BrokerOptions) {}

  createTopic(wire: WireTopic): TopicSettings {
    const settings = readTopicOrThrow(wire);
    if (this.topics.has(settings.name)) throw alreadyExists('Topic already exists');
    this.topics.set(settings.name, { settings, subscriptions: new Set() });
    this.options.log(`created topic ${settings.name}`);
    return settings;
  }

  findTopicOrThrow(name: string): TopicSettings {
    return this.topicRecordOrThrow(name).settings;
  }

  updateTopic(patch: WireTopic, maskPaths: readonly string[] | undefined): TopicSettings {
    const record = this.topicRecordOrThrow(patch.name);
    record.settings = applyTopicUpdateOrThrow(record.settings, patch, maskPaths);
    return record.settings;
  }

  listTopics(project: string): TopicSettings[] {
    return [...this.topics.values()]
      .map((record) => record.settings)
      .filter((settings) => parseResourceNameOrThrow(settings.name, 'topics').project === project)
      .sort(byName);
  }

  listTopicSubscriptions(topic: string): string[] {
    return [...this.topicRecordOrThrow(topic).subscriptions].sort();
  }

  /** Subscriptions survive their topic, reading `_deleted-topic_` from then on, as in the real service. */
  deleteTopic(name: string): void {
    const record = this.topicRecordOrThrow(name);
    for (const subscription of record.subscriptions) {
      const attached = this.subscriptions.get(subscription);
      if (attached) attached.settings = { ...attached.settings, topic: DELETED_TOPIC };
    }
    this.topics.delete(name);
    this.options.log(`deleted topic ${name}`);
  }

  /** Stores the messages in every subscription the topic has now and returns their ids, in order. */
  publish(topic: string, messages: readonly PublishInput[]): string[] {
    const record = this.topicRecordOrThrow(topic);
    if (messages.length === 0) throw invalidArgument('No messages in publish request');
    if (messages.some((message) => message.data.length === 0 && Object.keys(message.attributes).length === 0)) {
      throw invalidArgument('Some messages are empty');
    }
    const now = this.options.clock();
    const stored: StoredMessage[] = messages.map((message) => ({
      messageId: String(this.nextMessageId++),
      data: message.data,
      attributes: { ...message.attributes },
      orderingKey: message.orderingKey,
      publishTime: now,
    }));
    for (const subscription of record.subscriptions) {
      const { queue } = this.subscriptions.get(subscription) as SubscriptionRecord;
      for (const message of stored) queue.enqueue(message, now);
    }
    for (const subscription of record.subscriptions) this.options.onMessagesEnqueued(subscription);
    return stored.map((message) => message.messageId);
  }

  createSubscription(wire: WireSubscription): SubscriptionSettings {
    const settings = readSubscriptionOrThrow(wire);
    if (this.subscriptions.has(settings.name)) throw alreadyExists('Subscription already exists');
    const topic = this.topics.get(settings.topic);
    if (!topic) throw notFound('Subscription topic does not exist');
    this.assertDeadLetterTopicExists(settings);
    this.subscriptions.set(settings.name, {
      settings,
      queue: new SubscriptionQueue(settings.name, this.queuePolicyOf(settings), () => this.nextAckNumber++),
    });
    topic.subscriptions.add(settings.name);
    this.options.log(`created subscription ${settings.name} on ${settings.topic}`);
    return settings;
  }

  findSubscription(name: string): SubscriptionRecord | undefined {
    return this.subscriptions.get(name);
  }

  findSubscriptionOrThrow(name: string): SubscriptionRecord {
    parseResourceNameOrThrow(name, 'subscriptions');
    const record = this.subscriptions.get(name);
    if (!record) throw notFound('Subscription does not exist');
    return record;
  }

  updateSubscription(patch: WireSubscription, maskPaths: readonly string[] | undefined): SubscriptionSettings {
    const record = this.findSubscriptionOrThrow(patch.name);
    const settings = applySubscriptionUpdateOrThrow(record.settings, patch, maskPaths);
    this.assertDeadLetterTopicExists(settings);
    record.settings = settings;
    record.queue.updatePolicy(this.queuePolicyOf(settings));
    return settings;
  }

  listSubscriptions(project: string): SubscriptionSettings[] {
    return [...this.subscriptions.values()]
      .map((record) => record.settings)
      .filter((settings) => parseResourceNameOrThrow(settings.name, 'subscriptions').project === project)
      .sort(byName);
  }

  deleteSubscription(name: string): void {
    const record = this.findSubscriptionOrThrow(name);
    this.topics.get(record.settings.topic)?.subscriptions.delete(name);
    this.subscriptions.delete(name);
    this.options.log(`deleted subscription ${name}`);
    this.options.onSubscriptionDeleted(name);
  }

  /** Publishes messages that exhausted their delivery attempts to the subscription's dead-letter topic. */
  forwardToDeadLetterTopic(subscription: string, deadLettered: readonly DeadLetteredMessage[]): void {
    const deadLetterTopic = this.subscriptions.get(subscription)?.settings.deadLetterPolicy?.deadLetterTopic;
    if (deadLettered.length === 0 || !deadLetterTopic) return;
    const source = parseResourceNameOrThrow(subscription, 'subscriptions');
    const copies = deadLettered.map(({ message, deliveryAttempts }) => deadLetterCopyOf(message, source, deliveryAttempts));
    const ids = this.publish(deadLetterTopic, copies);
    this.options.log(
      `dead-lettered ${deadLettered.map((d) => d.message.messageId).join(',')} from ${subscription} to ${deadLetterTopic} as ${ids.join(',')}`,
    );
  }

  private topicRecordOrThrow(name: string): TopicRecord {
    parseResourceNameOrThrow(name, 'topics');
    const record = this.topics.get(name);
    if (!record) throw notFound('Topic not found');
    return record;
  }

  private assertDeadLetterTopicExists(settings: SubscriptionSettings): void {
    const deadLetterTopic = settings.deadLetterPolicy?.deadLetterTopic;
    if (deadLetterTopic && !this.topics.has(deadLetterTopic)) throw notFound('Dead letter topic not found');
  }

  private queuePolicyOf(settings: SubscriptionSettings): QueuePolicy {
    const deadLetter = settings.deadLetterPolicy;
    const retry = settings.retryPolicy;
    return {
      orderedByKey: settings.enableMessageOrdering,
      deadLetter: deadLetter && {
        maxDeliveryAttempts: deadLetter.maxDeliveryAttempts,
        canForward: () => this.topics.has(deadLetter.deadLetterTopic),
      },
      retryBackoff: retry && { minimumMs: retry.minimumBackoffMs, maximumMs: retry.maximumBackoffMs },
    };
  }
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
