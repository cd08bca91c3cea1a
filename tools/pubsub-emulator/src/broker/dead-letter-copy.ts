import { ResourceName } from '../model/resource-names';
import { StoredMessage } from '../queue/stored-message';
import { PublishInput } from './publish-input';

/**
 * The message the dead-letter topic receives: same payload, attributes and ordering key, plus the
 * attributes the real service adds (names and formats as the SDK emulator 0.8.20 writes them).
 */
export function deadLetterCopyOf(message: StoredMessage, source: ResourceName, deliveryAttempts: number): PublishInput {
  return {
    data: message.data,
    orderingKey: message.orderingKey,
    attributes: {
      ...message.attributes,
      CloudPubSubDeadLetterSourceDeliveryCount: String(deliveryAttempts),
      CloudPubSubDeadLetterSourceSubscription: source.id,
      CloudPubSubDeadLetterSourceSubscriptionProject: source.project,
      CloudPubSubDeadLetterSourceTopicPublishTime: new Date(message.publishTime).toISOString(),
    },
  };
}
