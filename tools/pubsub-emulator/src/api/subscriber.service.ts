import { ServerDuplexStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import { PubSubBroker } from '../broker/pubsub-broker';
import { DeliveryEngine } from '../delivery/delivery-engine';
import { pageOf } from '../model/page-of';
import { parseProjectOrThrow } from '../model/resource-names';
import { toWireSubscription } from '../model/subscription-settings';
import { invalidArgument, Log } from './api-error';
import {
  AcknowledgeRequest,
  DeleteSubscriptionRequest,
  Empty,
  GetSubscriptionRequest,
  ListRequest,
  ListSubscriptionsResponse,
  ModifyAckDeadlineRequest,
  PullRequest,
  PullResponse,
  StreamingPullRequest,
  StreamingPullResponse,
  UpdateSubscriptionRequest,
  WireSubscription,
} from './pubsub-wire.types';
import { StreamingPullSession } from './streaming-pull.session';
import { unaryCall } from './unary-call';
import { toWireReceivedMessage } from './wire-messages';

/**
 * How long a Pull with nothing to deliver waits before answering empty (less if the call's deadline is
 * sooner). The real service and the SDK emulator hold it until about the deadline; a shorter bound keeps
 * a forgotten Pull from holding up a test run.
 */
const MAX_PULL_WAIT_MS = 10_000;
/** Leaves the answer time to reach the caller before its deadline fires. */
const DEADLINE_MARGIN_MS = 200;

/** google.pubsub.v1.Subscriber. Snapshots, Seek and ModifyPushConfig are left to grpc-js's UNIMPLEMENTED. */
export function subscriberService(broker: PubSubBroker, engine: DeliveryEngine, log: Log): UntypedServiceImplementation {
  return {
    CreateSubscription: unaryCall<WireSubscription, WireSubscription>('CreateSubscription', log, (subscription) =>
      toWireSubscription(broker.createSubscription(subscription)),
    ),

    GetSubscription: unaryCall<GetSubscriptionRequest, WireSubscription>('GetSubscription', log, ({ subscription }) =>
      toWireSubscription(broker.findSubscriptionOrThrow(subscription).settings),
    ),

    UpdateSubscription: unaryCall<UpdateSubscriptionRequest, WireSubscription>(
      'UpdateSubscription',
      log,
      ({ subscription, updateMask }) => {
        if (!subscription) throw invalidArgument('subscription is required');
        return toWireSubscription(broker.updateSubscription(subscription, updateMask?.paths));
      },
    ),

    ListSubscriptions: unaryCall<ListRequest, ListSubscriptionsResponse>(
      'ListSubscriptions',
      log,
      ({ project, pageSize, pageToken }) => {
        const page = pageOf(broker.listSubscriptions(parseProjectOrThrow(project)), pageSize, pageToken);
        return { subscriptions: page.items.map(toWireSubscription), nextPageToken: page.nextPageToken };
      },
    ),

    DeleteSubscription: unaryCall<DeleteSubscriptionRequest, Empty>('DeleteSubscription', log, ({ subscription }) => {
      broker.deleteSubscription(subscription);
      return {};
    }),

    Acknowledge: unaryCall<AcknowledgeRequest, Empty>('Acknowledge', log, ({ subscription, ackIds }) => {
      engine.acknowledge(subscription, ackIds);
      return {};
    }),

    ModifyAckDeadline: unaryCall<ModifyAckDeadlineRequest, Empty>(
      'ModifyAckDeadline',
      log,
      ({ subscription, ackIds, ackDeadlineSeconds }) => {
        engine.modifyAckDeadline(subscription, ackIds, ackDeadlineSeconds);
        return {};
      },
    ),

    Pull: unaryCall<PullRequest, PullResponse>('Pull', log, async ({ subscription, maxMessages, returnImmediately }, call) => {
      const deadline = Number(call.getDeadline());
      const untilDeadline = Number.isFinite(deadline) ? deadline - Date.now() - DEADLINE_MARGIN_MS : MAX_PULL_WAIT_MS;
      const waiter = engine.pull(subscription, maxMessages, returnImmediately ? 0 : Math.min(MAX_PULL_WAIT_MS, untilDeadline));
      call.once('cancelled', () => waiter.giveUp());
      return { receivedMessages: (await waiter.result).map(toWireReceivedMessage) };
    }),

    StreamingPull: (call: ServerDuplexStream<StreamingPullRequest, StreamingPullResponse>) => {
      new StreamingPullSession(call, broker, engine, log).start();
    },
  };
}
