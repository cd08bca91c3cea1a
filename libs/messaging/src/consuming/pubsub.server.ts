import type { Message, PubSub, Subscription } from '@google-cloud/pubsub';
import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import type { MessagingSettings } from '@pulse/config';
import { withTimeout } from '@pulse/service-runtime';
import { Store, storage } from 'nestjs-pino/storage';
import type { Logger } from 'pino';
import { lastValueFrom } from 'rxjs';
import {
  broadcastSubscriptionName,
  deadLetterTopicName,
  ensureBroadcastSubscription,
  ensureSubscription,
  ensureTopic,
  subscriptionName,
} from '../topology';
import { decodeMessage } from './decode-message';
import { decideOnFailure } from './failure-decision';
import { PubSubContext } from './pubsub.context';

const SUBSCRIBE_TIMEOUT_MS = 15_000;

export interface PubSubServerOptions {
  pubsub: PubSub;
  settings: MessagingSettings;
  /** The consuming service; names its subscriptions (`<topic>.<consumer>`). */
  consumer: string;
  /**
   * This replica (the pod name): handlers declared `@EventPattern(topic, { broadcast: true })` get a
   * subscription of their own per replica, so every replica receives every such event.
   */
  instanceId: string;
  logger: Logger;
}

/**
 * Nest microservice transport over Google Pub/Sub: each `@EventPattern('<topic>')` handler gets a
 * subscription. A message is acked only after its handler succeeded, nacked (redelivered with the
 * subscription's backoff) when it failed retryably, and dead-lettered with the reason when it is invalid,
 * not retryable, or out of attempts. Handlers run with correlationId and tenantId in their log context.
 */
export class PubSubServer extends Server implements CustomTransportStrategy {
  private readonly subscriptions: Subscription[] = [];
  private readonly broadcastSubscriptions: Subscription[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private closing = false;
  private readonly retries = new Set<NodeJS.Timeout>();

  constructor(private readonly options: PubSubServerOptions) {
    super();
  }

  /**
   * Subscribes every handler. A subscription that cannot be set up (Pub/Sub unreachable at boot) does not
   * stop the service: it is retried in the background until it works, as the outbox holds what is
   * published meanwhile. Boot waits for the first attempt only.
   */
  async listen(callback: (error?: unknown) => void): Promise<void> {
    await Promise.all([...this.messageHandlers].map(([topic, handler]) => this.subscribeOrRetryLater(topic, handler, 1)));
    callback();
  }

  private async subscribeOrRetryLater(topic: string, handler: MessageHandler, attempt: number): Promise<void> {
    if (this.closing) return;
    try {
      await withTimeout(this.subscribe(topic, handler), SUBSCRIBE_TIMEOUT_MS, `no answer from Pub/Sub within ${SUBSCRIBE_TIMEOUT_MS} ms`);
    } catch (error) {
      const delayMs = Math.min(1_000 * 2 ** (attempt - 1), 60_000);
      this.options.logger.warn({ err: error, topic, attempt, retryInMs: delayMs }, 'could not subscribe; retrying');
      const timer = setTimeout(() => void this.subscribeOrRetryLater(topic, handler, attempt + 1), delayMs);
      timer.unref();
      this.retries.add(timer);
    }
  }

  /** Stops taking messages, lets in-flight handlers finish (and ack), then closes the streams. */
  async close(): Promise<void> {
    this.closing = true;
    for (const timer of this.retries) clearTimeout(timer);
    await Promise.allSettled([...this.inFlight]);
    await Promise.all(this.subscriptions.map((subscription) => subscription.close()));
    this.subscriptions.length = 0;
    // A replica's own subscriptions go with it (they would expire anyway, a day later).
    await Promise.allSettled(this.broadcastSubscriptions.map((subscription) => subscription.delete()));
    this.broadcastSubscriptions.length = 0;
  }

  on(): never {
    throw new Error('PubSubServer does not emit transport events; see its logs');
  }

  unwrap<T>(): T {
    return this.options.pubsub as T;
  }

  private async subscribe(topic: string, handler: MessageHandler): Promise<void> {
    const { pubsub, settings, consumer, instanceId, logger } = this.options;
    const broadcast = (handler.extras as { broadcast?: boolean } | undefined)?.broadcast === true;
    const subscription = broadcast
      ? await ensureBroadcastSubscription(pubsub, topic, consumer, instanceId, settings)
      : await ensureSubscription(pubsub, topic, consumer, settings);
    if (broadcast) this.broadcastSubscriptions.push(subscription);
    // Short form for logs and dead letters; subscription.name is fully qualified.
    const name = broadcast ? broadcastSubscriptionName(topic, consumer, instanceId) : subscriptionName(topic, consumer);
    // Flow control bounds the work in progress per subscription; excess messages wait on the server.
    // While a handler runs, the client keeps extending the message's lease, so long handlers are safe.
    subscription.setOptions({ flowControl: { maxMessages: settings.maxInFlight, allowExcessMessages: false } });
    subscription.on('message', (message: Message) => this.track(this.receive(topic, name, handler, message)));
    subscription.on('error', (error: Error) => logger.error({ err: error, subscription: name }, 'subscription stream error'));
    this.subscriptions.push(subscription);
    logger.info({ topic, subscription: name }, 'consuming');
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async receive(topic: string, subscriptionName: string, handler: MessageHandler, message: Message): Promise<void> {
    if (this.closing) {
      message.nack(); // hand it back at once to another replica
      return;
    }
    const base = this.options.logger.child({ topic, subscription: subscriptionName, messageId: message.id });
    const decoded = decodeMessage(topic, message.attributes, message.data);
    if (!decoded.ok) {
      await this.deadLetter(subscriptionName, message, decoded.reason, base);
      return;
    }

    const { envelope } = decoded;
    const logger = base.child({ correlationId: envelope.correlationId, tenantId: envelope.tenantId, eventId: envelope.eventId });
    try {
      await storage.run(new Store(logger), async () => {
        const result = await handler(envelope, new PubSubContext([message, subscriptionName]));
        await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
      });
      message.ack();
    } catch (error) {
      const decision = decideOnFailure(error, message.deliveryAttempt ?? 0, this.options.settings.maxDeliveryAttempts);
      if (decision.action === 'retry') {
        logger.warn({ err: error, deliveryAttempt: message.deliveryAttempt }, 'handler failed; message will be redelivered');
        message.nack();
      } else {
        await this.deadLetter(subscriptionName, message, decision.reason, logger);
      }
    }
  }

  /** Keeps the message, with the reason, on the subscription's dead-letter topic, then acks it. */
  private async deadLetter(subscriptionName: string, message: Message, reason: string, logger: Logger): Promise<void> {
    try {
      const topic = await ensureTopic(this.options.pubsub, deadLetterTopicName(subscriptionName), this.options.settings);
      await topic.publishMessage({
        data: message.data,
        attributes: {
          ...message.attributes,
          deadLetterReason: reason.slice(0, 1024),
          deadLetterSourceSubscription: subscriptionName,
          deadLetterDeliveryAttempt: String(message.deliveryAttempt ?? 0),
        },
      });
      logger.error({ reason, deliveryAttempt: message.deliveryAttempt }, 'message dead-lettered');
      message.ack();
    } catch (error) {
      // Losing the message is worse than seeing it again: leave it to redelivery.
      logger.error({ err: error, reason }, 'could not dead-letter message; it will be redelivered');
      message.nack();
    }
  }
}
