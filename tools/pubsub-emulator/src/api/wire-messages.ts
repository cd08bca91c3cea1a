import { PublishInput } from '../broker/publish-input';
import { msToTimestamp } from '../model/proto-time';
import { Delivery } from '../queue/subscription-queue';
import { WirePubsubMessage, WireReceivedMessage } from './pubsub-wire.types';

export function fromWirePubsubMessage(message: WirePubsubMessage): PublishInput {
  return {
    data: message.data ?? Buffer.alloc(0),
    attributes: message.attributes ?? {},
    orderingKey: message.orderingKey ?? '',
  };
}

export function toWireReceivedMessage({ ackId, message, deliveryAttempt }: Delivery): WireReceivedMessage {
  return {
    ackId,
    deliveryAttempt,
    message: {
      data: message.data,
      attributes: { ...message.attributes },
      messageId: message.messageId,
      publishTime: msToTimestamp(message.publishTime),
      orderingKey: message.orderingKey,
    },
  };
}
