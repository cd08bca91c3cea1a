import { BaseRpcContext } from '@nestjs/microservices';
import type { Message } from '@google-cloud/pubsub';

/** What a handler may inject with @Ctx(): the raw message and the subscription it came from. */
export class PubSubContext extends BaseRpcContext<[Message, string]> {
  getMessage(): Message {
    return this.args[0];
  }

  getSubscriptionName(): string {
    return this.args[1];
  }

  /** 1 on first delivery; counts up on redeliveries (0 when the subscription has no dead-letter policy). */
  getDeliveryAttempt(): number {
    return this.args[0].deliveryAttempt ?? 0;
  }
}
