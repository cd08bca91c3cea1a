import type { PubSub, Subscription, Topic } from '@google-cloud/pubsub';
import type { MessagingSettings } from '@pulse/config';
import { randomBytes } from 'node:crypto';

/**
 * Naming of what a consumer owns on Pub/Sub. A consumer (a service) has one subscription per topic it
 * handles, and each subscription one dead-letter topic, with a subscription on it that keeps dead letters
 * (Pub/Sub drops messages published to a topic nobody subscribes to).
 */
export function subscriptionName(topic: string, consumer: string): string {
  return `${topic}.${consumer}`;
}

export function deadLetterTopicName(subscription: string): string {
  return `${subscription}.dead-letter`;
}

export function deadLetterHoldSubscriptionName(subscription: string): string {
  return `${deadLetterTopicName(subscription)}.hold`;
}

function isAlreadyExists(error: unknown): boolean {
  return (error as { code?: number } | null)?.code === 6; // gRPC ALREADY_EXISTS
}

/** The topic, created when missing if the settings allow it (development and tests). */
export async function ensureTopic(pubsub: PubSub, name: string, settings: Pick<MessagingSettings, 'autoCreate'>): Promise<Topic> {
  const topic = pubsub.topic(name);
  if (!settings.autoCreate) return topic;
  try {
    await pubsub.createTopic(name);
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
  }
  return topic;
}

/**
 * The consumer's subscription with its dead-letter topic and retry policy. In production these are
 * declared by infrastructure (deploy/) with the same names and policies; here they are created on demand.
 */
export async function ensureSubscription(
  pubsub: PubSub,
  topic: string,
  consumer: string,
  settings: MessagingSettings,
): Promise<Subscription> {
  const name = subscriptionName(topic, consumer);
  if (!settings.autoCreate) return pubsub.subscription(name);

  await ensureTopic(pubsub, topic, settings);
  const deadLetterTopic = await ensureTopic(pubsub, deadLetterTopicName(name), settings);
  try {
    await deadLetterTopic.createSubscription(deadLetterHoldSubscriptionName(name));
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
  }
  try {
    await pubsub.topic(topic).createSubscription(name, {
      ackDeadlineSeconds: settings.ackDeadlineSeconds,
      enableMessageOrdering: true,
      deadLetterPolicy: { deadLetterTopic: deadLetterTopic.name, maxDeliveryAttempts: settings.maxDeliveryAttempts },
      retryPolicy: {
        minimumBackoff: { seconds: settings.minBackoffSeconds },
        maximumBackoff: { seconds: settings.maxBackoffSeconds },
      },
    });
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
  }
  return pubsub.subscription(name);
}

/** Pub/Sub's limit on a subscription id. */
const MAX_SUBSCRIPTION_ID_LENGTH = 255;

/**
 * This process among the service's replicas: its host (the pod name on Kubernetes) plus a random
 * suffix. Pod names are unique on GKE, but two processes on one host (two `npm start`s, a restarted
 * process whose old subscription has not expired yet) must not share a per-replica subscription: the
 * first to stop would delete the other's.
 */
export function processInstanceId(host: string): string {
  return `${host}-${randomBytes(4).toString('hex')}`;
}

/**
 * A per-replica subscription name: `<topic>.<consumer>.<instance>` (instance sanitised for Pub/Sub). When
 * too long for Pub/Sub, the instance loses characters from its start, so the suffix that makes it unique
 * stays.
 */
export function broadcastSubscriptionName(topic: string, consumer: string, instanceId: string): string {
  const prefix = `${topic}.${consumer}.`;
  const instance = instanceId.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  const room = MAX_SUBSCRIPTION_ID_LENGTH - prefix.length;
  return `${prefix}${instance.length <= room ? instance : instance.slice(instance.length - room)}`;
}

/**
 * A subscription of this replica alone, for events every replica must see (cache invalidation). It is
 * always created (it cannot exist before the replica does) — and created again should it disappear while
 * the replica runs —, expires a day after its replica stops listening, and is deleted on a clean
 * shutdown. No dead-lettering: a lost invalidation is bounded by
 * the cache's TTL, and redelivery handles transient failures.
 */
export async function ensureBroadcastSubscription(
  pubsub: PubSub,
  topic: string,
  consumer: string,
  instanceId: string,
  settings: MessagingSettings,
): Promise<Subscription> {
  const name = broadcastSubscriptionName(topic, consumer, instanceId);
  await ensureTopic(pubsub, topic, settings);
  try {
    await pubsub.topic(topic).createSubscription(name, {
      ackDeadlineSeconds: settings.ackDeadlineSeconds,
      expirationPolicy: { ttl: { seconds: 24 * 60 * 60 } },
      retryPolicy: { minimumBackoff: { seconds: settings.minBackoffSeconds }, maximumBackoff: { seconds: settings.maxBackoffSeconds } },
    });
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
  }
  return pubsub.subscription(name);
}
