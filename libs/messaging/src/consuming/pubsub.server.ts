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
  processInstanceId,
  subscriptionName,
} from '../topology';
import { decodeMessage } from './decode-message';
import { decideOnFailure } from './failure-decision';
import { PubSubContext } from './pubsub.context';

const SUBSCRIBE_TIMEOUT_MS = 15_000;
const RETRY_BASE_DELAY_MS = 1_000;
const RETRY_MAX_DELAY_MS = 60_000;
/**
 * A stream reopened after an incident counts as receiving once it delivered a message or stayed open
 * this long: a subscription that is still missing fails the stream within a round trip.
 */
const RECOVERY_CONFIRM_MS = 2_000;
/**
 * How long shutdown waits for this replica's own subscriptions to be deleted. Without a bound, a Pub/Sub
 * that does not answer held the shutdown until the service's budget ran out (exit 1 after 10 s); left
 * behind, they expire after a day unused.
 */
const SUBSCRIPTION_DELETE_TIMEOUT_MS = 3_000;

/** Where readiness probes are registered (service-runtime's ReadinessRegistry). */
export interface ReadinessRegistration {
  register(name: string, probe: () => Promise<void>): void;
}

export interface PubSubServerOptions {
  pubsub: PubSub;
  settings: MessagingSettings;
  /** The consuming service; names its subscriptions (`<topic>.<consumer>`). */
  consumer: string;
  /**
   * This replica's host (the pod name): handlers declared `@EventPattern(topic, { broadcast: true })`
   * get a subscription of their own per process, named after the host plus a random suffix, so every
   * replica receives every such event and no other process can delete it.
   */
  host: string;
  logger: Logger;
  /** Each subscription registers a probe here that fails while its consumer cannot receive. */
  readiness?: ReadinessRegistration;
  /**
   * Whether handlers that log through nestjs-pino's PinoLogger get the message's fields (correlationId,
   * tenantId, eventId) on their lines, bound by its AsyncLocalStorage. Default true. On Node 20 the first
   * AsyncLocalStorage run turns on promise hooks for the rest of the process, a cost on every promise it
   * makes: a service that serves requests and whose handlers write no lines (the api) turns it off
   * (service-runtime's request-log.ts).
   */
  bindLogContext?: boolean;
}

/** Since when, and why, a consumer cannot receive; one incident from the first failure to recovery. */
interface Incident {
  since: Date;
  reason: string;
  attempts: number;
  warned: boolean;
}

/** One handler's subscription and what keeps it receiving. */
interface Consumer {
  topic: string;
  handler: MessageHandler;
  broadcast: boolean;
  /** Short form for logs, probes and dead letters; subscription.name is fully qualified. */
  name: string;
  /** The open subscription, while there is one. */
  subscription?: Subscription;
  /** Set from start until the first stream opens, and from a stream closing for good until it receives again. */
  incident?: Incident;
}

/**
 * Nest microservice transport over Google Pub/Sub: each `@EventPattern('<topic>')` handler gets a
 * subscription. A message is acked only after its handler succeeded, nacked (redelivered with the
 * subscription's backoff) when it failed retryably, and dead-lettered with the reason when it is invalid,
 * not retryable, or out of attempts. Handlers run with correlationId and tenantId in their log context.
 *
 * A subscription's stream that closes for good (the subscription was deleted or expired: NOT_FOUND, or
 * any error the client does not retry itself) is set up again with backoff — the subscription recreated
 * where the service creates it (per-replica ones always, shared ones with `autoCreate`) — and the
 * consumer's readiness probe fails until it receives again.
 */
