export { createPubSubClient } from './pubsub-client';
export {
  subscriptionName,
  broadcastSubscriptionName,
  processInstanceId,
  deadLetterTopicName,
  deadLetterHoldSubscriptionName,
  ensureTopic,
  ensureSubscription,
  ensureBroadcastSubscription,
} from './topology';
export { EventPublisher } from './publishing/event-publisher';
export { buildEventMessage, type EventMessage, type EventMetadata } from './publishing/event-message';
export { decodeMessage, type DecodeResult } from './consuming/decode-message';
export { decideOnFailure, type FailureDecision } from './consuming/failure-decision';
export { PubSubServer, type PubSubServerOptions, type ReadinessRegistration } from './consuming/pubsub.server';
export { PubSubContext } from './consuming/pubsub.context';
export { connectEventConsumers, type EventConsumersOptions } from './consuming/connect-event-consumers';
export { enqueueEvent, publishAfterCommit, OUTBOX_TABLE_SQL, PUBLISH_AFTER_COMMIT_WAIT_MS, type SqlExecutor } from './outbox/outbox-writer';
export { OutboxRelay, relayOutboxBatch, type OutboxRelayOptions, type OutboxBatchOptions, type OutboxConnection } from './outbox/outbox-relay';
export { TenantOutboxSweeper, type TenantOutboxSweeperOptions } from './outbox/tenant-outbox-sweeper';
export { processOnce, PROCESSED_EVENTS_TABLE_SQL, type ProcessOnceKey, type ProcessOnceResult } from './idempotency/process-once';
export { MessagingModule, PUBSUB_CLIENT, MESSAGING_SETTINGS, type MessagingModuleOptions } from './messaging.module';
