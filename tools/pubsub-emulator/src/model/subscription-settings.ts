import { invalidArgument, outOfRange } from '../api/api-error';
import { WireDeadLetterPolicy, WireRetryPolicy, WireSubscription } from '../api/pubsub-wire.types';
import { durationToMs, msToDuration, ProtoDuration } from './proto-time';
import { parseResourceNameOrThrow } from './resource-names';
import { readUpdatePaths, unsupported } from './update-mask';

/** A subscription's configuration, validated and with the service defaults applied. */
export interface SubscriptionSettings {
  readonly name: string;
  /** The topic's name, or `_deleted-topic_` once the topic is gone. */
  readonly topic: string;
  readonly ackDeadlineSeconds: number;
  readonly enableMessageOrdering: boolean;
  readonly deadLetterPolicy?: { readonly deadLetterTopic: string; readonly maxDeliveryAttempts: number };
  readonly retryPolicy?: { readonly minimumBackoffMs: number; readonly maximumBackoffMs: number };
  readonly labels: Readonly<Record<string, string>>;
  // Stored and echoed only: the backlog lives in memory until acked, whatever these say.
  readonly retainAckedMessages: boolean;
  readonly messageRetentionDuration: ProtoDuration;
  readonly expirationPolicy: { readonly ttl: ProtoDuration | null };
}

const DEFAULT_ACK_DEADLINE_SECONDS = 10;
/**
 * The real service accepts 10-600 s. The emulator (like the SDK emulator) accepts anything from 1 s so
 * that tests of redelivery after an expired deadline do not have to wait 10 s.
 */
const MIN_ACK_DEADLINE_SECONDS = 1;
const MAX_ACK_DEADLINE_SECONDS = 600;
const DEFAULT_MAX_DELIVERY_ATTEMPTS = 5;
const MAX_BACKOFF_MS = 600_000;
const SEVEN_DAYS_MS = 7 * 24 * 3600 * 1000;
const THIRTY_ONE_DAYS_MS = 31 * 24 * 3600 * 1000;

/** Validates a CreateSubscription request; topic existence is the broker's to check. */
export function readSubscriptionOrThrow(wire: WireSubscription): SubscriptionSettings {
  parseResourceNameOrThrow(wire.name, 'subscriptions');
  parseResourceNameOrThrow(wire.topic, 'topics');
  rejectUnsupportedFeatures(wire);
  return {
    name: wire.name,
    topic: wire.topic,
    ackDeadlineSeconds: readAckDeadlineSeconds(wire.ackDeadlineSeconds),
    enableMessageOrdering: Boolean(wire.enableMessageOrdering),
    deadLetterPolicy: readDeadLetterPolicy(wire.deadLetterPolicy),
    retryPolicy: readRetryPolicy(wire.retryPolicy),
    labels: { ...(wire.labels ?? {}) },
    retainAckedMessages: Boolean(wire.retainAckedMessages),
    messageRetentionDuration: wire.messageRetentionDuration ?? msToDuration(SEVEN_DAYS_MS),
    expirationPolicy: { ttl: wire.expirationPolicy ? (wire.expirationPolicy.ttl ?? null) : msToDuration(THIRTY_ONE_DAYS_MS) },
  };
}

/** Applies the fields named by an UpdateSubscription mask; features the emulator lacks stay refused. */
export function applySubscriptionUpdateOrThrow(
  current: SubscriptionSettings,
  patch: WireSubscription,
  maskPaths: readonly string[] | undefined,
): SubscriptionSettings {
  let next: SubscriptionSettings = current;
  for (const path of readUpdatePaths(maskPaths)) {
    switch (path) {
      case 'ack_deadline_seconds':
        next = { ...next, ackDeadlineSeconds: readAckDeadlineSeconds(patch.ackDeadlineSeconds) };
        break;
      case 'dead_letter_policy':
        next = { ...next, deadLetterPolicy: readDeadLetterPolicy(patch.deadLetterPolicy) };
        break;
      case 'retry_policy':
        next = { ...next, retryPolicy: readRetryPolicy(patch.retryPolicy) };
        break;
      case 'labels':
        next = { ...next, labels: { ...(patch.labels ?? {}) } };
        break;
      case 'retain_acked_messages':
        next = { ...next, retainAckedMessages: Boolean(patch.retainAckedMessages) };
        break;
      case 'message_retention_duration':
        next = { ...next, messageRetentionDuration: patch.messageRetentionDuration ?? msToDuration(SEVEN_DAYS_MS) };
        break;
      case 'expiration_policy':
        next = { ...next, expirationPolicy: { ttl: patch.expirationPolicy?.ttl ?? null } };
        break;
      case 'enable_message_ordering':
        throw invalidArgument('enable_message_ordering cannot be changed after the subscription was created');
      default:
        throw unsupported(`updating ${path}`);
    }
  }
  return next;
}