export class PubSubServer extends Server implements CustomTransportStrategy {
  private readonly consumers: Consumer[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private closing = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Names this process's per-replica subscriptions. */
  private readonly instanceId: string;

  constructor(private readonly options: PubSubServerOptions) {
    super();
    this.instanceId = processInstanceId(options.host);
  }

  /**
   * Subscribes every handler. A subscription that cannot be set up (Pub/Sub unreachable at boot) does not
   * stop the service: it is retried in the background until it works, as the outbox holds what is
   * published meanwhile. Boot waits for the first attempt only.
   */
  async listen(callback: (error?: unknown) => void): Promise<void> {
    const { consumer, readiness } = this.options;
    for (const [topic, handler] of this.messageHandlers) {
      const broadcast = (handler.extras as { broadcast?: boolean } | undefined)?.broadcast === true;
      const name = broadcast ? broadcastSubscriptionName(topic, consumer, this.instanceId) : subscriptionName(topic, consumer);
      const entry: Consumer = { topic, handler, broadcast, name, incident: { since: new Date(), reason: 'not subscribed yet', attempts: 0, warned: false } };
      this.consumers.push(entry);
      // A work subscription that is gone leaves this replica's share of the work undone: it says so. A
      // per-replica one only keeps caches fresher than their TTL: losing it must not take a replica that
      // serves requests out of the load balancer (it is recreated and logged all the same).
      if (!broadcast) readiness?.register(`pubsub:${name}`, async () => {
        const incident = entry.incident;
        if (incident) throw new Error(`not receiving since ${incident.since.toISOString()}: ${incident.reason}`);
      });
    }
    await Promise.all(this.consumers.map((entry) => this.open(entry)));
    callback();
  }

  /** Stops taking messages, lets in-flight handlers finish (and ack), then closes the streams. */
  async close(): Promise<void> {
    this.closing = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.inFlight]);
    await Promise.all(this.consumers.map((entry) => entry.subscription?.close()));
    await this.deleteReplicaSubscriptions();
    this.consumers.length = 0;
  }

  /**
   * A replica's own subscriptions go with it (they would expire anyway, a day later). Their names are
   * this process's alone, so this cannot take another process's subscription away.
   */
  private async deleteReplicaSubscriptions(): Promise<void> {
    const names = this.consumers.filter((entry) => entry.broadcast).map((entry) => entry.name);
    if (names.length === 0) return;
    const deletions = Promise.allSettled(names.map((name) => this.options.pubsub.subscription(name).delete()));
    let failure: unknown;
    try {
      failure = (await withTimeout(deletions, SUBSCRIPTION_DELETE_TIMEOUT_MS)).find((result) => result.status === 'rejected')?.reason;
    } catch (timedOut) {
      failure = timedOut;
    }
    if (failure) this.options.logger.warn({ err: failure, subscriptions: names }, "could not delete this replica's subscriptions; they expire after a day unused");
  }

  on(): never {
    throw new Error('PubSubServer does not emit transport events; see its logs');
  }

  unwrap<T>(): T {
    return this.options.pubsub as T;
  }

  /** Sets up the consumer's subscription and opens its stream, or schedules another attempt. */
  private async open(entry: Consumer): Promise<void> {
    if (this.closing) return;
    const { pubsub, settings, consumer } = this.options;
    let subscription: Subscription;
    try {
      subscription = await withTimeout(
        entry.broadcast
          ? ensureBroadcastSubscription(pubsub, entry.topic, consumer, this.instanceId, settings)
          : ensureSubscription(pubsub, entry.topic, consumer, settings),
        SUBSCRIBE_TIMEOUT_MS,
        `no answer from Pub/Sub within ${SUBSCRIBE_TIMEOUT_MS} ms`,
      );
    } catch (error) {
      this.retryLater(entry, error, 'could not subscribe; retrying');
      return;
    }
    if (this.closing) {
      // Shutdown began meanwhile and may have deleted the per-replica subscription before it was made.
      if (entry.broadcast) await subscription.delete().catch(() => undefined);
      return;
    }
    this.attach(entry, subscription);
  }

  private attach(entry: Consumer, subscription: Subscription): void {
    const { settings, logger } = this.options;
    entry.subscription = subscription;
    // Flow control bounds the work in progress per subscription; excess messages wait on the server.
    // While a handler runs, the client keeps extending the message's lease, so long handlers are safe.
    subscription.setOptions({ flowControl: { maxMessages: settings.maxInFlight, allowExcessMessages: false } });
    let lastError: unknown;
    subscription.on('error', (error: Error) => {
      lastError = error;
      // The client retries what it can (UNAVAILABLE and the like) without telling; an error it emits
      // either closes the stream (handled as lost below, after the client's own close began) or not.
      setImmediate(() => {
        if (entry.subscription !== subscription || this.closing) return;
        if (subscription.isOpen) logger.error({ err: error, subscription: entry.name }, 'subscription stream error');
        else this.lost(entry, subscription, error);
      });
    });
    subscription.on('close', () => this.lost(entry, subscription, lastError));
    subscription.on('message', (message: Message) => {
      if (entry.incident && entry.subscription === subscription) this.recovered(entry);
      this.track(this.receive(entry, message));
    });
    if (entry.incident?.attempts === 0) {
      entry.incident = undefined; // the first stream at boot: nothing to recover from
    } else if (entry.incident) {
      this.later(RECOVERY_CONFIRM_MS, () => {
        if (entry.incident && entry.subscription === subscription && subscription.isOpen) this.recovered(entry);
      });
    }
    logger.info({ topic: entry.topic, subscription: entry.name }, 'consuming');
  }

  /** The stream of the consumer's current subscription closed without being asked to: set it up again. */
  private lost(entry: Consumer, subscription: Subscription, error: unknown): void {
    if (this.closing || entry.subscription !== subscription) return;
    // Its listeners stay: an 'error' without a listener would end the process.
    entry.subscription = undefined;
    const recreate = entry.broadcast || this.options.settings.autoCreate;
    this.retryLater(
      entry,
      error ?? new Error('subscription stream closed'),
      recreate ? 'subscription stream closed; recreating the subscription' : 'subscription stream closed; reopening it once infrastructure declares the subscription again',
    );
  }

  /** Opens a consumer's incident (logging it once, at WARN) or counts another failed attempt, and retries with backoff. */
  private retryLater(entry: Consumer, error: unknown, message: string): void {
    if (this.closing) return;
    const incident = (entry.incident ??= { since: new Date(), reason: '', attempts: 0, warned: false });
    incident.attempts += 1;
    incident.reason = describeFailure(error);
    const delayMs = Math.min(RETRY_BASE_DELAY_MS * 2 ** (incident.attempts - 1), RETRY_MAX_DELAY_MS);
    const fields = { err: error, topic: entry.topic, subscription: entry.name, attempt: incident.attempts, retryInMs: delayMs };
    if (incident.warned) {
      this.options.logger.debug(fields, message);
    } else {
      incident.warned = true;
      this.options.logger.warn(fields, message);
    }
    this.later(delayMs, () => void this.open(entry));
  }

  private recovered(entry: Consumer): void {
    const incident = entry.incident;
    entry.incident = undefined;
    if (incident?.warned) {
      this.options.logger.info(
        { topic: entry.topic, subscription: entry.name, attempts: incident.attempts, downMs: Date.now() - incident.since.getTime() },
        'subscription receiving again',
      );
    }
  }

  private later(delayMs: number, work: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      work();
    }, delayMs);
    timer.unref();
    this.timers.add(timer);
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async receive(entry: Consumer, message: Message): Promise<void> {
    if (this.closing) {
      message.nack(); // hand it back at once to another replica
      return;
    }
    const { topic, name: subscriptionName, handler } = entry;
    const base = this.options.logger.child({ topic, subscription: subscriptionName, messageId: message.id });
    const decoded = decodeMessage(topic, message.attributes, message.data);
    if (!decoded.ok) {
      await this.giveUp(entry, message, decoded.reason, base);
      return;
    }

    const { envelope } = decoded;
    const logger = base.child({ correlationId: envelope.correlationId, tenantId: envelope.tenantId, eventId: envelope.eventId });
    try {
      const handle = async () => {
        const result = await handler(envelope, new PubSubContext([message, subscriptionName]));
        await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
      };
      await (this.options.bindLogContext === false ? handle() : storage.run(new Store(logger), handle));
      message.ack();
    } catch (error) {
      const decision = decideOnFailure(error, message.deliveryAttempt ?? 0, this.options.settings.maxDeliveryAttempts);
      if (decision.action === 'retry') {
        logger.warn({ err: error, deliveryAttempt: message.deliveryAttempt }, 'handler failed; message will be redelivered');
        message.nack();
      } else {
        await this.giveUp(entry, message, decision.reason, logger);
      }
    }
  }

  /**
   * A message that cannot succeed goes to the subscription's dead-letter topic. A replica's own
   * (broadcast) subscription has none: infrastructure declares no topic for a name chosen at start, and
   * without a dead-letter policy Pub/Sub counts no delivery attempts, so a nack would bring the message
   * back for ever. It is logged with its reason and attributes, and acked. What it announced (a change
   * to a tenant) is also read again when the cache entry expires.
   */
  private async giveUp(entry: Consumer, message: Message, reason: string, logger: Logger): Promise<void> {
    if (!entry.broadcast) {
      await this.deadLetter(entry.name, message, reason, logger);
      return;
    }
    logger.error({ reason, attributes: message.attributes }, 'message dropped: it cannot succeed, and a per-replica subscription has no dead-letter topic');
    message.ack();
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

/**
 * Why a consumer is down, for its readiness probe, which anyone may read: the gRPC status (NOT_FOUND,
 * PERMISSION_DENIED...) without the server's details, which name project and resources. The log has the error.
 */
function describeFailure(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'number') return `Pub/Sub answered ${GRPC_STATUS_NAMES[code] ?? `status ${code}`}`;
  if (error instanceof Error && error.message.startsWith('no answer from Pub/Sub')) return error.message;
  return 'subscription stream closed';
}

const GRPC_STATUS_NAMES: Record<number, string> = {
  1: 'CANCELLED',
  2: 'UNKNOWN',
  3: 'INVALID_ARGUMENT',
  4: 'DEADLINE_EXCEEDED',
  5: 'NOT_FOUND (the subscription does not exist)',
  7: 'PERMISSION_DENIED',
  8: 'RESOURCE_EXHAUSTED',
  9: 'FAILED_PRECONDITION',
  13: 'INTERNAL',
  14: 'UNAVAILABLE',
  16: 'UNAUTHENTICATED',
};
