import { UntypedServiceImplementation } from '@grpc/grpc-js';
import { PubSubBroker } from '../broker/pubsub-broker';
import { pageOf } from '../model/page-of';
import { parseProjectOrThrow } from '../model/resource-names';
import { toWireTopic } from '../model/topic-settings';
import { invalidArgument, Log } from './api-error';
import {
  DeleteTopicRequest,
  Empty,
  GetTopicRequest,
  ListRequest,
  ListTopicSubscriptionsRequest,
  ListTopicSubscriptionsResponse,
  ListTopicsResponse,
  PublishRequest,
  PublishResponse,
  UpdateTopicRequest,
  WireTopic,
} from './pubsub-wire.types';
import { unaryCall } from './unary-call';
import { fromWirePubsubMessage } from './wire-messages';

/** google.pubsub.v1.Publisher. Snapshots and DetachSubscription are left to grpc-js's UNIMPLEMENTED. */
export function publisherService(broker: PubSubBroker, log: Log): UntypedServiceImplementation {
  return {
    CreateTopic: unaryCall<WireTopic, WireTopic>('CreateTopic', log, (topic) => toWireTopic(broker.createTopic(topic))),

    GetTopic: unaryCall<GetTopicRequest, WireTopic>('GetTopic', log, ({ topic }) =>
      toWireTopic(broker.findTopicOrThrow(topic)),
    ),

    UpdateTopic: unaryCall<UpdateTopicRequest, WireTopic>('UpdateTopic', log, ({ topic, updateMask }) => {
      if (!topic) throw invalidArgument('topic is required');
      return toWireTopic(broker.updateTopic(topic, updateMask?.paths));
    }),

    ListTopics: unaryCall<ListRequest, ListTopicsResponse>('ListTopics', log, ({ project, pageSize, pageToken }) => {
      const page = pageOf(broker.listTopics(parseProjectOrThrow(project)), pageSize, pageToken);
      return { topics: page.items.map(toWireTopic), nextPageToken: page.nextPageToken };
    }),

    ListTopicSubscriptions: unaryCall<ListTopicSubscriptionsRequest, ListTopicSubscriptionsResponse>(
      'ListTopicSubscriptions',
      log,
      ({ topic, pageSize, pageToken }) => {
        const page = pageOf(broker.listTopicSubscriptions(topic), pageSize, pageToken);
        return { subscriptions: page.items, nextPageToken: page.nextPageToken };
      },
    ),

    DeleteTopic: unaryCall<DeleteTopicRequest, Empty>('DeleteTopic', log, ({ topic }) => {
      broker.deleteTopic(topic);
      return {};
    }),

    Publish: unaryCall<PublishRequest, PublishResponse>('Publish', log, ({ topic, messages }) => ({
      messageIds: broker.publish(topic, messages.map(fromWirePubsubMessage)),
    })),
  };
}