export function toWireSubscription(settings: SubscriptionSettings): WireSubscription {
  return {
    name: settings.name,
    topic: settings.topic,
    pushConfig: {},
    ackDeadlineSeconds: settings.ackDeadlineSeconds,
    retainAckedMessages: settings.retainAckedMessages,
    messageRetentionDuration: settings.messageRetentionDuration,
    labels: { ...settings.labels },
    enableMessageOrdering: settings.enableMessageOrdering,
    expirationPolicy: settings.expirationPolicy,
    filter: '',
    deadLetterPolicy: settings.deadLetterPolicy ? { ...settings.deadLetterPolicy } : null,
    retryPolicy: settings.retryPolicy
      ? {
          minimumBackoff: msToDuration(settings.retryPolicy.minimumBackoffMs),
          maximumBackoff: msToDuration(settings.retryPolicy.maximumBackoffMs),
        }
      : null,
    detached: false,
    enableExactlyOnceDelivery: false,
    state: 'ACTIVE',
  };
}

/**
 * Refused rather than ignored: a test that sets a filter or exactly-once delivery and silently gets
 * different semantics would pass here and fail in production.
 */
function rejectUnsupportedFeatures(wire: WireSubscription): void {
  if (wire.pushConfig?.pushEndpoint) throw unsupported('push subscriptions (push_config.push_endpoint)');
  if (wire.bigqueryConfig?.table) throw unsupported('BigQuery subscriptions');
  if (wire.cloudStorageConfig?.bucket) throw unsupported('Cloud Storage subscriptions');
  if (wire.bigtableConfig?.table) throw unsupported('Bigtable subscriptions');
  if (wire.filter) throw unsupported('subscription filters');
  if (wire.enableExactlyOnceDelivery) throw unsupported('exactly-once delivery');
  if (wire.messageTransforms?.length) throw unsupported('message transforms');
  if (wire.detached) throw invalidArgument('A subscription cannot be created detached');
}

function readAckDeadlineSeconds(value: number | undefined): number {
  if (!value) return DEFAULT_ACK_DEADLINE_SECONDS;
  if (value < MIN_ACK_DEADLINE_SECONDS || value > MAX_ACK_DEADLINE_SECONDS) {
    throw invalidArgument(
      `Invalid ack deadline given: ${value}. It must be between ${MIN_ACK_DEADLINE_SECONDS} and ${MAX_ACK_DEADLINE_SECONDS} seconds`,
    );
  }
  return value;
}

function readDeadLetterPolicy(wire: WireDeadLetterPolicy | null | undefined): SubscriptionSettings['deadLetterPolicy'] {
  if (!wire?.deadLetterTopic) return undefined;
  parseResourceNameOrThrow(wire.deadLetterTopic, 'topics');
  const maxDeliveryAttempts = wire.maxDeliveryAttempts || DEFAULT_MAX_DELIVERY_ATTEMPTS;
  // Same range and status code as the real service and the SDK emulator.
  if (maxDeliveryAttempts < 5) {
    throw outOfRange(
      `The value for max_delivery_attempts is too small. You passed ${maxDeliveryAttempts} in the request, but the minimum value is 5.`,
    );
  }
  if (maxDeliveryAttempts > 100) {
    throw outOfRange(
      `The value for max_delivery_attempts is too large. You passed ${maxDeliveryAttempts} in the request, but the maximum value is 100.`,
    );
  }
  return { deadLetterTopic: wire.deadLetterTopic, maxDeliveryAttempts };
}

function readRetryPolicy(wire: WireRetryPolicy | null | undefined): SubscriptionSettings['retryPolicy'] {
  if (!wire) return undefined;
  const minimumBackoffMs = durationToMs(wire.minimumBackoff) ?? 10_000;
  const maximumBackoffMs = durationToMs(wire.maximumBackoff) ?? MAX_BACKOFF_MS;
  for (const [field, ms] of [
    ['minimum_backoff', minimumBackoffMs],
    ['maximum_backoff', maximumBackoffMs],
  ] as const) {
    if (ms < 0 || ms > MAX_BACKOFF_MS) throw invalidArgument(`retry_policy.${field} must be between 0 and 600 seconds`);
  }
  if (minimumBackoffMs > maximumBackoffMs) {
    throw invalidArgument('retry_policy.minimum_backoff must not be greater than retry_policy.maximum_backoff');
  }
  return { minimumBackoffMs, maximumBackoffMs };
}
