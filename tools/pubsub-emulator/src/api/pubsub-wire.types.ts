import { ProtoDuration, ProtoTimestamp } from '../model/proto-time';

/**
 * The google.pubsub.v1 messages as @grpc/proto-loader hands them to the handlers (camelCase fields,
 * int64 as number, defaults filled in, unset message fields null). Only the fields the emulator reads or
 * writes are typed; anything else passes through untouched.
 */

export interface WireTopic {
  name: string;
  labels?: Record<string, string>;
  messageRetentionDuration?: ProtoDuration | null;
  kmsKeyName?: string;
  messageStoragePolicy?: object | null;
  schemaSettings?: { schema?: string } | null;
  ingestionDataSourceSettings?: object | null;
  messageTransforms?: object[];
  state?: string;
}

export interface WirePubsubMessage {
  data?: Buffer;
  attributes?: Record<string, string>;
  messageId?: string;
  publishTime?: ProtoTimestamp | null;
  orderingKey?: string;
}

export interface WireDeadLetterPolicy {
  deadLetterTopic?: string;
  maxDeliveryAttempts?: number;
}

export interface WireRetryPolicy {
  minimumBackoff?: ProtoDuration | null;
  maximumBackoff?: ProtoDuration | null;
}

export interface WireSubscription {
  name: string;
  topic: string;
  pushConfig?: { pushEndpoint?: string } | null;
  bigqueryConfig?: { table?: string } | null;
  cloudStorageConfig?: { bucket?: string } | null;
  bigtableConfig?: { table?: string } | null;
  ackDeadlineSeconds?: number;
  retainAckedMessages?: boolean;
  messageRetentionDuration?: ProtoDuration | null;
  labels?: Record<string, string>;
  enableMessageOrdering?: boolean;
  expirationPolicy?: { ttl?: ProtoDuration | null } | null;
  filter?: string;
  deadLetterPolicy?: WireDeadLetterPolicy | null;
  retryPolicy?: WireRetryPolicy | null;
  detached?: boolean;
  enableExactlyOnceDelivery?: boolean;
  messageTransforms?: object[];
  state?: string;
}

export interface WireReceivedMessage {
  ackId: string;
  message: WirePubsubMessage;
  deliveryAttempt: number;
}

export interface WireFieldMask {
  paths?: string[];
}

export interface GetTopicRequest {
  topic: string;
}
export interface UpdateTopicRequest {
  topic: WireTopic | null;
  updateMask: WireFieldMask | null;
}
export interface PublishRequest {
  topic: string;
  messages: WirePubsubMessage[];
}
export interface PublishResponse {
  messageIds: string[];
}
export interface ListRequest {
  project: string;
  pageSize: number;
  pageToken: string;
}
export interface ListTopicsResponse {
  topics: WireTopic[];
  nextPageToken: string;
}
export interface ListTopicSubscriptionsRequest {
  topic: string;
  pageSize: number;
  pageToken: string;
}
export interface ListTopicSubscriptionsResponse {
  subscriptions: string[];
  nextPageToken: string;
}
export interface DeleteTopicRequest {
  topic: string;
}

export interface GetSubscriptionRequest {
  subscription: string;
}
export interface UpdateSubscriptionRequest {
  subscription: WireSubscription | null;
  updateMask: WireFieldMask | null;
}
export interface ListSubscriptionsResponse {
  subscriptions: WireSubscription[];
  nextPageToken: string;
}
export interface DeleteSubscriptionRequest {
  subscription: string;
}
export interface ModifyAckDeadlineRequest {
  subscription: string;
  ackIds: string[];
  ackDeadlineSeconds: number;
}
export interface AcknowledgeRequest {
  subscription: string;
  ackIds: string[];
}
export interface PullRequest {
  subscription: string;
  returnImmediately: boolean;
  maxMessages: number;
}
export interface PullResponse {
  receivedMessages: WireReceivedMessage[];
}
export interface StreamingPullRequest {
  subscription: string;
  ackIds: string[];
  modifyDeadlineSeconds: number[];
  modifyDeadlineAckIds: string[];
  streamAckDeadlineSeconds: number;
  clientId: string;
  maxOutstandingMessages: number;
  maxOutstandingBytes: number;
}
export interface StreamingPullResponse {
  receivedMessages: WireReceivedMessage[];
  subscriptionProperties: { exactlyOnceDeliveryEnabled: boolean; messageOrderingEnabled: boolean };
}

export type Empty = Record<string, never>;
